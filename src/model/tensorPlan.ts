// Which tensors a model has, from its config: one list, in the order the upload reads them and the
// converter stores them. CPU code only, so the loader uses it without the GPU side of the model.
import type { TensorRequest, TensorSource } from '../weights/tensorSource.ts';
import type { BitNetConfig } from './config.ts';
import { describeModel, type ModelDescription } from './description.ts';

/** A model's tensors with the config that says which there are and of what shape (tensorPlan). */
export interface ModelTensorSource extends TensorSource {
  readonly config: BitNetConfig;
}

/** The tensors of one layer by the GPU buffer they fill: q|k|v and gate|up are stacked into one each. */
export interface LayerTensors {
  inputNorm: TensorRequest[];
  qkv: TensorRequest[];
  attnSubNorm: TensorRequest[];
  o: TensorRequest[];
  postAttentionNorm: TensorRequest[];
  gateUp: TensorRequest[];
  ffnSubNorm: TensorRequest[];
  down: TensorRequest[];
}

/** Every tensor of a layer, in upload order, named as in Hugging Face checkpoints. */
function layerRequests(c: ModelDescription, i: number): LayerTensors {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const a = `model.layers.${i}.self_attn`;
  const m = `model.layers.${i}.mlp`;
  const vector = (name: string, n: number): TensorRequest[] => [{ kind: 'vector', name, rows: n, cols: 1 }];
  const ternary = (name: string, rows: number, cols: number): TensorRequest => ({ kind: 'ternary', name, rows, cols });
  return {
    inputNorm: vector(`model.layers.${i}.input_layernorm.weight`, H),
    qkv: [ternary(`${a}.q_proj`, qDim, H), ternary(`${a}.k_proj`, kvDim, H), ternary(`${a}.v_proj`, kvDim, H)],
    attnSubNorm: vector(`${a}.attn_sub_norm.weight`, qDim),
    o: [ternary(`${a}.o_proj`, H, qDim)],
    postAttentionNorm: vector(`model.layers.${i}.post_attention_layernorm.weight`, H),
    gateUp: [ternary(`${m}.gate_proj`, I, H), ternary(`${m}.up_proj`, I, H)],
    ffnSubNorm: vector(`${m}.ffn_sub_norm.weight`, I),
    down: [ternary(`${m}.down_proj`, H, I)],
  };
}

/** The model's tensors by their place: embedding, layers, final norm, and lm_head unless tied. */
export function modelRequests(c: ModelDescription): {
  embedding: TensorRequest;
  lmHead?: TensorRequest;
  finalNorm: TensorRequest;
  layers: LayerTensors[];
} {
  const matrix = (name: string): TensorRequest => ({ kind: 'bf16', name, rows: c.vocabSize, cols: c.hiddenSize });
  return {
    embedding: matrix('model.embed_tokens.weight'),
    lmHead: c.tieWordEmbeddings ? undefined : matrix('lm_head.weight'),
    finalNorm: { kind: 'vector', name: 'model.norm.weight', rows: c.hiddenSize, cols: 1 },
    layers: Array.from({ length: c.numLayers }, (_, i) => layerRequests(c, i)),
  };
}

/** Every tensor a model needs, in the order uploadModelWeights reads them (and shards store them). */
export function tensorPlan(c: BitNetConfig): TensorRequest[] {
  const plan = modelRequests(describeModel(c));
  return [
    plan.embedding,
    ...plan.layers.flatMap((l) => Object.values(l).flat()),
    plan.finalNorm,
    ...(plan.lmHead ? [plan.lmHead] : []),
  ];
}
