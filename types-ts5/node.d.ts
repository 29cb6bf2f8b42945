// The Node entry's types for TypeScript before 6 (see index.d.ts).
/// <reference types="@webgpu/types" />
export * from '../dist/types/node/index.js';
