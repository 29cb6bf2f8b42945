// Runs the shared GPU checks (the same ones the Node tests run) on navigator.gpu and exposes the
// results to Playwright as window.checkResults.
import { createGpuContext } from '../../src/gpu/context.ts';
import { kernelChecks, type NamedCheck } from '../../test/kernelChecks.ts';
import { attentionChecks } from '../../test/attentionChecks.ts';
import { samplingChecks } from '../../test/samplingChecks.ts';
import {
  CONFIG_VARIANTS,
  FAMILY_FIXTURES,
  GGUF_GOLDEN_FILES,
  checkConfigVariant,
  checkFixture,
  checkLoadedFixture,
} from '../../test/modelChecks.ts';
import { httpFiles } from '../../src/loader/byteSource.ts';
import { defaultGemvLayout, defaultTernaryVariant } from '../../src/kernels/ternaryMatmul.ts';
import { createEngine } from '../../src/index.ts';
import { memoryStore } from '../../src/loader/shardStore.ts';
import {
  checkDeviceLossMidGeneration,
  checkOutOfMemoryDuringLoad,
  type GpuFailureEnv,
} from '../../test/gpuFailureChecks.ts';

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

/** A golden fixture folder fetched over HTTP (Range requests), checked with the adapter's default kernels. */
function fixtureCheck(fixturesUrl: string, folder: string): NamedCheck {
  return {
    name: `${folder} matches transformers`,
    async run(ctx) {
      const base = `${fixturesUrl}${folder}/`;
      const expected = await (await fetch(`${base}expected.json`)).json();
      // The kernel suite covers both dot-product variants; here the adapter's default is enough.
      await checkFixture(
        ctx,
        { name: folder, files: httpFiles(base), expected, embeddingFormat: 'bf16' },
        (l) => console.log(l),
        [{ variant: defaultTernaryVariant(ctx.caps), gemvLayout: defaultGemvLayout(ctx.caps) }],
      );
    },
  };
}

/** tiny-a in both storages, and the configuration variants. */
function modelChecks(fixturesUrl: string): NamedCheck[] {
  const variants: NamedCheck[] = CONFIG_VARIANTS.map((o) => ({
    name: `configuration seed ${o.seed} matches the CPU reference`,
    async run(ctx) {
      const tie = (await checkConfigVariant(ctx, o)).roundedOtherWay;
      if (tie) console.log(`seed ${o.seed} matched the reference with ${tie.value} rounded the other way`);
    },
  }));
  return [...['tiny-a/packed', 'tiny-a/bf16'].map((f) => fixtureCheck(fixturesUrl, f)), ...variants];
}

/**
 * tiny-a's GGUF files (served like the other fixtures, read with Range requests) through
 * createEngine: opened as GGUF, converted into shards in a memory cache, loaded from there.
 */
function ggufChecks(fixturesUrl: string): NamedCheck[] {
  return GGUF_GOLDEN_FILES.map((file) => ({
    name: `${file} through createEngine matches transformers on tiny-a`,
    async run(gpu) {
      const expected = await (await fetch(`${fixturesUrl}tiny-a/packed/expected.json`)).json();
      const engine = await createEngine({
        model: `${fixturesUrl}gguf/${file}`,
        gpu,
        store: memoryStore(),
        embeddingFormat: 'bf16',
      });
      await checkLoadedFixture(engine, { name: file, expected }, (l) => console.log(l));
    },
  }));
}

/** The default model served by Vite from public/, on fresh devices. */
function failureChecks(): NamedCheck[] {
  const env: GpuFailureEnv = {
    newGpu: () => createGpuContext(navigator.gpu),
    loadEngine: (gpu) =>
      createEngine({ model: `${location.origin}/models/bitnet-b1.58-en-11m/`, gpu, store: memoryStore() }),
  };
  return [
    {
      name: 'a device lost mid-generation ends the stream with DeviceLostError; a new engine continues',
      run: () => checkDeviceLossMidGeneration(env),
    },
    {
      name: 'an allocation the GPU cannot serve fails the load with GpuOutOfMemoryError',
      run: () => checkOutOfMemoryDuringLoad(env),
    },
  ];
}

async function main(): Promise<void> {
  const ctx = await createGpuContext(navigator.gpu);
  const params = new URLSearchParams(location.search);
  const suite = params.get('suite');
  const suites: Record<string, () => NamedCheck[]> = {
    kernels: () => [...kernelChecks, ...attentionChecks, ...samplingChecks],
    models: () => modelChecks(params.get('fixtures') ?? ''),
    // a fixture of each family besides transformers' bitnet (docs/modelFamilies.md)
    families: () => FAMILY_FIXTURES.map((f) => fixtureCheck(params.get('fixtures') ?? '', f)),
    gguf: () => ggufChecks(params.get('fixtures') ?? ''),
    failures: failureChecks,
  };
  const checks = suites[suite ?? '']?.() ?? [];
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
