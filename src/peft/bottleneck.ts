// Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2021): Linear(d->m), activation, Linear(m->d),
// residual, on the attention output and the MLP output (houlsby) or the MLP output only (pfeiffer). HF PEFT
// has no such method, so adapters are saved in this project's own layout (docs/ADAPTER_FORMATS.md):
// adapter_config.json with peft_type PEFT_NATIVE_BOTTLENECK and native parameter names as safetensors keys.
import type { NativeAdapterOptions, NativeModel, NativeModelConfig } from '../native/binding.js';
import { AdapterError, ConfigFields, loadAdapterTensors, writeAdapterFolder, type AdapterFolder } from './adapter-files.js';
import { LoraOptionsError } from './lora.js';
import type { MethodSpec } from './method-spec.js';
import { integerValue, numberValue } from '../util/flag-values.js';
import { blockCount, modelWidth } from '../models/config.js';
import { peftTaskType } from '../models/module-names.js';

export const BOTTLENECK_PEFT_TYPE = 'PEFT_NATIVE_BOTTLENECK';
export type AdapterPlacement = 'houlsby' | 'pfeiffer';
/** silu-silu: SiLU applied twice, as the study's released adapter code does (src/peft/tuners/adapter.py). */
export const ADAPTER_ACTIVATIONS = ['silu', 'silu-silu', 'relu', 'gelu'] as const;
export type AdapterActivation = (typeof ADAPTER_ACTIVATIONS)[number];
export type AdapterInit = 'normal' | 'identity';

export interface BottleneckOptions {
  placement: AdapterPlacement;
  /** The bottleneck width m: given directly, or hidden size / reduction factor. */
  size: { adapterSize: number } | { reductionFactor: number };
  activation: AdapterActivation;
  /** normal: both projections normal(0, 0.02), biases 0 (the study); identity: up-projection 0 (output = input at start). */
  init: AdapterInit;
}

/** The study's adapter: houlsby, SiLU, normal(0, 0.02) init, size 64. */
export const DEFAULT_BOTTLENECK_OPTIONS: BottleneckOptions = { placement: 'houlsby', size: { adapterSize: 64 }, activation: 'silu', init: 'normal' };

export function validateBottleneckOptions(o: BottleneckOptions): void {
  if (o.placement !== 'houlsby' && o.placement !== 'pfeiffer') throw new LoraOptionsError(`adapter placement must be houlsby or pfeiffer, got ${JSON.stringify(o.placement)}`);
  if (!ADAPTER_ACTIVATIONS.includes(o.activation)) throw new LoraOptionsError(`adapter activation must be silu, silu-silu, relu or gelu, got ${JSON.stringify(o.activation)}`);
  if (o.init !== 'normal' && o.init !== 'identity') throw new LoraOptionsError(`adapter init must be normal or identity, got ${JSON.stringify(o.init)}`);
  if ('adapterSize' in o.size) {
    if (!Number.isInteger(o.size.adapterSize) || o.size.adapterSize <= 0) throw new LoraOptionsError(`adapter size must be a positive integer, got ${o.size.adapterSize}`);
  } else if (typeof o.size.reductionFactor !== 'number' || !Number.isFinite(o.size.reductionFactor) || o.size.reductionFactor <= 0) {
    throw new LoraOptionsError(`reduction factor must be a positive number, got ${o.size.reductionFactor}`);
  }
}

/** The bottleneck width for a model of this hidden size. */
export function bottleneckSize(o: BottleneckOptions, hiddenSize: number): number {
  if ('adapterSize' in o.size) return o.size.adapterSize;
  const m = Math.floor(hiddenSize / o.size.reductionFactor);
  if (m < 1) throw new LoraOptionsError(`reduction factor ${o.size.reductionFactor} leaves no bottleneck for hidden size ${hiddenSize}`);
  return m;
}

export function toNativeAdapterOptions(o: BottleneckOptions, hiddenSize: number, seed: number): NativeAdapterOptions {
  validateBottleneckOptions(o);
  return { placement: o.placement, size: bottleneckSize(o, hiddenSize), activation: o.activation, init: o.init, seed };
}

export function describeBottleneck(o: BottleneckOptions): string {
  const size = 'adapterSize' in o.size ? `size=${o.size.adapterSize}` : `reduction=${o.size.reductionFactor}`;
  return `bottleneck adapter ${o.placement} ${size} ${o.activation}${o.init === 'identity' ? ' init=identity' : ''}`;
}

export function bottleneckAdapterConfig(o: BottleneckOptions, base: string, config: NativeModelConfig): Record<string, unknown> {
  return {
    peft_type: BOTTLENECK_PEFT_TYPE,
    format_version: 1,
    task_type: peftTaskType(config),
    base_model_name_or_path: base,
    placement: o.placement,
    adapter_size: bottleneckSize(o, modelWidth(config)),
    reduction_factor: 'reductionFactor' in o.size ? o.size.reductionFactor : null,
    activation: o.activation,
    init: o.init,
    hidden_size: modelWidth(config),
    num_layers: blockCount(config),
  };
}

