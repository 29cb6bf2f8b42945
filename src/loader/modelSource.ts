// What every kind of model source gives the load pipeline (openModel.ts). There are two kinds:
// our shards (manifestSource.ts), the format the cache keeps, and checkpoints in other formats,
// which are converted into it: one module per format, listed in checkpointFormats.ts.
import type { ModelTensorSource } from '../model/tensorPlan.ts';
import type { ModelFiles } from './byteSource.ts';

/** A model opened as tensors in the GPU layout, with its tokenizer files: what the upload takes. */
export interface OpenedModel {
  source: ModelTensorSource;
  /** A tokenizer file's text, or undefined if the model has none of that name. */
  readTokenizerFile(name: string): Promise<string | undefined>;
}

/** A checkpoint opened, with what a manifest of its converted shards records besides the tensors. */
export interface OpenedCheckpoint extends OpenedModel {
  /** The config as the checkpoint states it (transformers' config.json). */
  configJson: Record<string, unknown>;
  /** The tokenizer files it has (tokenizer.json, tokenizer_config.json), in the order they are stored. */
  tokenizerFiles: string[];
}

/**
 * A checkpoint format the loader converts (Hugging Face safetensors, GGUF). Opening one reads
 * its config and tensor table; each tensor is read, and put in the GPU layout, when it is asked for.
 */
export interface CheckpointFormat {
  /** Whether `files` are in this format, by which files exist: nothing large is read. */
  recognizes(files: ModelFiles): Promise<boolean>;
  open(files: ModelFiles): Promise<OpenedCheckpoint>;
}
