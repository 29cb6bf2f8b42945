// Runs the shared GPU checks (the same ones the Node tests run) on navigator.gpu and exposes the
// results to Playwright as window.checkResults.
import { createGpuContext } from '../../src/gpu/context.ts';
import { kernelChecks } from '../../test/kernelChecks.ts';

interface CheckResult {
  name: string;
  ok: boolean;
  error?: string;
}

declare global {
  interface Window {
    checkResults?: { adapter: string; results: CheckResult[] };
    checkFailure?: string;
  }
}

async function main(): Promise<void> {
  const ctx = await createGpuContext(navigator.gpu);
  const suite = new URLSearchParams(location.search).get('suite');
  const checks = suite === 'kernels' ? kernelChecks : [];
  const results: CheckResult[] = [];
  for (const c of checks) {
    try {
      await c.run(ctx);
      results.push({ name: c.name, ok: true });
    } catch (err) {
      results.push({ name: c.name, ok: false, error: String((err as Error).stack ?? err) });
    }
  }
  window.checkResults = { adapter: ctx.caps.adapterName, results };
}

main().catch((err) => {
  window.checkFailure = String((err as Error).stack ?? err);
});
