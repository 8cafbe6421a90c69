// Prefix tuning (Li & Liang 2021) as HF PEFT's PrefixEncoder: per layer, N learned keys and values in front
// of the attention keys/values; optionally produced by a reparameterization MLP
// (embedding [N, kvDim] -> Linear(kvDim, hidden) -> tanh -> Linear(hidden, layers*2*kvDim)).
// Saved in PEFT's layout: prompt_embeddings = the final table [N, layers*2*kvDim] (PEFT saves the MLP's output,
// so the adapter loads with inference_mode = true in PEFT and here), and PrefixTuningConfig's fields.
import type { NativeModel, NativeModelConfig, NativePrefixTuningOptions } from '../native/binding.js';
import { native } from '../native/binding.js';
import { AdapterError, ConfigFields, loadAdapterTensors, writeAdapterFolder, type AdapterFolder } from './adapter-files.js';
import { LoraOptionsError } from './lora.js';
import type { MethodSpec } from './method-spec.js';
import { integerValue } from '../util/flag-values.js';
import { PROMPT_EMBEDDING_PARAMETER, PROMPT_EMBEDDINGS_KEY } from './prompt.js';
import { peftTaskType } from '../models/module-names.js';

export interface PrefixTuningOptions {
  virtualTokens: number;
  /** Hidden size of the reparameterization MLP, or null for a plain table (PEFT prefix_projection = false). */
  projectionHiddenSize: number | null;
}

export const DEFAULT_PREFIX_OPTIONS: PrefixTuningOptions = { virtualTokens: 8, projectionHiddenSize: 512 };

export function validatePrefixOptions(o: PrefixTuningOptions): void {
  if (!Number.isInteger(o.virtualTokens) || o.virtualTokens <= 0) throw new LoraOptionsError(`virtual tokens must be a positive integer, got ${o.virtualTokens}`);
  if (o.projectionHiddenSize !== null && (!Number.isInteger(o.projectionHiddenSize) || o.projectionHiddenSize <= 0)) {
    throw new LoraOptionsError(`prefix projection hidden size must be a positive integer, got ${o.projectionHiddenSize}`);
  }
}

export function toNativePrefixOptions(o: PrefixTuningOptions, seed: number): NativePrefixTuningOptions {
  validatePrefixOptions(o);
  return { virtualTokens: o.virtualTokens, projection: o.projectionHiddenSize !== null, encoderHiddenSize: o.projectionHiddenSize ?? 0, seed };
}

export function describePrefix(o: PrefixTuningOptions): string {
  return `prefix tuning ${o.virtualTokens} virtual tokens${o.projectionHiddenSize !== null ? `, reparameterization MLP hidden ${o.projectionHiddenSize}` : ''}`;
}

/**
 * The prefix's layers and heads as PEFT counts them: a decoder's layers and key/value heads (GQA); T5's
 * num_layers (the encoder's count: PEFT sizes the table by it and gives decoder block i layer i) and heads.
 */
function prefixLayout(config: NativeModelConfig): { layers: number; heads: number; headDim: number; submodules: number } {
  return config.modelType === 't5'
    ? { layers: config.numLayers, heads: config.numHeads, headDim: config.dKv, submodules: 2 }
    : { layers: config.numHiddenLayers, heads: config.numKeyValueHeads, headDim: config.headDim, submodules: 1 };
}

/** PEFT's key/value width: head_dim x num_key_value_heads (grouped-query attention); T5: num_heads x d_kv. */
export function prefixTokenDim(config: NativeModelConfig): number {
  const l = prefixLayout(config);
  return l.headDim * l.heads;
}

export function prefixAdapterConfig(o: PrefixTuningOptions, base: string, config: NativeModelConfig): Record<string, unknown> {
  const layout = prefixLayout(config);
  return {
    auto_mapping: null,
    base_model_name_or_path: base,
    encoder_hidden_size: o.projectionHiddenSize ?? prefixTokenDim(config),
    inference_mode: true,
    init_weights: null,
    modules_to_save: null,
    num_attention_heads: layout.heads,
    num_layers: layout.layers,
    num_transformer_submodules: layout.submodules,
    num_virtual_tokens: o.virtualTokens,
    peft_type: 'PREFIX_TUNING',
    prefix_projection: o.projectionHiddenSize !== null,
    revision: null,
    task_type: peftTaskType(config),
    token_dim: prefixTokenDim(config),
  };
}

