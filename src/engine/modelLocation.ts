import { httpFiles, httpSource, singleFileModel, type ModelFiles } from '../loader/byteSource.ts';
import { isGgufFileName } from '../loader/gguf/ggufCheckpoint.ts';
import { InvalidArgumentError } from '../errors.ts';

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
/** A path segment that is a plain name (never `.` or `..`). */
const SEGMENT = String.raw`[\w-][\w.-]*`;
/** `org/name/path/to/file.gguf`: a GGUF file in a Hugging Face repo (its main branch). */
const REPO_FILE = new RegExp(String.raw`^([A-Za-z0-9][\w.-]*/[\w.-]+)/((?:${SEGMENT}/)*${SEGMENT}\.gguf)$`, 'i');
/** A Hugging Face repo page (or its file tree). */
const HF_REPO_URL = /^https:\/\/huggingface\.co\/([\w.-]+\/[\w.-]+)\/?(?:tree\/main\/?)?$/;
/** A file's page or download link in a Hugging Face repo: .../blob/REV/PATH or .../resolve/REV/PATH. */
const HF_FILE_URL = new RegExp(
  String.raw`^https://huggingface\.co/([\w.-]+/[\w.-]+)/(?:blob|resolve)/(${SEGMENT})/((?:${SEGMENT}/)*${SEGMENT}\.gguf)(?:\?.*)?$`,
  'i',
);

/** `org/name`: the shape of a Hugging Face repo id. */
export function isRepoId(model: string): boolean {
  return REPO_ID.test(model);
}

/** `org/name/file.gguf`: the shape of a GGUF file in a Hugging Face repo. */
export function isRepoFile(model: string): boolean {
  return REPO_FILE.test(model);
}

/**
 * Where a model string points, in the browser: the URL of a directory (ending in `/`) or of one
 * .gguf file.
 * - `org/name` (a Hugging Face repo id) -> https://huggingface.co/org/name/resolve/main/
 * - `https://huggingface.co/org/name` (or .../tree/main) -> the same
 * - `org/name/file.gguf` (a repo id and a GGUF file in it, maybe in a folder) ->
 *   https://huggingface.co/org/name/resolve/main/file.gguf
 * - `https://huggingface.co/org/name/blob/main/file.gguf` (the file's page) -> its resolve/ URL
 * - any other URL, absolute or starting with `/`, `./`, `../`: a .gguf file if its path ends in
 *   `.gguf`, else a directory of model files
 */
export function resolveModelUrl(
  model: string,
  base = typeof location === 'undefined' ? undefined : location.href,
): string {
  if (isRepoId(model)) return `https://huggingface.co/${model}/resolve/main/`;
  const repoFile = REPO_FILE.exec(model);
  if (repoFile) return `https://huggingface.co/${repoFile[1]}/resolve/main/${repoFile[2]}`;
  const hf = HF_REPO_URL.exec(model);
  if (hf) return `https://huggingface.co/${hf[1]}/resolve/main/`;
  const hfFile = HF_FILE_URL.exec(model);
  if (hfFile) return `https://huggingface.co/${hfFile[1]}/resolve/${hfFile[2]}/${hfFile[3]}`;
  let url: URL;
  try {
    url = new URL(model, base);
  } catch {
    throw new InvalidArgumentError(
      `model "${model}" is neither a Hugging Face repo id (org/name), a GGUF file in one (org/name/file.gguf), nor a URL`,
    );
  }
  if (isGgufFileName(url.pathname)) return url.href;
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** The files at a URL resolveModelUrl gave: one .gguf file, or a directory's files. */
export function modelFilesAt(url: string): ModelFiles {
  const path = new URL(url).pathname;
  if (!isGgufFileName(path)) return httpFiles(url);
  return singleFileModel(httpSource(url), path.slice(path.lastIndexOf('/') + 1));
}

export function modelFilesFor(model: string): ModelFiles {
  return modelFilesAt(resolveModelUrl(model));
}
