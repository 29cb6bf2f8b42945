// GGUF as a checkpoint format of the load pipeline (checkpointFormats.ts): a location that names
// one .gguf file opens as its tensors, its config.json and the tokenizer files its metadata holds.
import type { ModelFiles } from '../byteSource.ts';
import type { CheckpointFormat } from '../modelSource.ts';
import { openGguf } from './ggufSource.ts';

/** Whether a file name or URL path names a GGUF file (by its extension, as llama.cpp's tools name them). */
export function isGgufFileName(name: string | undefined): name is string {
  return name !== undefined && /\.gguf$/i.test(name);
}

/** The tokenizer files written from a GGUF file's metadata, in the order they are stored. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];

/**
 * A GGUF file (I2_S, TQ1_0, TQ2_0 or ternary-valued float weights; see docs/gguf.md). Its tokenizer
 * is built from the metadata when it opens, so an unsupported one fails fast naming its key; a file
 * without one (no `tokenizer.ggml.model`) has no tokenizer files.
 */
export const ggufCheckpoint: CheckpointFormat = {
  recognizes: async (files: ModelFiles) => isGgufFileName(files.singleFile),
  async open(files) {
    const opened = await openGguf(files.open(files.singleFile!));
    const tokenizerFiles = opened.file.metadata.has('tokenizer.ggml.model') ? TOKENIZER_FILES : [];
    if (tokenizerFiles.length > 0) opened.tokenizerFiles();
    return {
      source: opened.source,
      configJson: opened.configJson,
      tokenizerFiles,
      readTokenizerFile: async (name) => (tokenizerFiles.includes(name) ? opened.readTokenizerFile(name) : undefined),
    };
  },
};
