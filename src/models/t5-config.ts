// Parses a Hugging Face T5 `config.json` (model_type "t5" or "mt5") into the NativeT5Config the addon builds a
// T5ForConditionalGeneration from. Defaults are those of transformers' T5Config; where transformers 4 and 5
// read a field differently the comment says which reading is kept.
import type { NativeT5Config } from '../native/binding.js';
import type { FieldReader } from './config-fields.js';

export const T5_MODEL_TYPES = ['t5', 'mt5'] as const;

const ACTIVATIONS = ['relu', 'gelu', 'gelu_new', 'silu'] as const;

function isActivation(name: string): name is NativeT5Config['denseActivation'] {
  return (ACTIVATIONS as readonly string[]).includes(name);
}

/** `f` reads a config.json whose model_type is one of T5_MODEL_TYPES. */
export function parseT5Config(f: FieldReader): NativeT5Config {
  const mt5 = f.get('model_type') === 'mt5';
  const vocabSize = f.positiveInt('vocab_size', mt5 ? 250112 : 32128);
  const dModel = f.positiveInt('d_model', 512);
  const dKv = f.positiveInt('d_kv', 64);
  const dFf = f.positiveInt('d_ff', mt5 ? 1024 : 2048);
  const numLayers = f.positiveInt('num_layers', mt5 ? 8 : 6);
  const numDecoderLayers = f.positiveInt('num_decoder_layers', numLayers);
  const numHeads = f.positiveInt('num_heads', mt5 ? 6 : 8);
  const relativeAttentionNumBuckets = f.positiveInt('relative_attention_num_buckets', 32);
  if (relativeAttentionNumBuckets < 4) f.fail('relative_attention_num_buckets', `must be at least 4, got ${relativeAttentionNumBuckets}`);
  const relativeAttentionMaxDistance = f.positiveInt('relative_attention_max_distance', 128);
  if (relativeAttentionMaxDistance < relativeAttentionNumBuckets / 2) {
    f.fail('relative_attention_max_distance', `(${relativeAttentionMaxDistance}) must be at least relative_attention_num_buckets / 2`);
  }
  const dropoutRate = f.nonNegativeNumber('dropout_rate', 0.1);
  if (dropoutRate >= 1) f.fail('dropout_rate', `must be below 1, got ${dropoutRate}`);
  const layerNormEpsilon = f.positiveNumber('layer_norm_epsilon', 1e-6);
  const initializerFactor = f.positiveNumber('initializer_factor', 1.0);

  // transformers: "gated-<act>" or "<act>", and the historical "gated-gelu" means the tanh GELU (gelu_new).
  const proj = f.get('feed_forward_proj') ?? (mt5 ? 'gated-gelu' : 'relu');
  if (typeof proj !== 'string') f.fail('feed_forward_proj', `must be a string, got ${JSON.stringify(proj)}`);
  const parts = proj.split('-');
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'gated')) {
    f.fail('feed_forward_proj', `is ${JSON.stringify(proj)}; expected "<activation>" or "gated-<activation>" (e.g. "relu", "gated-gelu")`);
  }
  const gatedActivation = parts.length === 2;
  const activation = proj === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1]!;
  if (!isActivation(activation)) {
    f.fail('feed_forward_proj', `is ${JSON.stringify(proj)}; supported activations are ${ACTIVATIONS.join(', ')}`);
  }

  // transformers 4: tie_word_embeddings false = an own lm_head and no output rescale (T5 v1.1). transformers 5
  // writes scale_decoder_outputs and tie_word_embeddings: true, and ties lm_head when the checkpoint has none.
  // Both readings agree on these two flags. A checkpoint whose files hold their own lm_head.weight is untied
  // whatever config.json says (transformers 5 writes tie_word_embeddings: true for a v1.1 it re-saves):
  // src/models/load.ts checkpointModelConfig decides that from the files.
  const tieWordEmbeddings = f.bool('tie_word_embeddings', true);
  const scaleDecoderOutputs = f.bool('scale_decoder_outputs', tieWordEmbeddings);

  const padTokenId = f.nonNegativeInt('pad_token_id', 0);
  // T5 starts decoding at the pad token; configs that leave decoder_start_token_id out mean that.
  const decoderStartTokenId = f.nonNegativeInt('decoder_start_token_id', padTokenId);
  for (const [field, id] of [['pad_token_id', padTokenId], ['decoder_start_token_id', decoderStartTokenId]] as const) {
    if (id >= vocabSize) f.fail(field, `(${id}) must be a token id below vocab_size (${vocabSize})`);
  }
  if (f.has('quantization_config')) {
    f.fail('quantization_config', 'is set: quantized checkpoints are not supported; use the unquantized (float16/bfloat16/float32) weights');
  }

  return {
    modelType: 't5',
    vocabSize,
    dModel,
    dKv,
    dFf,
    numLayers,
    numDecoderLayers,
    numHeads,
    relativeAttentionNumBuckets,
    relativeAttentionMaxDistance,
    dropoutRate,
    layerNormEpsilon,
    initializerFactor,
    denseActivation: activation,
    gatedActivation,
    tieWordEmbeddings,
    scaleDecoderOutputs,
    decoderStartTokenId,
    padTokenId,
  };
}

