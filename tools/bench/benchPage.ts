// The benchmark in a browser tab: options come as CLI-style arguments in ?args=[...]; each row and
// the end are reported to tools/benchBrowser.ts through functions it exposes to the page.
import { createGpuContext } from '../../src/gpu/context.ts';
import { benchOptionsFromArgs, runBenchmark, type BenchResult, type BenchRow } from './runBenchmark.ts';

declare global {
  interface Window {
    reportRow(row: BenchRow): Promise<void>;
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
  await window.reportEnd(result);
}

main().catch((err) => window.reportEnd({ error: String((err as Error).stack ?? err) }));
