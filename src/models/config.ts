// Parses and validates a Hugging Face `config.json` (a Llama-family decoder here; T5 in t5-config.ts) into the NativeModelConfig the
// addon builds its model from. Defaults follow the transformers config classes of each model type, so a
// config.json that leaves a field out means what it means to `transformers`. Every error names the field
// and the file it came from.
import { readFile } from 'node:fs/promises';
import type { NativeDecoderConfig, NativeModelConfig } from '../native/binding.js';
import { ConfigError, FieldReader, isObject, type Json } from './config-fields.js';
import { T5_MODEL_TYPES, countT5Parameters, parseT5Config, toHfT5Config } from './t5-config.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';
import { printable } from '../util/printable.js';

export { ConfigError } from './config-fields.js';

export type DecoderModelType = NativeDecoderConfig['modelType'];
export const DECODER_MODEL_TYPES: readonly DecoderModelType[] = ['llama', 'mistral', 'qwen2', 'qwen3'];
/** Every config.json model_type peft-native reads. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = [...DECODER_MODEL_TYPES, ...T5_MODEL_TYPES];
export const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'llama3'] as const;

/** Per-model-type defaults of the transformers config classes (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config). */
interface TypeDefaults {
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  /** head_dim when config.json leaves it out: null = hidden_size / num_attention_heads. */
  headDim: number | null;
  /** sliding_window when config.json leaves it out. */
  slidingWindow: number | null;
  maxWindowLayers: number;
}

const TYPE_DEFAULTS: Record<DecoderModelType, TypeDefaults> = {
  llama: { maxPositionEmbeddings: 2048, rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, headDim: null, slidingWindow: null, maxWindowLayers: 0 },
  mistral: { maxPositionEmbeddings: 4096 * 32, rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, headDim: null, slidingWindow: 4096, maxWindowLayers: 0 },
  qwen2: { maxPositionEmbeddings: 32768, rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, headDim: null, slidingWindow: 4096, maxWindowLayers: 28 },
  qwen3: { maxPositionEmbeddings: 32768, rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, headDim: 128, slidingWindow: 4096, maxWindowLayers: 28 },
};

