// bitnet-webgpu command line (Node + Dawn). Contracts kept stable:
//   logits   --model MODEL --ids 1,2,3                        -> {"logits": [...]}  (last position)
//   generate --model MODEL --ids 1,2,3 --max-tokens N --greedy -> {"ids": [...]}    (new tokens, via the KV cache)
import { parseArgs } from 'node:util';
import { createNodeGpuContext } from './nodeGpu.ts';
import { directoryStore } from './directoryStore.ts';
import { locateModel, locationFiles } from './modelLocation.ts';
import type { ModelFiles } from '../loader/byteSource.ts';
import { isGgufFileName } from '../loader/gguf/ggufCheckpoint.ts';
import { ggufTypeCounts, openGguf } from '../loader/gguf/ggufSource.ts';
import { openModel } from '../loader/openModel.ts';
import type { BitNetConfig } from '../model/config.ts';
import { BitNetModel } from '../model/bitnetModel.ts';
import { BitNetError } from '../errors.ts';
import { convertCheckpoint } from './convertCheckpoint.ts';

const USAGE = `usage:
  cli logits   --model MODEL --ids 1,2,3 [--all]
  cli generate --model MODEL --ids 1,2,3 --max-tokens N --greedy [--ignore-eos]
  cli info     --model MODEL
  cli convert  SRC OUT [--shard-mb N] [--force]   (SRC: a MODEL that is a Hugging Face checkpoint or a .gguf file)
MODEL: a directory (converted shards or a Hugging Face checkpoint) or a .gguf file on disk; a Hugging
  Face repo id (org/name) or a GGUF file in one (org/name/file.gguf); or an http(s) URL of either.
  Remote models are cached in $BITNET_CACHE (default ~/.cache/bitnet-webgpu).
options:
  --context N      KV cache length (default: min(max_position_embeddings, 4096))
  --variant V      ternary kernel: dot4 or addsub (default: fastest the adapter has)
  --embedding F    embedding table / lm_head on the GPU: int8 (default) or bf16 (as in the checkpoint)`;

class UsageError extends Error {}

function parseIds(text: string | undefined): number[] {
  if (!text) throw new UsageError('--ids is required (comma-separated token ids)');
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s)))
    throw new UsageError(`--ids must be comma-separated non-negative integers, got "${text}"`);
  return ids.map(Number);
}

/**
 * `info`'s answer: the config the model runs with; for a GGUF file also its architecture and how
 * many tensors of each ggml type it holds (read from the header: no tensor is read).
 */
async function modelInfo(
  files: ModelFiles,
): Promise<{ config: BitNetConfig; gguf?: { architecture: string; tensorTypes: Record<string, number> } }> {
  if (!isGgufFileName(files.singleFile)) return { config: (await openModel(files)).source.config };
  const gguf = await openGguf(files.open(files.singleFile));
  return {
    config: gguf.source.config,
    gguf: { architecture: gguf.architecture, tensorTypes: ggufTypeCounts(gguf.file) },
  };
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      ids: { type: 'string' },
      'max-tokens': { type: 'string' },
      greedy: { type: 'boolean' },
      'ignore-eos': { type: 'boolean' },
      all: { type: 'boolean' },
      context: { type: 'string' },
      variant: { type: 'string' },
      embedding: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      'shard-mb': { type: 'string' },
      force: { type: 'boolean' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (!['logits', 'generate', 'info', 'convert'].includes(command))
    throw new UsageError(`unknown command "${command}"`);
  if (command === 'convert') {
    const [, src, out] = positionals;
    if (!src || !out) throw new UsageError('convert needs SRC and OUT');
    const shardMb = values['shard-mb'] === undefined ? 32 : Number(values['shard-mb']);
    if (!(shardMb > 0)) throw new UsageError(`--shard-mb must be a positive number, got "${values['shard-mb']}"`);
    // Ctrl-C stops between tensors, so the partial output is removed before exiting
    const interrupted = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupted.abort());
    const manifest = await convertCheckpoint(src, out, {
      shardBytes: Math.round(shardMb * 2 ** 20),
      force: values.force ?? false,
      log: (l) => console.error(l),
      signal: interrupted.signal,
    });
    console.log(
      JSON.stringify({ out, shards: manifest.shards.length, bytes: manifest.shards.reduce((n, s) => n + s.bytes, 0) }),
    );
    return;
  }
  if (!values.model)
    throw new UsageError(
      '--model MODEL is required (a converted model or Hugging Face checkpoint directory, a .gguf file, a repo id or a URL)',
    );
  const variant = values.variant;
  if (variant !== undefined && variant !== 'dot4' && variant !== 'addsub')
    throw new UsageError(`--variant must be dot4 or addsub, got "${variant}"`);
  const embeddingFormat = values.embedding;
  if (embeddingFormat !== undefined && embeddingFormat !== 'int8' && embeddingFormat !== 'bf16')
    throw new UsageError(`--embedding must be int8 or bf16, got "${embeddingFormat}"`);

  const location = await locateModel(values.model);
  const files = locationFiles(location);
  if (command === 'info') {
    console.log(JSON.stringify(await modelInfo(files)));
    return;
  }
  const ids = parseIds(values.ids);
  let maxTokens = 0;
  if (command === 'generate') {
    if (!values.greedy) throw new UsageError('generate needs --greedy (sampling is available through the library API)');
    maxTokens = Number(values['max-tokens'] ?? NaN);
    if (!Number.isInteger(maxTokens) || maxTokens < 1)
      throw new UsageError(`--max-tokens must be a positive integer, got "${values['max-tokens']}"`);
  }
  // a remote model is converted or downloaded into the cache once; what is on disk is read in place
  const { source } = await openModel(
    files,
    location.kind === 'url' ? { store: directoryStore(), cacheKey: location.url } : {},
  );
  const ctx = await createNodeGpuContext();
  const contextLength = values.context === undefined ? undefined : Number(values.context);
  const model = await BitNetModel.load(ctx, source, { contextLength, variant, embeddingFormat });
  try {
    if (command === 'logits') {
      const logits = await model.logits(ids, values.all ? 'all' : 'last');
      console.log(JSON.stringify({ logits: Array.from(logits) }));
    } else {
      const out = await model.generateGreedy(ids, maxTokens, values['ignore-eos'] ? { stopIds: [] } : {});
      console.log(JSON.stringify({ ids: out }));
    }
  } finally {
    model.dispose();
    ctx.device.destroy();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(err instanceof BitNetError ? `error: ${err.message}` : err);
    process.exit(1);
  },
);
