import { createNodeGpuContext } from './src/node/nodeGpu.ts';
import { BitNetModel } from './src/model/bitnetModel.ts';
import { directoryFiles } from './src/node/fileSource.ts';
import { openModel } from './src/loader/openModel.ts';
import { openHuggingFaceCheckpoint } from './src/loader/huggingFaceCheckpoint.ts';
const ctx = await createNodeGpuContext();
const dir = process.argv[2];
const ids = [1, 5, 9, 200, 17, 33];
const out: Float32Array[] = [];
for (const f of ['bf16', 'int8'] as const) {
  const src = await openHuggingFaceCheckpoint(directoryFiles(dir)).catch(async () => (await openModel(directoryFiles(dir))).source);
  const m = await BitNetModel.load(ctx, src, { embeddingFormat: f, contextLength: 64, gemvLayout: (process.argv[3] as 'rows') ?? undefined });
  out.push(await m.logits(ids, 'all')); m.dispose();
}
let max = 0, mag = 0; for (let i = 0; i < out[0].length; i++) { max = Math.max(max, Math.abs(out[0][i] - out[1][i])); mag = Math.max(mag, Math.abs(out[0][i])); }
console.log({ max, mag, a: Array.from(out[0].slice(0, 5)), b: Array.from(out[1].slice(0, 5)) });
process.exit(0);
