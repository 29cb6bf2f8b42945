/** A ternary matrix already in the GPU layout (see ternaryLayout.ts). */
export interface TernaryMatrixData {
  rows: number;
  cols: number;
  packed: Uint32Array;
  /** Per-row divisor d in y = acc / (s_x * d). */
  rowScale: Float32Array;
}

/** A bf16 matrix as u32 words holding two values each (low half first). */
export interface Bf16MatrixData {
  rows: number;
  cols: number;
  words: Uint32Array;
}

/** One tensor a model needs: what kind, under which name, of which shape. */
export interface TensorRequest {
  kind: 'ternary' | 'vector' | 'bf16';
  name: string;
  rows: number;
  /** 1 for vectors. */
  cols: number;
}

/**
 * Tensors one at a time, named as in Hugging Face checkpoints (`model.layers.3.self_attn.q_proj`),
 * in the GPU layout whatever format they are stored in. Implemented by each source format the
 * loader reads (our shards, safetensors checkpoints).
 */
export interface TensorSource {
  has(name: string): boolean;
  /** Throws a ModelFormatError if the tensor is missing or of the wrong dtype or shape; reads nothing. */
  check(request: TensorRequest): void;
  ternary(name: string, rows: number, cols: number): Promise<TernaryMatrixData>;
  vector(name: string, length: number): Promise<Float32Array>;
  bf16Matrix(name: string, rows: number, cols: number): Promise<Bf16MatrixData>;
}
