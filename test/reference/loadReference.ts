// Builds the CPU reference model straight from a Hugging Face checkpoint, with its own unpacking
// of the [out/4, in] layout (not the runtime's repacking), so the reference checks the loader too.
import type { ModelFiles } from '../../src/loader/byteSource.ts';
import { readCheckpointTensors } from '../../src/loader/safetensors.ts';
import { toFloat32 } from '../../src/loader/dtypes.ts';
import { parseBitNetConfig } from '../../src/model/config.ts';
import { quantizeMaster, type RefLinear, type RefModel } from './forward.ts';

export async function loadReferenceModel(files: ModelFiles): Promise<RefModel> {
  const config = parseBitNetConfig(JSON.parse(await files.readText('config.json')));
  const tensors = await readCheckpointTensors(files);
  const raw = async (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`reference: ${name} missing`);
    return { t, bytes: await t.source.read(t.offset, t.byteLength) };
  };
  const floats = async (name: string) => {
    const { t, bytes } = await raw(name);
    return toFloat32(bytes, t.dtype as 'BF16');
  };
  const linear = async (name: string): Promise<RefLinear> => {
    const { t, bytes } = await raw(`${name}.weight`);
    if (config.quantization.mode === 'online') {
      const [rows, cols] = t.shape;
      return { rows, cols, ...quantizeMaster(toFloat32(bytes, t.dtype as 'BF16')) };
    }
    const [quarter, cols] = t.shape;
    const rows = quarter * 4;
    const w = new Int8Array(rows * cols);
    for (let j = 0; j < quarter; j++) {
      for (let c = 0; c < cols; c++) {
        for (let i = 0; i < 4; i++) w[(i * quarter + j) * cols + c] = ((bytes[j * cols + c] >> (2 * i)) & 3) - 1;
      }
    }
    const scale = (await floats(`${name}.weight_scale`))[0];
    return { rows, cols, w, divisor: config.quantization.linearClass === 'bitlinear' ? scale : Math.fround(1 / scale) };
  };
  const layers = [];
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}`;
    layers.push({
      inputNorm: await floats(`${p}.input_layernorm.weight`),
      q: await linear(`${p}.self_attn.q_proj`),
      k: await linear(`${p}.self_attn.k_proj`),
      v: await linear(`${p}.self_attn.v_proj`),
      attnSubNorm: await floats(`${p}.self_attn.attn_sub_norm.weight`),
      o: await linear(`${p}.self_attn.o_proj`),
      postNorm: await floats(`${p}.post_attention_layernorm.weight`),
      gate: await linear(`${p}.mlp.gate_proj`),
      up: await linear(`${p}.mlp.up_proj`),
      ffnSubNorm: await floats(`${p}.mlp.ffn_sub_norm.weight`),
      down: await linear(`${p}.mlp.down_proj`),
    });
  }
  const embed = await floats('model.embed_tokens.weight');
  return {
    config,
    embed,
    lmHead: config.tieWordEmbeddings ? embed : await floats('lm_head.weight'),
    finalNorm: await floats('model.norm.weight'),
    layers,
  };
}
