// Which tensors a model has, from its config: one list, in the order the upload reads them and the
// converter stores them. CPU code only, so the loader uses it without the GPU side of the model.
import type { TensorRequest, TensorSource } from '../weights/tensorSource.ts';
import type { BitNetConfig, ModelFamily } from './config.ts';
import { describeModel, type ModelDescription } from './description.ts';

/** A model's tensors with the config that says which there are and of what shape (tensorPlan). */
export interface ModelTensorSource extends TensorSource {
  readonly config: BitNetConfig;
}

/**
 * The tensors of one GPU linear layer: ternary matrices stacked by rows into one (q | k | v and
 * gate | up share their int8 input), and with use_rms_norm the weight of the RMSNorm inside the
 * BitLinear (`<linear>.rms_norm.weight`).
 */
export interface LinearTensors {
  inputNorm?: TensorRequest;
  weights: TensorRequest[];
}

/** The tensors of one layer by the GPU buffer they fill. */
export interface LayerTensors {
  inputNorm: TensorRequest;
  /** q | k | v stacked into one linear, or (use_rms_norm: each quantizes its own input) three. */
  qkv: LinearTensors[];
  /** Present exactly when the description has subNorms; so is ffnSubNorm. */
  attnSubNorm?: TensorRequest;
  o: LinearTensors;
  postAttentionNorm: TensorRequest;
  /** gate | up stacked into one linear, or (use_rms_norm) two. */
  gateUp: LinearTensors[];
  ffnSubNorm?: TensorRequest;
  down: LinearTensors;
}

/** The sub-norms' names after `model.layers.N.`, in the families that have them. */
const SUB_NORM_NAMES: Record<ModelFamily, { attn: string; ffn: string } | null> = {
  bitnet: { attn: 'self_attn.attn_sub_norm', ffn: 'mlp.ffn_sub_norm' },
  // 1bitLLM's modeling_bitnet.py
  '1bitllm': { attn: 'self_attn.inner_attn_ln', ffn: 'mlp.ffn_layernorm' },
  'llama-bitnet': null,
};

/** Every tensor of a layer, named as in Hugging Face checkpoints. */
function layerRequests(c: ModelDescription, i: number): LayerTensors {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const layer = `model.layers.${i}`;
  const vector = (name: string, n: number): TensorRequest => ({ kind: 'vector', name, rows: n, cols: 1 });
  const ternary = (name: string, rows: number, cols: number): TensorRequest => ({ kind: 'ternary', name, rows, cols });
  const withNorm = (t: TensorRequest): LinearTensors => ({
    inputNorm: vector(`${t.name}.rms_norm.weight`, t.cols),
    weights: [t],
  });
  // linears reading the same input: one stacked matrix, unless each normalizes that input itself
  const shared = (...ts: TensorRequest[]): LinearTensors[] =>
    c.linearNormEps === null ? [{ weights: ts }] : ts.map(withNorm);
  const single = (t: TensorRequest): LinearTensors => shared(t)[0];
  const subNorms = SUB_NORM_NAMES[c.family];
  return {
    inputNorm: vector(`${layer}.input_layernorm.weight`, H),
    qkv: shared(
      ternary(`${layer}.self_attn.q_proj`, qDim, H),
      ternary(`${layer}.self_attn.k_proj`, kvDim, H),
      ternary(`${layer}.self_attn.v_proj`, kvDim, H),
    ),
    attnSubNorm: subNorms ? vector(`${layer}.${subNorms.attn}.weight`, qDim) : undefined,
    o: single(ternary(`${layer}.self_attn.o_proj`, H, qDim)),
    postAttentionNorm: vector(`${layer}.post_attention_layernorm.weight`, H),
    gateUp: shared(ternary(`${layer}.mlp.gate_proj`, I, H), ternary(`${layer}.mlp.up_proj`, I, H)),
    ffnSubNorm: subNorms ? vector(`${layer}.${subNorms.ffn}.weight`, I) : undefined,
    down: single(ternary(`${layer}.mlp.down_proj`, H, I)),
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

/** A linear's tensors in upload order: its input norm, then the matrices it stacks. */
function linearTensorOrder(l: LinearTensors): TensorRequest[] {
  return [...(l.inputNorm ? [l.inputNorm] : []), ...l.weights];
}

/** A layer's tensors in upload order (the order of LayerTensors' fields). */
function layerTensorOrder(l: LayerTensors): TensorRequest[] {
  const optional = (t?: TensorRequest) => (t ? [t] : []);
  return [
    l.inputNorm,
    ...l.qkv.flatMap(linearTensorOrder),
    ...optional(l.attnSubNorm),
    ...linearTensorOrder(l.o),
    l.postAttentionNorm,
    ...l.gateUp.flatMap(linearTensorOrder),
    ...optional(l.ffnSubNorm),
    ...linearTensorOrder(l.down),
  ];
}

/** Every tensor a model needs, in the order uploadModelWeights reads them (and shards store them). */
export function tensorPlan(c: BitNetConfig): TensorRequest[] {
  const plan = modelRequests(describeModel(c));
  return [
    plan.embedding,
    ...plan.layers.flatMap(layerTensorOrder),
    plan.finalNorm,
    ...(plan.lmHead ? [plan.lmHead] : []),
  ];
}
