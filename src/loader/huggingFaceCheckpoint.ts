import { ModelFormatError } from '../errors.ts';
import { parseBitNetConfig, type BitNetConfig } from '../model/config.ts';
import { packTernary, repackHuggingFaceTernary } from '../weights/ternaryLayout.ts';
import type { ModelFiles } from './byteSource.ts';
import type { CheckpointFormat } from './modelSource.ts';
import { readCheckpointTensors, type TensorInfo } from './safetensors.ts';
import { toBf16Words, toFloat32 } from './dtypes.ts';
import { parseJsonFile } from '../untrustedJson.ts';
import type { TernaryMatrixData, Bf16MatrixData, TensorRequest } from '../weights/tensorSource.ts';
import type { ModelTensorSource } from '../model/tensorPlan.ts';

/** The tokenizer files a checkpoint may have beside config.json, in the order they are stored. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];

/** The error for files that hold no checkpoint we read: config.json, the mark of one, is missing. */
export function notACheckpoint(files: ModelFiles): ModelFormatError {
  return new ModelFormatError(
    files.location,
    'has no config.json: not a Hugging Face checkpoint (or the path/URL is wrong)',
  );
}

/**
 * A Hugging Face BitNet checkpoint (config.json + safetensors) read tensor by tensor and
 * turned into the GPU layout: packed ternary weights are repacked, bf16 master weights are
 * quantized here with transformers' absmean rule.
 */
export const huggingFaceCheckpoint: CheckpointFormat = {
  recognizes: (files) => files.has('config.json'),
  async open(files) {
    const configJson = parseJsonFile(await files.readText('config.json'), 'config.json');
    const config = parseBitNetConfig(configJson);
    const source = new HuggingFaceTensorSource(config, await readCheckpointTensors(files));
    const tokenizerFiles: string[] = [];
    for (const file of TOKENIZER_FILES) if (await files.has(file)) tokenizerFiles.push(file);
    return {
      source,
      configJson: configJson as Record<string, unknown>,
      tokenizerFiles,
      readTokenizerFile: async (name) => (tokenizerFiles.includes(name) ? files.readText(name) : undefined),
    };
  },
};

/** The tensors of a Hugging Face checkpoint, read in place (see huggingFaceCheckpoint). */
export async function openHuggingFaceCheckpoint(files: ModelFiles): Promise<ModelTensorSource> {
  if (!(await huggingFaceCheckpoint.recognizes(files))) throw notACheckpoint(files);
  return (await huggingFaceCheckpoint.open(files)).source;
}

const FLOATS = ['BF16', 'F16', 'F32'] as const;

class HuggingFaceTensorSource implements ModelTensorSource {
  constructor(
    readonly config: BitNetConfig,
    private readonly tensors: Map<string, TensorInfo>,
  ) {}

  private tensor(name: string, shape: number[], dtypes: readonly string[]): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new ModelFormatError('checkpoint', `tensor ${name} is missing`);
    if (!dtypes.includes(t.dtype))
      throw new ModelFormatError(t.source.name, `tensor ${name} has dtype ${t.dtype}, expected ${dtypes.join(' or ')}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(t.source.name, `tensor ${name} has shape [${t.shape}], expected [${shape}]`);
    }
    return t;
  }

  private read(t: TensorInfo): Promise<Uint8Array> {
    return t.source.read(t.offset, t.byteLength);
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  check(r: TensorRequest): void {
    if (r.kind === 'vector') this.tensor(r.name, [r.rows], FLOATS);
    else if (r.kind === 'bf16') this.tensor(r.name, [r.rows, r.cols], FLOATS);
    else if (this.config.quantization.mode === 'online') this.tensor(`${r.name}.weight`, [r.rows, r.cols], FLOATS);
    else {
      this.tensor(`${r.name}.weight`, [Math.ceil(r.rows / 4), r.cols], ['U8']);
      this.tensor(`${r.name}.weight_scale`, [1], FLOATS);
    }
  }

  async ternary(name: string, rows: number, cols: number): Promise<TernaryMatrixData> {
    const { mode, linearClass } = this.config.quantization;
    if (mode === 'online') {
      const t = this.tensor(`${name}.weight`, [rows, cols], FLOATS);
      const w = toFloat32(await this.read(t), t.dtype as 'BF16');
      return quantizeMasterWeights(w, rows, cols);
    }
    const t = this.tensor(`${name}.weight`, [Math.ceil(rows / 4), cols], ['U8']);
    const s = this.tensor(`${name}.weight_scale`, [1], FLOATS);
    const scale = toFloat32(await this.read(s), s.dtype as 'BF16')[0];
    if (!(Number.isFinite(scale) && scale > 0))
      throw new ModelFormatError(s.source.name, `${name}.weight_scale is ${scale}, expected a positive number`);
    const packed = repackHuggingFaceTernary(await this.read(t), rows, cols);
    // bitlinear divides by the stored scale; autobitlinear multiplies by it.
    const divisor = linearClass === 'bitlinear' ? scale : 1 / scale;
    return { rows, cols, packed, rowScale: new Float32Array(rows).fill(divisor) };
  }

  async vector(name: string, length: number): Promise<Float32Array> {
    const t = this.tensor(name, [length], FLOATS);
    return toFloat32(await this.read(t), t.dtype as 'BF16');
  }

  async bf16Matrix(name: string, rows: number, cols: number): Promise<Bf16MatrixData> {
    const t = this.tensor(name, [rows, cols], FLOATS);
    return { rows, cols, words: toBf16Words(await this.read(t), t.dtype as 'BF16') };
  }
}

/**
 * transformers' online weight quantization (per tensor, absmean):
 * s = 1 / max(mean|W|, 1e-5); w = clamp(round(W * s), -1, 1); y = acc / (s_x * s).
 */
export function quantizeMasterWeights(w: Float32Array, rows: number, cols: number): TernaryMatrixData {
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += Math.abs(w[i]);
  const scale = Math.fround(1 / Math.max(Math.fround(sum / w.length), Math.fround(1e-5)));
  const values = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const v = Math.fround(w[i] * scale);
    // torch.round is half-to-even; after the clamp only +-0.5 differ from Math.round.
    values[i] = Math.max(-1, Math.min(1, Math.abs(v) === 0.5 ? 0 : Math.round(v)));
  }
  return { rows, cols, packed: packTernary(values, rows, cols), rowScale: new Float32Array(rows).fill(scale) };
}