/** Parameters of a T5 config (shared embedding, lm_head unless tied, both stacks, the two relative-bias tables). */
export function countT5Parameters(c: NativeT5Config): number {
  const inner = c.numHeads * c.dKv;
  const attention = 4 * c.dModel * inner;
  const ffn = (c.gatedActivation ? 3 : 2) * c.dModel * c.dFf;
  const encoderBlock = attention + ffn + 2 * c.dModel;
  const decoderBlock = 2 * attention + ffn + 3 * c.dModel;
  const embed = c.vocabSize * c.dModel;
  const relativeBias = 2 * c.relativeAttentionNumBuckets * c.numHeads;
  return (
    embed + (c.tieWordEmbeddings ? 0 : embed) + c.numLayers * encoderBlock + c.numDecoderLayers * decoderBlock + 2 * c.dModel + relativeBias
  );
}

/** The config.json of a native T5 config (built-in models); parseModelConfig(toHfT5Config(c)) round-trips to c. */
export function toHfT5Config(c: NativeT5Config, eosTokenId: number | null): Record<string, unknown> {
  const act = c.denseActivation === 'gelu_new' && c.gatedActivation ? 'gelu' : c.denseActivation;
  if (c.gatedActivation && c.denseActivation === 'gelu') {
    throw new Error('toHfT5Config: a gated exact-GELU FFN has no feed_forward_proj spelling ("gated-gelu" means the tanh GELU)');
  }
  return {
    architectures: ['T5ForConditionalGeneration'],
    model_type: 't5',
    vocab_size: c.vocabSize,
    d_model: c.dModel,
    d_kv: c.dKv,
    d_ff: c.dFf,
    num_layers: c.numLayers,
    num_decoder_layers: c.numDecoderLayers,
    num_heads: c.numHeads,
    relative_attention_num_buckets: c.relativeAttentionNumBuckets,
    relative_attention_max_distance: c.relativeAttentionMaxDistance,
    dropout_rate: c.dropoutRate,
    layer_norm_epsilon: c.layerNormEpsilon,
    initializer_factor: c.initializerFactor,
    feed_forward_proj: `${c.gatedActivation ? 'gated-' : ''}${act}`,
    is_encoder_decoder: true,
    tie_word_embeddings: c.tieWordEmbeddings,
    scale_decoder_outputs: c.scaleDecoderOutputs,
    decoder_start_token_id: c.decoderStartTokenId,
    pad_token_id: c.padTokenId,
    ...(eosTokenId !== null ? { eos_token_id: eosTokenId } : {}),
    torch_dtype: 'float32',
    use_cache: true,
  };
}