/** Reads the rope parameters: transformers-5 `rope_parameters` first, else `rope_theta` + `rope_scaling`. */
function parseRope(
  f: FieldReader,
  defaults: TypeDefaults,
  maxPositionEmbeddings: number,
): { ropeTheta: number; ropeScaling: NativeDecoderConfig['ropeScaling'] } {
  let params: Json | null = null;
  let where = 'rope_scaling';
  let ropeTheta = f.positiveNumber('rope_theta', defaults.ropeTheta);

  const ropeParameters = f.get('rope_parameters');
  if (ropeParameters !== undefined && ropeParameters !== null) {
    where = 'rope_parameters';
    if (!isObject(ropeParameters)) f.fail('rope_parameters', `must be an object, got ${JSON.stringify(ropeParameters)}`);
    if ('rope_type' in ropeParameters || 'rope_theta' in ropeParameters || 'type' in ropeParameters) {
      params = ropeParameters;
    } else {
      // Per-layer-type form ({"full_attention": {...}, ...}): usable only when every layer type agrees.
      const entries = Object.entries(ropeParameters);
      const first = entries[0]?.[1];
      const same = entries.every(([, v]) => JSON.stringify(v) === JSON.stringify(first));
      if (!isObject(first) || !same) {
        f.fail('rope_parameters', `has different RoPE settings per layer type (${entries.map(([k]) => k).join(', ')}), which is not supported`);
      }
      where = `rope_parameters.${entries[0]![0]}`;
      params = first;
    }
    if (params.rope_theta !== undefined && params.rope_theta !== null) {
      const t = params.rope_theta;
      if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) f.fail(`${where}.rope_theta`, `must be a positive number, got ${JSON.stringify(t)}`);
      ropeTheta = t;
    }
  } else {
    const scaling = f.get('rope_scaling');
    if (scaling !== undefined && scaling !== null) {
      if (!isObject(scaling)) f.fail('rope_scaling', `must be an object or null, got ${JSON.stringify(scaling)}`);
      params = scaling;
    }
  }

  const none: NativeDecoderConfig['ropeScaling'] = {
    type: 'default',
    factor: 1,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositionEmbeddings: maxPositionEmbeddings,
  };
  if (!params) return { ropeTheta, ropeScaling: none };
  const p: Json = params;

  const kind = p.rope_type ?? p.type ?? 'default';
  if (typeof kind !== 'string') f.fail(`${where}.rope_type`, `must be a string, got ${JSON.stringify(kind)}`);
  if (!(SUPPORTED_ROPE_TYPES as readonly string[]).includes(kind)) {
    f.fail(
      `${where}.rope_type`,
      `is "${printable(kind, 40)}", which peft-native does not support (supported: ${SUPPORTED_ROPE_TYPES.join(', ')})`,
    );
  }
  const num = (key: string, required: boolean, fallback: number): number => {
    const v = p[key];
    if (v === undefined || v === null) {
      if (required) f.fail(`${where}.${key}`, `is missing (required for rope_type "${kind}")`);
      return fallback;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) f.fail(`${where}.${key}`, `must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  if (kind === 'default') return { ropeTheta, ropeScaling: none };
  if (kind === 'linear') {
    return { ropeTheta, ropeScaling: { ...none, type: 'linear', factor: num('factor', true, 1) } };
  }
  // llama3
  const lowFreqFactor = num('low_freq_factor', true, 1);
  const highFreqFactor = num('high_freq_factor', true, 4);
  if (highFreqFactor <= lowFreqFactor) {
    f.fail(`${where}.high_freq_factor`, `(${highFreqFactor}) must be greater than low_freq_factor (${lowFreqFactor})`);
  }
  const original = num('original_max_position_embeddings', true, maxPositionEmbeddings);
  if (!Number.isInteger(original)) f.fail(`${where}.original_max_position_embeddings`, `must be an integer, got ${original}`);
  return {
    ropeTheta,
    ropeScaling: { type: 'llama3', factor: num('factor', true, 1), lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: original },
  };
}

function parseSlidingWindow(f: FieldReader, type: DecoderModelType, defaults: TypeDefaults, numLayers: number): number {
  if (type === 'llama') return 0;
  const windowField = f.get('sliding_window');
  const readWindow = (): number => {
    if (windowField === null) return 0;
    if (windowField === undefined) return defaults.slidingWindow ?? 0;
    return f.positiveInt('sliding_window');
  };
  if (type === 'mistral') return readWindow();
  // qwen2 / qwen3: only with use_sliding_window, and only on layers >= max_window_layers (transformers' rule).
  if (!f.bool('use_sliding_window', false)) return 0;
  const window = readWindow();
  if (window === 0) return 0;
  const maxWindowLayers = f.nonNegativeInt('max_window_layers', defaults.maxWindowLayers);
  if (maxWindowLayers >= numLayers) return 0; // no layer slides
  if (maxWindowLayers === 0) return window; // every layer slides
  f.fail(
    'use_sliding_window',
    `is true with max_window_layers=${maxWindowLayers} < num_hidden_layers=${numLayers}: sliding-window attention on only some layers is not supported`,
  );
}

/**
 * Validates a parsed config.json object. `file` is only used in messages.
 * Returns the native config; the raw object is left untouched (save.ts writes it back unchanged).
 */
export function parseModelConfig(raw: unknown, file = 'config.json'): NativeModelConfig {
  if (!isObject(raw)) throw new ConfigError(`${file}: expected a JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  const f = new FieldReader(raw, file);

  const modelType = raw.model_type;
  if (typeof modelType !== 'string' || !SUPPORTED_MODEL_TYPES.includes(modelType)) {
    const got = modelType === undefined ? 'no model_type' : `model_type ${JSON.stringify(modelType)}`;
    throw new ConfigError(
      `${file}: ${got} is not supported; peft-native supports model_type ${SUPPORTED_MODEL_TYPES.map((t) => `"${t}"`).join(', ')} (Llama-family decoders and T5 encoder-decoders)`,
    );
  }
  if ((T5_MODEL_TYPES as readonly string[]).includes(modelType)) return parseT5Config(f);
  const type = modelType as DecoderModelType;
  const defaults = TYPE_DEFAULTS[type];

  if (raw.quantization_config !== undefined && raw.quantization_config !== null) {
    throw new ConfigError(`${file}: quantization_config is set: quantized checkpoints are not supported; use the unquantized (float16/bfloat16/float32) weights`);
  }

  const hiddenAct = raw.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu' && hiddenAct !== 'swish') {
    f.fail('hidden_act', `is ${JSON.stringify(hiddenAct)}; only "silu" (SwiGLU) is supported`);
  }

  const vocabSize = f.positiveInt('vocab_size');
  const hiddenSize = f.positiveInt('hidden_size');
  const intermediateSize = f.positiveInt('intermediate_size');
  const numHiddenLayers = f.positiveInt('num_hidden_layers');
  const numAttentionHeads = f.positiveInt('num_attention_heads');
  const numKeyValueHeads = f.positiveInt('num_key_value_heads', numAttentionHeads);
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    f.fail('num_key_value_heads', `(${numKeyValueHeads}) must divide num_attention_heads (${numAttentionHeads})`);
  }

  let headDim: number;
  if (f.has('head_dim')) {
    headDim = f.positiveInt('head_dim');
  } else if (defaults.headDim !== null) {
    headDim = defaults.headDim;
  } else {
    if (hiddenSize % numAttentionHeads !== 0) {
      f.fail('num_attention_heads', `(${numAttentionHeads}) must divide hidden_size (${hiddenSize}) when head_dim is not given`);
    }
    headDim = hiddenSize / numAttentionHeads;
  }
  if (headDim % 2 !== 0) f.fail('head_dim', `must be even for rotary embeddings, got ${headDim}`);

  const maxPositionEmbeddings = f.positiveInt('max_position_embeddings', defaults.maxPositionEmbeddings);
  const rmsNormEps = f.positiveNumber('rms_norm_eps', defaults.rmsNormEps);
  const { ropeTheta, ropeScaling } = parseRope(f, defaults, maxPositionEmbeddings);
  const tieWordEmbeddings = f.bool('tie_word_embeddings', defaults.tieWordEmbeddings);
  const initializerRange = f.nonNegativeNumber('initializer_range', 0.02);

  let qkvBias = false;
  let oBias = false;
  let mlpBias = false;
  let qkNorm = false;
  switch (type) {
    case 'llama':
      qkvBias = oBias = f.bool('attention_bias', false);
      mlpBias = f.bool('mlp_bias', false);
      break;
    case 'mistral':
      break;
    case 'qwen2':
      qkvBias = true;
      break;
    case 'qwen3':
      qkvBias = oBias = f.bool('attention_bias', false);
      qkNorm = true;
      break;
  }

  const slidingWindow = parseSlidingWindow(f, type, defaults, numHiddenLayers);

  return {
    modelType: type,
    vocabSize,
    hiddenSize,
    intermediateSize,
    numHiddenLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps,
    ropeTheta,
    ropeScaling,
    maxPositionEmbeddings,
    tieWordEmbeddings,
    qkvBias,
    oBias,
    mlpBias,
    qkNorm,
    slidingWindow,
    initializerRange,
  };
}

