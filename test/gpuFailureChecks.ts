// What happens when the GPU fails under a loaded model: a device lost mid-generation, and an
// allocation the GPU cannot serve while loading. Shared by the Node tests and the Chromium page.
import type { EngineInterface } from '../src/engine/engineInterface.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { check } from './check.ts';

export interface GpuFailureEnv {
  /** A fresh device (the lost one cannot come back). */
  newGpu(): Promise<GpuContext>;
  /** The default model on `gpu`: an Engine, or a WorkerEngine whose worker uses `gpu`. */
  loadEngine(gpu: GpuContext): Promise<EngineInterface>;
}

async function reply(engine: EngineInterface, messages: { role: 'user'; content: string }[]): Promise<string> {
  const completion = await engine.chat.completions.create({ messages, max_tokens: 16, temperature: 0 });
  return completion.choices[0].message.content;
}

async function rejection(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, got a result');
}

/**
 * Destroys the device after the first streamed token: the stream ends with DeviceLostError within
 * the steps already in flight, onDeviceLost hears of it once, later requests fail fast, and a new
 * engine on a new device continues the same conversation with the same reply as before the loss.
 */
export async function checkDeviceLossMidGeneration(env: GpuFailureEnv): Promise<void> {
  const messages = [{ role: 'user' as const, content: 'Once upon a time, the old house by the river' }];
  const kept = structuredClone(messages);
  const gpu = await env.newGpu();
  const engine = await env.loadEngine(gpu);
  const before = await reply(engine, messages);
  check(before.length > 0, 'the model replied before the loss');
  const reported: Error[] = [];
  engine.onDeviceLost = (error) => reported.push(error);

  let tokensAfterLoss = -1;
  const lost = await rejection(async () => {
    for await (const chunk of await engine.chat.completions.create({
      messages,
      max_tokens: 200,
      temperature: 0,
      stream: true,
    })) {
      if (tokensAfterLoss >= 0) tokensAfterLoss++;
      else if (chunk.choices[0].delta.content) {
        gpu.device.destroy();
        tokensAfterLoss = 0;
      }
    }
  });
  check(
    lost.name === 'DeviceLostError' && (lost as { code?: string }).code === 'device-lost',
    `expected DeviceLostError, got ${lost.name}: ${lost.message}`,
  );
  check(/create a new engine/.test(lost.message), `the message says what to do: ${lost.message}`);
  check(
    tokensAfterLoss >= 0 && tokensAfterLoss < 10,
    `tokens delivered after the loss: ${tokensAfterLoss} (only steps already read back may arrive)`,
  );
  const again = await rejection(() => reply(engine, messages));
  check(
    again.name === 'DeviceLostError',
    `a request after the loss fails fast with DeviceLostError, got ${again.name}: ${again.message}`,
  );
  check(
    reported.length === 1 && reported[0].name === 'DeviceLostError' && reported[0].message === lost.message,
    `onDeviceLost is called once with the stream's error: ${reported.map((e) => `${e.name}: ${e.message}`).join('; ')}`,
  );

  const recovered = await env.loadEngine(await env.newGpu());
  try {
    check(JSON.stringify(messages) === JSON.stringify(kept), 'the conversation is untouched');
    const after = await reply(recovered, messages);
    check(
      after === before,
      `the new engine continues the conversation as before the loss: ${JSON.stringify(after)} vs ${JSON.stringify(before)}`,
    );
  } finally {
    recovered.dispose();
  }
}

/**
 * Makes the first KV-cache buffer as large as the adapter's maxBufferSize, which the CPU drivers
 * cannot back: loading fails with GpuOutOfMemoryError, every buffer made so far is destroyed, and
 * the same device then loads the model normally.
 */
export async function checkOutOfMemoryDuringLoad(env: GpuFailureEnv): Promise<void> {
  const gpu = await env.newGpu();
  const { device } = gpu;
  const createBuffer = device.createBuffer;
  const live = new Set<GPUBuffer>();
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const oversized = descriptor.label === 'k0' ? { ...descriptor, size: device.limits.maxBufferSize } : descriptor;
    const buffer = createBuffer.call(device, oversized);
    live.add(buffer);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  const err = await rejection(() => env.loadEngine(gpu));
  device.createBuffer = createBuffer;
  check(
    err.name === 'GpuOutOfMemoryError' && /ran out of memory/.test(err.message),
    `expected GpuOutOfMemoryError, got ${err.name}: ${err.message}`,
  );
  check(live.size === 0, `buffers left behind after the failed load: ${[...live].map((b) => b.label).join(', ')}`);
  const engine = await env.loadEngine(gpu);
  try {
    check(
      (await reply(engine, [{ role: 'user', content: 'Hello' }])).length > 0,
      'the device still loads and runs the model',
    );
  } finally {
    engine.dispose();
  }
}