function entries(model: NativeModel): Array<[string, string]> {
  return model.parameterNames({ group: 'adapter' }).map((n) => [n, n]);
}

export async function saveBottleneckAdapter(model: NativeModel, dir: string, o: BottleneckOptions, base: string, config: NativeModelConfig, extraFiles?: Array<[string, string]>): Promise<string[]> {
  const e = entries(model);
  if (e.length === 0) throw new Error('saveBottleneckAdapter: the model has no adapter parameters');
  return writeAdapterFolder(dir, bottleneckAdapterConfig(o, base, config), (file) => model.saveParameters(file, e, { format: 'pt' }), extraFiles);
}

export function bottleneckOptionsFromConfig(folder: AdapterFolder, config: NativeModelConfig): BottleneckOptions {
  const f = new ConfigFields(folder);
  const hidden = f.positiveInt('hidden_size');
  if (hidden !== modelWidth(config) || f.positiveInt('num_layers') !== blockCount(config)) {
    throw new AdapterError(`${folder.configFile}: the adapter is for hidden size ${hidden} and ${String(folder.config.num_layers)} layers; this model has ${modelWidth(config)} and ${blockCount(config)}`);
  }
  const o: BottleneckOptions = {
    placement: f.string('placement') as AdapterPlacement,
    size: { adapterSize: f.positiveInt('adapter_size') },
    activation: f.string('activation') as AdapterActivation,
    init: f.string('init', 'normal') as AdapterInit,
  };
  try {
    validateBottleneckOptions(o);
  } catch (err) {
    throw new AdapterError(`${folder.configFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return o;
}

export async function loadBottleneckWeights(model: NativeModel, folder: AdapterFolder, baseHint: string): Promise<void> {
  await loadAdapterTensors(model, folder, entries(model), baseHint);
}

export type BottleneckSettings = { method: 'adapter'; adapter: BottleneckOptions };

export const BOTTLENECK_METHOD: MethodSpec<BottleneckSettings> = {
  name: 'adapter',
  title: 'bottleneck adapter',
  cli: [
    { key: 'adapterPlacement', value: '<where>', help: 'adapter: houlsby (after attention and MLP; default) or pfeiffer (after MLP)', choices: ['houlsby', 'pfeiffer'] },
    { key: 'adapterSize', value: '<n>', help: 'adapter: bottleneck width (default 64)', parse: integerValue(1, 'adapter size'), conflicts: 'reductionFactor' },
    {
      key: 'reductionFactor',
      value: '<x>',
      help: 'adapter: bottleneck width = hidden size / x',
      parse: numberValue('reduction factor', (n) => n > 0, 'a positive number'),
      conflicts: 'adapterSize',
    },
    { key: 'adapterActivation', value: '<fn>', help: "adapter: activation (default silu; silu-silu: applied twice, as the study's released code)", choices: ADAPTER_ACTIVATIONS },
    { key: 'adapterInit', value: '<init>', help: 'adapter: normal(0, 0.02) with zero biases (default) or identity (zero up-projection)', choices: ['normal', 'identity'] },
  ],
  targetModules: false,
  resolve: (o) => {
    if (o.adapterSize !== undefined && o.reductionFactor !== undefined) throw new LoraOptionsError('give either --adapter-size or --reduction-factor, not both');
    const adapter: BottleneckOptions = {
      placement: o.adapterPlacement ?? DEFAULT_BOTTLENECK_OPTIONS.placement,
      size: o.reductionFactor !== undefined ? { reductionFactor: o.reductionFactor } : { adapterSize: o.adapterSize ?? 64 },
      activation: o.adapterActivation ?? DEFAULT_BOTTLENECK_OPTIONS.activation,
      init: o.adapterInit ?? DEFAULT_BOTTLENECK_OPTIONS.init,
    };
    validateBottleneckOptions(adapter);
    return { method: 'adapter', adapter };
  },
  describe: (s) => describeBottleneck(s.adapter),
  apply: (model, s, config, seed) => model.applyAdapters(toNativeAdapterOptions(s.adapter, modelWidth(config), seed)).targetedModules,
  save: (model, dir, s, ctx) => saveBottleneckAdapter(model, dir, s.adapter, ctx.baseModelNameOrPath, ctx.config, ctx.extraFiles),
  reader: {
    peftType: BOTTLENECK_PEFT_TYPE,
    settingsFromConfig: (folder, config) => ({ method: 'adapter', adapter: bottleneckOptionsFromConfig(folder, config) }),
    loadWeights: loadBottleneckWeights,
  },
  bench: {
    keys: { size: 'bottleneck width (default 64)', rf: 'reduction factor: width = hidden size / rf (instead of size)' },
    options: (_params, int, num) => ({ options: { adapterSize: int('size'), reductionFactor: num('rf') } }),
  },
  // The adapter applies SiLU in adapter_down and again in forward (src/peft/tuners/adapter.py:337-339, 422-423).
  studyRecipe: { adapterActivation: 'silu-silu' },
  capabilities: { trainsBase: false, packing: true, mergeable: false, hfPeftLayout: false, adaptsModules: true, places: ['sublayer outputs'] },
};
