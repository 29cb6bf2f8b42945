// Where a model string points in Node: a directory on disk, or a remote model (repo id or URL).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isRepoId, resolveModelUrl } from '../engine/modelLocation.ts';
import { InvalidArgumentError, ModelNotFoundError } from '../errors.ts';

export type NodeModelLocation = { kind: 'directory'; path: string } | { kind: 'url'; url: string };

/** `model` as an absolute directory path; it must exist. */
export async function modelDirectory(model: string): Promise<string> {
  const stats = await stat(model).catch(() => undefined);
  if (!stats) throw new ModelNotFoundError(model);
  if (!stats.isDirectory())
    throw new InvalidArgumentError(
      `${model} is a file: give the model's directory (the one holding config.json or manifest.json)`,
    );
  return path.resolve(model);
}

/**
 * A directory when one exists at `model`, else a Hugging Face repo id (org/name) or an http(s)
 * URL. Anything else can only be a path on disk, and it does not exist.
 */
export async function locateModel(model: string): Promise<NodeModelLocation> {
  const exists = await stat(model).then(
    () => true,
    () => false,
  );
  if (exists) return { kind: 'directory', path: await modelDirectory(model) };
  if (isRepoId(model) || /^https?:\/\//i.test(model)) return { kind: 'url', url: resolveModelUrl(model) };
  throw new ModelNotFoundError(model);
}
