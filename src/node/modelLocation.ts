// Where a model string points in Node: a directory or a .gguf file on disk, or a remote model
// (repo id, repo id + GGUF file, or URL).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isRepoFile, isRepoId, modelFilesAt, resolveModelUrl } from '../engine/modelLocation.ts';
import { InvalidArgumentError, ModelNotFoundError } from '../errors.ts';
import { singleFileModel, type ModelFiles } from '../loader/byteSource.ts';
import { isGgufFileName } from '../loader/gguf/ggufCheckpoint.ts';
import { directoryFiles, fileSource } from './fileSource.ts';

/** A model on disk (a directory, or one .gguf file: absolute paths), or remote (resolveModelUrl's URL). */
export type NodeModelLocation =
  { kind: 'directory'; path: string } | { kind: 'file'; path: string } | { kind: 'url'; url: string };

/**
 * What exists at `model` on disk: a directory, or a .gguf file (absolute paths); undefined if
 * nothing does. Any other file is refused.
 */
async function onDisk(model: string): Promise<NodeModelLocation | undefined> {
  const stats = await stat(model).catch(() => undefined);
  if (!stats) return undefined;
  if (stats.isDirectory()) return { kind: 'directory', path: path.resolve(model) };
  if (stats.isFile() && isGgufFileName(model)) return { kind: 'file', path: path.resolve(model) };
  throw new InvalidArgumentError(
    `${model} is a file: give the model's directory (the one holding config.json or manifest.json) or a .gguf file`,
  );
}

/**
 * What exists on disk at `model` (a directory, or a .gguf file), else a Hugging Face repo id
 * (org/name), a GGUF file in one (org/name/file.gguf) or an http(s) URL. Anything else can only be
 * a path on disk, and it does not exist.
 */
export async function locateModel(model: string): Promise<NodeModelLocation> {
  const local = await onDisk(model);
  if (local) return local;
  if (isRepoId(model) || isRepoFile(model) || /^https?:\/\//i.test(model))
    return { kind: 'url', url: resolveModelUrl(model) };
  throw new ModelNotFoundError(model);
}

/** The files at a located model. */
export function locationFiles(location: NodeModelLocation): ModelFiles {
  if (location.kind === 'directory') return directoryFiles(location.path);
  if (location.kind === 'file') return singleFileModel(fileSource(location.path), path.basename(location.path));
  return modelFilesAt(location.url);
}
