// Builds the CPU reference model straight from a Hugging Face checkpoint of any supported family,
// with its own reading of config.json (referenceConfig.ts) and its own unpacking of the [out/4, in]
// layout (not the runtime's repacking), so the reference checks the loader too.
import type { ModelFiles } from '../../src/loader/byteSource.ts';
import { readCheckpointTensors } from '../../src/loader/safetensors.ts';
import { toFloat32 } from '../../src/loader/dtypes.ts';
import { quantizeMaster, type RefLayer, type RefLinear, type RefModel } from './forward.ts';
import { referenceConfig } from './referenceConfig.ts';

/** transformers' unpack_weights: output row i * (out/4) + j sits in byte [j, c] at bits 2i..2i+1, stored as w + 1. */
export function unpackTernary(bytes: Uint8Array, quarter: number, cols: number): Int8Array {
  const w = new Int8Array(quarter * 4 * cols);
  for (let j = 0; j < quarter; j++) {
    for (let c = 0; c < cols; c++) {
      for (let i = 0; i < 4; i++) w[(i * quarter + j) * cols + c] = ((bytes[j * cols + c] >> (2 * i)) & 3) - 1;
    }
  }
  return w;
}

export async function loadReferenceModel(files: ModelFiles): Promise<RefModel> {
  const { arch, weights, subNormNames } = referenceConfig(JSON.parse(await files.readText('config.json')));
  const tensors = await readCheckpointTensors(files);
  const raw = async (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`reference: ${name} missing`);
    return { t, bytes: await t.source.read(t.offset, t.byteLength) };
  };
  const floats = async (name: string) => {
    const { t, bytes } = await raw(name);
    if (t.dtype !== 'BF16' && t.dtype !== 'F16' && t.dtype !== 'F32')
      throw new Error(`reference: ${name} is ${t.dtype}`);
    return toFloat32(bytes, t.dtype);
  };
  const linear = async (name: string): Promise<RefLinear> => {
    const { t, bytes } = await raw(`${name}.weight`);
    const inputNorm = arch.linearNormEps === null ? undefined : await floats(`${name}.rms_norm.weight`);
    if (weights.kind === 'master') {
      const [rows, cols] = t.shape;
      return { rows, cols, ...quantizeMaster(await floats(`${name}.weight`)), inputNorm };
    }
    if (t.dtype !== 'U8') throw new Error(`reference: ${name}.weight is ${t.dtype}, expected packed U8`);
    const [quarter, cols] = t.shape;
    const scale = (await floats(`${name}.weight_scale`))[0];
    return {
      rows: quarter * 4,
      cols,
      w: unpackTernary(bytes, quarter, cols),
      divisor: weights.scale === 'divide' ? scale : Math.fround(1 / scale),
      inputNorm,
    };
  };
  const layers: RefLayer[] = [];
  for (let i = 0; i < arch.numLayers; i++) {
    const p = `model.layers.${i}`;
    layers.push({
      inputNorm: await floats(`${p}.input_layernorm.weight`),
      q: await linear(`${p}.self_attn.q_proj`),
      k: await linear(`${p}.self_attn.k_proj`),
      v: await linear(`${p}.self_attn.v_proj`),
      attnSubNorm: subNormNames ? await floats(`${p}.${subNormNames.attn}.weight`) : undefined,
      o: await linear(`${p}.self_attn.o_proj`),
      postNorm: await floats(`${p}.post_attention_layernorm.weight`),
      gate: await linear(`${p}.mlp.gate_proj`),
      up: await linear(`${p}.mlp.up_proj`),
      ffnSubNorm: subNormNames ? await floats(`${p}.${subNormNames.ffn}.weight`) : undefined,
      down: await linear(`${p}.mlp.down_proj`),
    });
  }
  const embed = await floats('model.embed_tokens.weight');
  return {
    arch,
    embed,
    // transformers ties lm_head to the embeddings whatever else the file holds
    lmHead: arch.tieWordEmbeddings ? embed : await floats('lm_head.weight'),
    finalNorm: await floats('model.norm.weight'),
    layers,
  };
}
