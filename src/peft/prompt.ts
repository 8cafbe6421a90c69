// Prompt tuning (Lester et al. 2021): N learned virtual-token embeddings in front of the input embeddings.
// Saved in HF PEFT's layout: adapter_model.safetensors with one tensor prompt_embeddings [N, hidden] and
// PromptTuningConfig's fields. On an encoder-decoder (T5) PEFT keeps [2N, d_model] (num_transformer_submodules
// 2) and puts the first N rows before the source.
import type { NativeModel, NativeModelConfig, NativePromptTuningOptions } from '../native/binding.js';
import { AdapterError, ConfigFields, loadAdapterTensors, writeAdapterFolder, type AdapterFolder } from './adapter-files.js';
import { LoraOptionsError } from './lora.js';
import type { MethodSpec } from './method-spec.js';
import { integerValue } from '../util/flag-values.js';
import { blockCount, modelWidth } from '../models/config.js';
import { peftTaskType } from '../models/module-names.js';

export const PROMPT_EMBEDDING_PARAMETER = 'prompt_encoder.embedding.weight';
export const PROMPT_EMBEDDINGS_KEY = 'prompt_embeddings';

export interface PromptTuningOptions {
  virtualTokens: number;
  /** random: normal(0, 1) (PEFT RANDOM, the study); vocab: embeddings of sampled vocabulary tokens (PEFT SAMPLE_VOCAB). */
  init: 'random' | 'vocab';
}

export const DEFAULT_PROMPT_OPTIONS: PromptTuningOptions = { virtualTokens: 32, init: 'random' };

export function validatePromptOptions(o: PromptTuningOptions): void {
  if (!Number.isInteger(o.virtualTokens) || o.virtualTokens <= 0) throw new LoraOptionsError(`virtual tokens must be a positive integer, got ${o.virtualTokens}`);
  if (o.init !== 'random' && o.init !== 'vocab') throw new LoraOptionsError(`prompt init must be random or vocab, got ${JSON.stringify(o.init)}`);
}

export function toNativePromptOptions(o: PromptTuningOptions, seed: number): NativePromptTuningOptions {
  validatePromptOptions(o);
  return { virtualTokens: o.virtualTokens, init: o.init, seed };
}

export function describePrompt(o: PromptTuningOptions): string {
  return `prompt tuning ${o.virtualTokens} virtual tokens, init ${o.init}`;
}

/** PEFT's num_transformer_submodules: 2 for an encoder-decoder, 1 for a decoder. */
function transformerSubmodules(config: NativeModelConfig): number {
  return config.modelType === 't5' ? 2 : 1;
}

export function promptAdapterConfig(o: PromptTuningOptions, base: string, config: NativeModelConfig): Record<string, unknown> {
  // PEFT reads the layer count and heads of the (encoder) config: num_layers / num_heads on T5.
  const layers = config.modelType === 't5' ? config.numLayers : blockCount(config);
  const heads = config.modelType === 't5' ? config.numHeads : config.numAttentionHeads;
  return {
    auto_mapping: null,
    base_model_name_or_path: base,
    inference_mode: true,
    modules_to_save: null,
    num_attention_heads: heads,
    num_layers: layers,
    num_transformer_submodules: transformerSubmodules(config),
    num_virtual_tokens: o.virtualTokens,
    peft_type: 'PROMPT_TUNING',
    prompt_tuning_init: o.init === 'vocab' ? 'SAMPLE_VOCAB' : 'RANDOM',
    prompt_tuning_init_text: null,
    revision: null,
    task_type: peftTaskType(config),
    token_dim: modelWidth(config),
    tokenizer_kwargs: null,
    tokenizer_name_or_path: null,
  };
}

const ENTRIES: Array<[string, string]> = [[PROMPT_EMBEDDINGS_KEY, PROMPT_EMBEDDING_PARAMETER]];

export async function savePromptAdapter(model: NativeModel, dir: string, o: PromptTuningOptions, base: string, config: NativeModelConfig, extraFiles?: Array<[string, string]>): Promise<string[]> {
  return writeAdapterFolder(dir, promptAdapterConfig(o, base, config), (file) => model.saveParameters(file, ENTRIES, { format: 'pt' }), extraFiles);
}

/** Options from a PEFT PROMPT_TUNING adapter_config.json, checked against the model. */
export function promptOptionsFromConfig(folder: AdapterFolder, config: NativeModelConfig): PromptTuningOptions {
  const f = new ConfigFields(folder);
  if (transformerSubmodules(config) === 1) f.expect('num_transformer_submodules', [1, null], 'decoder-only models have one transformer submodule');
  else f.expect('num_transformer_submodules', [2, null], 'an encoder-decoder has two transformer submodules (PEFT keeps a prompt table for each)');
  const tokenDim = f.positiveInt('token_dim');
  if (tokenDim !== modelWidth(config)) {
    throw new AdapterError(`${folder.configFile}: token_dim ${tokenDim} does not match this model's hidden size ${modelWidth(config)} (the adapter is for another base model)`);
  }
  const init = folder.config.prompt_tuning_init === 'SAMPLE_VOCAB' ? 'vocab' : 'random';
  return { virtualTokens: f.positiveInt('num_virtual_tokens'), init };
}

export async function loadPromptWeights(model: NativeModel, folder: AdapterFolder, baseHint: string): Promise<void> {
  await loadAdapterTensors(model, folder, ENTRIES, baseHint);
}

export type PromptSettings = { method: 'prompt'; prompt: PromptTuningOptions };

export const PROMPT_METHOD: MethodSpec<PromptSettings> = {
  name: 'prompt',
  title: 'prompt tuning',
  cli: [
    { key: 'virtualTokens', value: '<n>', help: 'prompt tuning: virtual tokens (default 32)', parse: integerValue(1, 'virtual tokens') },
    { key: 'promptInit', value: '<init>', help: 'prompt tuning: random (normal(0,1), default) or vocab (sampled token embeddings)', choices: ['random', 'vocab'] },
  ],
  targetModules: false,
  resolve: (o) => {
    const prompt = { virtualTokens: o.virtualTokens ?? DEFAULT_PROMPT_OPTIONS.virtualTokens, init: o.promptInit ?? DEFAULT_PROMPT_OPTIONS.init };
    validatePromptOptions(prompt);
    return { method: 'prompt', prompt };
  },
  describe: (s) => describePrompt(s.prompt),
  apply: (model, s, _config, seed) => {
    model.applyPromptTuning(toNativePromptOptions(s.prompt, seed));
    return [];
  },
  save: (model, dir, s, ctx) => savePromptAdapter(model, dir, s.prompt, ctx.baseModelNameOrPath, ctx.config, ctx.extraFiles),
  reader: {
    peftType: 'PROMPT_TUNING',
    settingsFromConfig: (folder, config) => ({ method: 'prompt', prompt: promptOptionsFromConfig(folder, config) }),
    loadWeights: loadPromptWeights,
  },
  bench: { keys: { n: 'virtual tokens (default 32)' }, options: (_params, int) => ({ options: { virtualTokens: int('n') } }) },
  studyRecipe: {},
  // Virtual tokens belong to one sequence per row; packed rows hold several.
  capabilities: { trainsBase: false, packing: false, mergeable: false, hfPeftLayout: true, adaptsModules: false, places: ['virtual tokens'] },
};