/** Reads and validates `<file>` (a config.json path). Returns the native config and the raw JSON object. */
export async function readModelConfig(file: string): Promise<{ config: NativeModelConfig; raw: Record<string, unknown> }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the model config (${err instanceof Error ? err.message : String(err)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${jsonSyntaxProblem(err)})`);
  }
  const config = parseModelConfig(raw, file);
  return { config, raw: raw as Record<string, unknown> };
}

/**
 * The HF config.json of a native config (for built-in models, whose checkpoints we write ourselves).
 * parseModelConfig(toHfConfig(c)) round-trips to c.
 */
export function toHfConfig(
  c: NativeModelConfig,
  tokens: { bosTokenId?: number | null; eosTokenId?: number | null; padTokenId?: number | null } = {},
): Record<string, unknown> {
  if (c.modelType === 't5') return toHfT5Config(c, tokens.eosTokenId ?? null);
  const architectures: Record<DecoderModelType, string> = {
    llama: 'LlamaForCausalLM',
    mistral: 'MistralForCausalLM',
    qwen2: 'Qwen2ForCausalLM',
    qwen3: 'Qwen3ForCausalLM',
  };
  const ropeScaling =
    c.ropeScaling.type === 'default'
      ? null
      : c.ropeScaling.type === 'linear'
        ? { rope_type: 'linear', factor: c.ropeScaling.factor }
        : {
            rope_type: 'llama3',
            factor: c.ropeScaling.factor,
            low_freq_factor: c.ropeScaling.lowFreqFactor,
            high_freq_factor: c.ropeScaling.highFreqFactor,
            original_max_position_embeddings: c.ropeScaling.originalMaxPositionEmbeddings,
          };
  const out: Record<string, unknown> = {
    architectures: [architectures[c.modelType]],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    num_key_value_heads: c.numKeyValueHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    max_position_embeddings: c.maxPositionEmbeddings,
    initializer_range: c.initializerRange,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: ropeScaling,
    tie_word_embeddings: c.tieWordEmbeddings,
    torch_dtype: 'float32',
    use_cache: true,
  };
  if (tokens.bosTokenId !== undefined && tokens.bosTokenId !== null) out.bos_token_id = tokens.bosTokenId;
  if (tokens.eosTokenId !== undefined && tokens.eosTokenId !== null) out.eos_token_id = tokens.eosTokenId;
  if (tokens.padTokenId !== undefined && tokens.padTokenId !== null) out.pad_token_id = tokens.padTokenId;
  switch (c.modelType) {
    case 'llama':
      if (c.qkvBias !== c.oBias) throw new Error('toHfConfig: a llama config has the same bias on q/k/v and o');
      out.attention_bias = c.qkvBias;
      out.mlp_bias = c.mlpBias;
      break;
    case 'mistral':
      out.sliding_window = c.slidingWindow > 0 ? c.slidingWindow : null;
      break;
    case 'qwen2':
    case 'qwen3':
      if (c.modelType === 'qwen3') out.attention_bias = c.qkvBias;
      out.use_sliding_window = c.slidingWindow > 0;
      out.sliding_window = c.slidingWindow > 0 ? c.slidingWindow : null;
      if (c.slidingWindow > 0) out.max_window_layers = 0;
      break;
  }
  return out;
}

/** Total parameters of a config (embeddings, lm_head unless tied, norms, biases), for presets and messages. */
export function countParameters(c: NativeModelConfig): number {
  if (c.modelType === 't5') return countT5Parameters(c);
  const q = c.numAttentionHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  let attn = c.hiddenSize * q + 2 * c.hiddenSize * kv + q * c.hiddenSize;
  if (c.qkvBias) attn += q + 2 * kv;
  if (c.oBias) attn += c.hiddenSize;
  if (c.qkNorm) attn += 2 * c.headDim;
  let mlp = 3 * c.hiddenSize * c.intermediateSize;
  if (c.mlpBias) mlp += 2 * c.intermediateSize + c.hiddenSize;
  const norms = 2 * c.hiddenSize;
  const layers = c.numHiddenLayers * (attn + mlp + norms);
  const embed = c.vocabSize * c.hiddenSize;
  return layers + embed + (c.tieWordEmbeddings ? 0 : embed) + c.hiddenSize;
}

/** The model width: hidden_size (decoders) or d_model (T5). */
export function modelWidth(c: NativeModelConfig): number {
  return c.modelType === 't5' ? c.dModel : c.hiddenSize;
}

/** Transformer blocks: decoder layers, or T5's encoder plus decoder blocks. */
export function blockCount(c: NativeModelConfig): number {
  return c.modelType === 't5' ? c.numLayers + c.numDecoderLayers : c.numHiddenLayers;
}

/** The longest sequence the position embeddings cover; T5's relative positions set no limit. */
export function maxPositions(c: NativeModelConfig): number {
  return c.modelType === 't5' ? Number.POSITIVE_INFINITY : c.maxPositionEmbeddings;
}

/** An encoder-decoder (T5): batches carry a source and separate targets (src/data/seq2seq.ts). */
export function isEncoderDecoder(c: NativeModelConfig): boolean {
  return c.modelType === 't5';
}
