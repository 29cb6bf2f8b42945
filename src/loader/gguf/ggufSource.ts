import { ModelFormatError } from '../../errors.ts';
import { packTernary } from '../../weights/ternaryLayout.ts';
import type { ByteSource } from '../byteSource.ts';
import { toBf16Words } from '../dtypes.ts';
import type { ModelTensorSource } from '../../model/tensorPlan.ts';
import type { Bf16MatrixData, TensorRequest, TernaryMatrixData } from '../../weights/tensorSource.ts';
import { parseBitNetConfig, type BitNetConfig } from '../../model/config.ts';
import { ggufTensorName, scaleTensorName, type GgufArchitecture } from './ggufArchitecture.ts';
import { ggufArchitecture, ggufConfigJson } from './ggufConfig.ts';
import { readGgufFile, type GgufFile, type GgufTensorInfo } from './ggufFile.ts';
import {
  FLOAT_TYPES,
  TERNARY_TYPES,
  decodeFloats,
  decodeTernary,
  isFloatType,
  unpermuteRopeRows,
} from './ggufTensors.ts';
import { ggufTokenizerFiles, type TokenizerFiles } from './ggufTokenizer.ts';

/** A GGUF model file opened: its tensors, the config.json it stands for, and its tokenizer. */
export interface OpenedGguf {
  file: GgufFile;
  /** general.architecture. */
  architecture: string;
  /** transformers' config.json of the same model (what the shard converter stores in its manifest). */
  configJson: Record<string, unknown>;
  source: GgufTensorSource;
  /** The tokenizer in the metadata as tokenizer.json / tokenizer_config.json; a ModelFormatError if it is not supported. */
  tokenizerFiles(): TokenizerFiles;
  /**
   * Those files' text by name, as a checkpoint directory would serve them (undefined for any other
   * name): the shape of the loader's OpenedModel.readTokenizerFile.
   */
  readTokenizerFile(name: string): Promise<string | undefined>;
}

/** Reads a GGUF file's header and opens it as a tensor source; refuses what this library cannot run, naming the key or tensor. */
export async function openGguf(source: ByteSource): Promise<OpenedGguf> {
  const file = await readGgufFile(source);
  const configJson = ggufConfigJson(file);
  const config = parseBitNetConfig(configJson, `${source.name} (metadata)`);
  const { name, arch } = ggufArchitecture(file);
  let tokenizer: TokenizerFiles | undefined;
  const tokenizerFiles = () => (tokenizer ??= ggufTokenizerFiles(file.metadata));
  return {
    file,
    architecture: name,
    configJson,
    source: new GgufTensorSource(file, config, arch),
    tokenizerFiles,
    async readTokenizerFile(fileName) {
      if (fileName === 'tokenizer.json') return JSON.stringify(tokenizerFiles().tokenizerJson);
      if (fileName === 'tokenizer_config.json') return JSON.stringify(tokenizerFiles().tokenizerConfig);
      return undefined;
    },
  };
}

/** How many tensors of each ggml type a file holds (for `info`). */
export function ggufTypeCounts(file: GgufFile): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of file.tensors.values()) counts[t.typeName] = (counts[t.typeName] ?? 0) + 1;
  return counts;
}

/**
 * A GGUF model's tensors under Hugging Face names: linear weights (I2_S, TQ1_0, TQ2_0, or exactly
 * ternary F16/BF16/F32) become packed ternary with one scale per tensor, Q and K rows of `llama`
 * files are put back in transformers' order, norms and embeddings stay float.
 */
export class GgufTensorSource implements ModelTensorSource {
  constructor(
    readonly file: GgufFile,
    readonly config: BitNetConfig,
    private readonly arch: GgufArchitecture,
  ) {}

  private get fileName(): string {
    return this.file.source.name;
  }

  /** The tensor the model asks for as `hfName`, checked for type and ggml dims. */
  private tensor(hfName: string, dims: number[], types: readonly string[]): GgufTensorInfo {
    const name = ggufTensorName(hfName);
    const t = name === undefined ? undefined : this.file.tensors.get(name);
    if (!t) throw new ModelFormatError(this.fileName, `tensor ${name ?? hfName} (${hfName}) is missing`);
    if (!types.includes(t.typeName))
      throw new ModelFormatError(
        this.fileName,
        `tensor ${t.name} is ${t.typeName}; this library loads ${hfName} from ${types.join(', ')}`,
      );
    if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i]))
      throw new ModelFormatError(this.fileName, `tensor ${t.name} has dims [${t.dims}], expected [${dims}]`);
    return t;
  }

  private read(t: GgufTensorInfo): Promise<Uint8Array> {
    return this.file.source.read(t.offset, t.byteLength);
  }

  has(name: string): boolean {
    const g = ggufTensorName(name);
    return g !== undefined && this.file.tensors.has(g);
  }

  check(r: TensorRequest): void {
    if (r.kind === 'vector') this.tensor(r.name, [r.rows], FLOAT_TYPES);
    else if (r.kind === 'bf16') this.tensor(r.name, [r.cols, r.rows], FLOAT_TYPES);
    else this.scaleTensor(this.tensor(r.name, [r.cols, r.rows], TERNARY_TYPES));
  }

  /** llama.cpp's optional per-tensor scale beside a linear weight (`blk.N.attn_q.scale`, one float). */
  private scaleTensor(weight: GgufTensorInfo): GgufTensorInfo | undefined {
    const s = this.file.tensors.get(scaleTensorName(weight.name));
    if (s && (!isFloatType(s.typeName) || s.dims.length !== 1 || s.dims[0] !== 1))
      throw new ModelFormatError(this.fileName, `tensor ${s.name} is ${s.typeName} [${s.dims}], expected one float`);
    return s;
  }

  async ternary(name: string, rows: number, cols: number): Promise<TernaryMatrixData> {
    const t = this.tensor(name, [cols, rows], TERNARY_TYPES);
    const decoded = decodeTernary(this.fileName, t, await this.read(t));
    let scale = decoded.scale;
    const s = this.scaleTensor(t);
    if (s) {
      const extra = decodeFloats(this.fileName, s, await this.read(s))[0];
      if (!(Number.isFinite(extra) && extra > 0))
        throw new ModelFormatError(this.fileName, `tensor ${s.name} is ${extra}, expected a positive number`);
      scale *= extra;
    }
    let codes = decoded.codes;
    if (this.arch.permutesQK && /\.(q|k)_proj$/.test(name)) {
      const heads = name.endsWith('q_proj') ? this.config.numHeads : this.config.numKvHeads;
      codes = unpermuteRopeRows(codes, rows, cols, heads);
    }
    // the kernels divide by the row scale: y = acc / (s_x * d), and the weights are scale * codes
    return { rows, cols, packed: packTernary(codes, rows, cols), rowScale: new Float32Array(rows).fill(1 / scale) };
  }

  async vector(name: string, length: number): Promise<Float32Array> {
    const t = this.tensor(name, [length], FLOAT_TYPES);
    return decodeFloats(this.fileName, t, await this.read(t));
  }

  async bf16Matrix(name: string, rows: number, cols: number): Promise<Bf16MatrixData> {
    const t = this.tensor(name, [cols, rows], FLOAT_TYPES);
    return { rows, cols, words: toBf16Words(await this.read(t), t.typeName as (typeof FLOAT_TYPES)[number]) };
  }
}
