// The checkpoint formats the loader converts into our shards, one module each.
import type { ModelFiles } from './byteSource.ts';
import { ggufCheckpoint } from './gguf/ggufCheckpoint.ts';
import { huggingFaceCheckpoint, notACheckpoint } from './huggingFaceCheckpoint.ts';
import type { CheckpointFormat, OpenedCheckpoint } from './modelSource.ts';

/** In the order they are tried: the first that recognizes the files opens them. */
const CHECKPOINT_FORMATS: CheckpointFormat[] = [ggufCheckpoint, huggingFaceCheckpoint];

/** `files` opened as whichever checkpoint format they are in; a ModelFormatError if none. */
export async function openCheckpoint(files: ModelFiles): Promise<OpenedCheckpoint> {
  for (const format of CHECKPOINT_FORMATS) if (await format.recognizes(files)) return format.open(files);
  throw notACheckpoint(files);
}
