import { mkdir, rename, rm, stat, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { convertModel } from '../loader/convert.ts';
import type { Manifest } from '../loader/manifest.ts';
import { openHuggingFaceCheckpoint } from '../loader/huggingFaceCheckpoint.ts';
import { httpFiles } from '../loader/byteSource.ts';
import { InvalidArgumentError } from '../errors.ts';
import { directoryFiles } from './fileSource.ts';
import { locateModel } from './modelLocation.ts';

/**
 * Converts a Hugging Face checkpoint (a directory, a repo id or a URL) into our sharded format in
 * `out`. Everything is written to a temporary directory beside it and renamed into place at the
 * end, so a failed conversion leaves nothing half-written.
 */
export async function convertCheckpoint(
  src: string,
  out: string,
  options: { shardBytes?: number; force?: boolean; log?: (line: string) => void } = {},
): Promise<Manifest> {
  const exists = await stat(out).then(() => true, () => false);
  if (exists && !options.force && (await readdir(out).catch(() => [])).length > 0) {
    throw new InvalidArgumentError(`${out} exists and is not empty; pass --force to replace it`);
  }
  const location = await locateModel(src);
  const files = location.kind === 'directory' ? directoryFiles(location.path) : httpFiles(location.url);
  const source = await openHuggingFaceCheckpoint(files);
  const configJson = JSON.parse(await files.readText('config.json')) as Record<string, unknown>;
  const tmp = `${out.replace(/\/+$/, '')}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const tokenizerFiles: string[] = [];
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
      if (await files.has(file)) {
        await writeFile(path.join(tmp, file), await files.readText(file));
        tokenizerFiles.push(file);
      }
    }
    const manifest = await convertModel(source, configJson, tokenizerFiles, (shard, bytes) => writeFile(path.join(tmp, shard.file), bytes), {
      shardBytes: options.shardBytes,
      onProgress: ({ done, total }) => options.log?.(`converted ${done}/${total} tensors`),
    });
    await writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
    return manifest;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
