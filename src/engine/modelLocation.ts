import { httpFiles, type ModelFiles } from '../loader/byteSource.ts';
import { InvalidArgumentError } from '../errors.ts';

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** `org/name`: the shape of a Hugging Face repo id. */
export function isRepoId(model: string): boolean {
  return REPO_ID.test(model);
}

/**
 * Where a model string points, in the browser:
 * - `org/name` (a Hugging Face repo id) -> https://huggingface.co/org/name/resolve/main/
 * - `https://huggingface.co/org/name` (or .../tree/main) -> the same
 * - any other URL, absolute or starting with `/`, `./`, `../` -> a directory of checkpoint files
 */
export function resolveModelUrl(
  model: string,
  base = typeof location === 'undefined' ? undefined : location.href,
): string {
  if (isRepoId(model)) return `https://huggingface.co/${model}/resolve/main/`;
  const hf = /^https:\/\/huggingface\.co\/([\w.-]+\/[\w.-]+)\/?(?:tree\/main\/?)?$/.exec(model);
  if (hf) return `https://huggingface.co/${hf[1]}/resolve/main/`;
  try {
    const url = new URL(model, base);
    return url.href.endsWith('/') ? url.href : `${url.href}/`;
  } catch {
    throw new InvalidArgumentError(`model "${model}" is neither a Hugging Face repo id (org/name) nor a URL`);
  }
}

export function modelFilesFor(model: string): ModelFiles {
  return httpFiles(resolveModelUrl(model));
}
