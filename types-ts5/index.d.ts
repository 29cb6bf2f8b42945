// The package's types for TypeScript before 6, whose lib.dom has no WebGPU: it comes from
// @webgpu/types (TypeScript 6 and later use dist/types directly, which would otherwise clash).
/// <reference types="@webgpu/types" />
export * from '../dist/types/index.js';
