import { mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { convertToShards, type ShardWriter } from '../loader/convert.ts';
import { MANIFEST_FILE, type Manifest } from '../loader/manifest.ts';
import { openCheckpoint } from '../loader/checkpointFormats.ts';
import { InvalidArgumentError } from '../errors.ts';
import { locateModel, locationFiles } from './modelLocation.ts';

const PARTIAL = '.partial-';
/** What a conversion writes: with --force, only a folder holding nothing else is replaced. */
const CONVERTER_OUTPUT = /^(manifest\.json|tokenizer\.json|tokenizer_config\.json|shard-\d{5}\.bin)$/;

/** The real path of `p`, or of its nearest existing parent joined with the rest. */
async function resolveReal(p: string): Promise<string> {
  const absolute = path.resolve(p);
  const real = await realpath(absolute).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = path.dirname(absolute);
  return parent === absolute ? absolute : path.join(await resolveReal(parent), path.basename(absolute));
}

/**
 * Refuses an OUT that conversion must not replace: the source itself or a folder above it (always),
 * and without `force` anything but a missing path or an empty folder. With `force`, a file or a
 * folder holding only converter output is replaced, never a folder holding anything else.
 */
async function checkOutput(src: string | undefined, out: string, force: boolean): Promise<void> {
  if (src !== undefined) {
    const [realSrc, realOut] = await Promise.all([resolveReal(src), resolveReal(out)]);
    if (realSrc === realOut || realSrc.startsWith(realOut + path.sep)) {
      throw new InvalidArgumentError(
        `${out} is ${src} or a folder above it: replacing it would delete the checkpoint; choose another OUT`,
      );
    }
  }
  const existing = await stat(out).catch(() => undefined);
  if (!existing) return;
  const entries = existing.isDirectory() ? await readdir(out) : undefined;
  if (entries?.length === 0) return;
  if (!force)
    throw new InvalidArgumentError(
      `${out} exists${entries ? ' and is not empty' : ' and is not a folder'}; pass --force to replace it`,
    );
  const foreign = entries?.filter((name) => !CONVERTER_OUTPUT.test(name)) ?? [];
  if (foreign.length > 0) {
    throw new InvalidArgumentError(
      `${out} holds files convert did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); --force replaces only an earlier conversion: remove it yourself or choose another OUT`,
    );
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes `OUT.partial-PID` folders left by conversions that were killed (their process is gone). */
async function removeAbandonedPartials(out: string): Promise<void> {
  const prefix = `${path.basename(out)}${PARTIAL}`;
  for (const name of await readdir(path.dirname(out)).catch(() => [])) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN;
    if (Number.isSafeInteger(pid) && pid > 0 && !processAlive(pid))
      await rm(path.join(path.dirname(out), name), { recursive: true, force: true });
  }
}

/**
 * Converts a checkpoint (a Hugging Face checkpoint or a .gguf file: on disk, by repo id or by URL)
 * into our sharded format in `out`. Everything is written to `OUT.partial-PID` beside it and renamed
 * into place at the end, so a failed or cancelled (`signal`) conversion leaves nothing
 * half-written; folders of killed conversions are removed by the next one. What `out` may already
 * hold: see checkOutput.
 */
export async function convertCheckpoint(
  src: string,
  out: string,
  options: { shardBytes?: number; force?: boolean; log?: (line: string) => void; signal?: AbortSignal } = {},
): Promise<Manifest> {
  out = path.resolve(out);
  const location = await locateModel(src);
  await checkOutput(location.kind === 'url' ? undefined : location.path, out, options.force ?? false);
  const files = locationFiles(location);
  const checkpoint = await openCheckpoint(files);
  await removeAbandonedPartials(out);
  const tmp = `${out}${PARTIAL}${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const writer: ShardWriter = {
    tokenizerFile: (name, text) => writeFile(path.join(tmp, name), text),
    shard: (shard, bytes) => writeFile(path.join(tmp, shard.file), bytes),
    manifest: (manifest) => writeFile(path.join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`),
  };
  try {
    const manifest = await convertToShards(checkpoint, writer, {
      shardBytes: options.shardBytes,
      signal: options.signal,
      onProgress: ({ done, total }) => options.log?.(`converted ${done}/${total} tensors`),
    });
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
    return manifest;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
