// The benchmark in a browser tab: options come as CLI-style arguments in ?args=[...]; each row and
// the end are reported to tools/benchBrowser.ts through functions it exposes to the page.
import { createGpuContext } from '../../src/gpu/context.ts';
import { BitNetModel } from '../../src/model/bitnetModel.ts';
import { benchOptionsFromArgs, runBenchmark, type BenchResult, type BenchRow } from './runBenchmark.ts';
import { syntheticSource } from './syntheticSource.ts';
import { checkShapes, selectShapes } from './modelShapes.ts';
import { measureStepAnatomy, passAtHalfContext, type StepAnatomy } from './stepAnatomy.ts';

declare global {
  interface Window {
    reportRow(row: BenchRow): Promise<void>;
    reportAnatomy(anatomy: StepAnatomy): Promise<void>;
    reportEnd(result: BenchResult | { error: string }): Promise<void>;
  }
}

async function main(): Promise<void> {
  const args = JSON.parse(new URLSearchParams(location.search).get('args') ?? '[]') as string[];
  const options = benchOptionsFromArgs(args, { models: 'tiny' });
  const ctx = await createGpuContext(navigator.gpu);
  const result = await runBenchmark(ctx, options, (row) => {
    document.getElementById('log')!.textContent += `${JSON.stringify(row)}\n`;
    void window.reportRow(row);
  });
  // A decode step of the first model measured, as tools/profilePass.ts measures it in Node (1,024-token context, half full).
  const shape = checkShapes(selectShapes(options.models)).find((c) => 'config' in c)?.shape;
  if (args.includes('--anatomy') && shape) {
    const context = 1024;
    const model = await BitNetModel.load(ctx, syntheticSource(shape), {
      contextLength: context,
      prefillChunk: 1,
      embeddingFormat: options.embeddingFormat,
    });
    await window.reportAnatomy(
      await measureStepAnatomy(ctx, model, await passAtHalfContext(model, 1, context), 1, context),
    );
    model.dispose();
  }
  await window.reportEnd(result);
}

main().catch((err) => window.reportEnd({ error: String((err as Error).stack ?? err) }));