export async function savePrefixAdapter(model: NativeModel, dir: string, o: PrefixTuningOptions, base: string, config: NativeModelConfig, extraFiles?: Array<[string, string]>): Promise<string[]> {
  const table = model.prefixTable();
  return writeAdapterFolder(
    dir,
    prefixAdapterConfig(o, base, config),
    (file) => native().safetensors.writeTensors(file, [{ name: PROMPT_EMBEDDINGS_KEY, shape: table.shape, data: table.data }], { format: 'pt' }),
    extraFiles,
  );
}

/**
 * Options from a PEFT PREFIX_TUNING adapter_config.json, checked against the model. The saved tensor is always
 * the final table, so the loaded prefix is a plain table whatever prefix_projection says.
 */
export function prefixOptionsFromConfig(folder: AdapterFolder, config: NativeModelConfig): PrefixTuningOptions {
  const layout = prefixLayout(config);
  const f = new ConfigFields(folder);
  if (layout.submodules === 1) f.expect('num_transformer_submodules', [1, null], 'decoder-only models have one transformer submodule');
  else f.expect('num_transformer_submodules', [2, null], 'an encoder-decoder has two transformer submodules');
  const tokenDim = f.positiveInt('token_dim');
  const layers = f.positiveInt('num_layers');
  if (tokenDim !== prefixTokenDim(config) || layers !== layout.layers) {
    throw new AdapterError(
      `${folder.configFile}: the prefix is for ${layers} layers of key/value width ${tokenDim}; this model has ${layout.layers} layers of width ${prefixTokenDim(config)} (another base model)`,
    );
  }
  return { virtualTokens: f.positiveInt('num_virtual_tokens'), projectionHiddenSize: null };
}

export async function loadPrefixWeights(model: NativeModel, folder: AdapterFolder, baseHint: string): Promise<void> {
  await loadAdapterTensors(model, folder, [[PROMPT_EMBEDDINGS_KEY, PROMPT_EMBEDDING_PARAMETER]], baseHint);
}

export type PrefixSettings = { method: 'prefix'; prefix: PrefixTuningOptions };

export const PREFIX_METHOD: MethodSpec<PrefixSettings> = {
  name: 'prefix',
  title: 'prefix tuning',
  cli: [
    { key: 'virtualTokens', value: '<n>', help: 'prefix tuning: virtual tokens (default 8)', parse: integerValue(1, 'virtual tokens') },
    {
      key: 'prefixHiddenSize',
      flag: 'prefix-hidden',
      value: '<n|none>',
      help: 'prefix tuning: reparameterization MLP hidden size (default 512) or none',
      // 'none' stays a string while parsing (commander keeps no null).
      parse: (v) => (v.trim() === 'none' ? 'none' : integerValue(1, 'prefix hidden size')(v)),
      option: (v) => (v === 'none' ? null : v),
    },
  ],
  targetModules: false,
  resolve: (o) => {
    const prefix = {
      virtualTokens: o.virtualTokens ?? DEFAULT_PREFIX_OPTIONS.virtualTokens,
      projectionHiddenSize: o.prefixHiddenSize === undefined ? DEFAULT_PREFIX_OPTIONS.projectionHiddenSize : o.prefixHiddenSize,
    };
    validatePrefixOptions(prefix);
    return { method: 'prefix', prefix };
  },
  describe: (s) => describePrefix(s.prefix),
  apply: (model, s, _config, seed) => {
    model.applyPrefixTuning(toNativePrefixOptions(s.prefix, seed));
    return [];
  },
  save: (model, dir, s, ctx) => savePrefixAdapter(model, dir, s.prefix, ctx.baseModelNameOrPath, ctx.config, ctx.extraFiles),
  reader: {
    peftType: 'PREFIX_TUNING',
    settingsFromConfig: (folder, config) => ({ method: 'prefix', prefix: prefixOptionsFromConfig(folder, config) }),
    loadWeights: loadPrefixWeights,
  },
  bench: {
    keys: { n: 'virtual tokens (default 8)', mlp: 'reparameterization MLP hidden size (default 512), or none' },
    options: (params, int) => ({ options: { virtualTokens: int('n'), prefixHiddenSize: params['mlp'] === 'none' ? null : int('mlp') } }),
  },
  studyRecipe: {},
  // Virtual keys/values belong to one sequence per row; packed rows hold several.
  capabilities: { trainsBase: false, packing: false, mergeable: false, hfPeftLayout: true, adaptsModules: false, places: ['virtual tokens'] },
};
