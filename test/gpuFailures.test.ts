// A lost device and an out-of-memory load, on Dawn (see gpuFailureChecks.ts; Chromium runs the same).
import { test } from 'node:test';
import { createEngine } from '../src/node/index.ts';
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { checkDeviceLossMidGeneration, checkOutOfMemoryDuringLoad, type GpuFailureEnv } from './gpuFailureChecks.ts';
import { testGpuContext } from './gpuContext.ts';

const MODEL = new URL('../public/models/bitnet-b1.58-en-11m', import.meta.url).pathname;
const env: GpuFailureEnv = {
  // the first context checks the adapter is the one this run is for
  newGpu: async () => (await testGpuContext(), createNodeGpuContext()),
  loadEngine: (gpu) => createEngine({ model: MODEL, gpu }),
};

test('a device lost mid-generation ends the stream with DeviceLostError; a new engine continues the conversation', () =>
  checkDeviceLossMidGeneration(env));

test('an allocation the GPU cannot serve fails the load with GpuOutOfMemoryError and leaves nothing behind', () =>
  checkOutOfMemoryDuringLoad(env));
