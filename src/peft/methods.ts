// The training methods behind `--method`: every PEFT method of the study plus full finetuning. One place
// applies a method's settings to a native model, describes it, saves its result, and loads a saved adapter
// back (dispatching on adapter_config.json's peft_type). Each method's options, validation and file layout
// live in its own module (lora.ts, ia3.ts, bottleneck.ts, prompt.ts, prefix.ts, bitfit.ts).
import type { NativeModel, NativeModelConfig } from '../native/binding.js';
import { AdapterError, readAdapterFolder } from './adapter-files.js';
import { BITFIT_PEFT_TYPE, bitfitOptionsFromConfig, checkBitfitConfig, describeBitfit, loadBitfitWeights, saveBitfitAdapter, toNativeBitfitOptions, type BitfitOptions } from './bitfit.js';
import {
  BOTTLENECK_PEFT_TYPE,
  bottleneckOptionsFromConfig,
  describeBottleneck,
  loadBottleneckWeights,
  saveBottleneckAdapter,
  toNativeAdapterOptions,
  type BottleneckOptions,
} from './bottleneck.js';
import { describeIa3, ia3OptionsFromConfig, loadIa3Weights, saveIa3Adapter, toNativeIa3Options, type Ia3Options } from './ia3.js';
import {
  LLAMA_LINEAR_MODULES,
  describeTargets,
  loadLoraWeights,
  loraOptionsFromConfig,
  saveLoraAdapter,
  toNativeLoraOptions,
  unmatchedTargets,
  type LoraOptions,
} from './lora.js';
import { describePrefix, loadPrefixWeights, prefixOptionsFromConfig, savePrefixAdapter, toNativePrefixOptions, type PrefixTuningOptions } from './prefix.js';
import { describePrompt, loadPromptWeights, promptOptionsFromConfig, savePromptAdapter, toNativePromptOptions, type PromptTuningOptions } from './prompt.js';

export type TrainMethod = 'lora' | 'dora' | 'adapter' | 'ia3' | 'prompt' | 'prefix' | 'bitfit' | 'full';
export const TRAIN_METHODS: readonly TrainMethod[] = ['lora', 'dora', 'adapter', 'ia3', 'prompt', 'prefix', 'bitfit', 'full'];

/** A method with its options. DoRA is LoRA with useDora set. */
export type MethodSettings =
  | { method: 'lora' | 'dora'; lora: LoraOptions }
  | { method: 'ia3'; ia3: Ia3Options }
  | { method: 'adapter'; adapter: BottleneckOptions }
  | { method: 'prompt'; prompt: PromptTuningOptions }
  | { method: 'prefix'; prefix: PrefixTuningOptions }
  | { method: 'bitfit'; bitfit: BitfitOptions }
  | { method: 'full' };

/** The peft_type values loadAdapter reads. */
export const SUPPORTED_PEFT_TYPES = ['LORA', 'IA3', 'PROMPT_TUNING', 'PREFIX_TUNING', BOTTLENECK_PEFT_TYPE, BITFIT_PEFT_TYPE] as const;

/** Applies the method to the model (freezing the base for PEFT methods); returns the modules it changed. */
export function applyMethod(model: NativeModel, s: MethodSettings, config: NativeModelConfig, seed: number): string[] {
  switch (s.method) {
    case 'lora':
    case 'dora':
      return model.applyLora(toNativeLoraOptions({ ...s.lora, useDora: s.method === 'dora' }, seed)).targetedModules;
    case 'ia3':
      return model.applyIa3(toNativeIa3Options(s.ia3)).targetedModules;
    case 'adapter':
      return model.applyAdapters(toNativeAdapterOptions(s.adapter, config.hiddenSize, seed)).targetedModules;
    case 'prompt':
      model.applyPromptTuning(toNativePromptOptions(s.prompt, seed));
      return [];
    case 'prefix':
      model.applyPrefixTuning(toNativePrefixOptions(s.prefix, seed));
      return [];
    case 'bitfit':
      return model.applyBitfit(toNativeBitfitOptions(s.bitfit, seed)).targetedModules;
    case 'full':
      model.enableFullFinetuning();
      return [];
  }
}

export function describeMethod(s: MethodSettings): string {
  switch (s.method) {
    case 'lora':
    case 'dora': {
      const l = s.lora;
      return `${s.method === 'dora' ? 'DoRA' : 'LoRA'} r=${l.r} alpha=${l.alpha} dropout=${l.dropout} targets=${describeTargets(l.targets)}${l.useRslora ? ' rsLoRA' : ''}${l.init === 'gaussian' ? ' init=gaussian' : ''}`;
    }
    case 'ia3':
      return describeIa3(s.ia3);
    case 'adapter':
      return describeBottleneck(s.adapter);
    case 'prompt':
      return describePrompt(s.prompt);
    case 'prefix':
      return describePrefix(s.prefix);
    case 'bitfit':
      return describeBitfit(s.bitfit);
    case 'full':
      return 'full finetuning';
  }
}

export interface SaveAdapterContext {
  baseModelNameOrPath: string;
  config: NativeModelConfig;
  extraFiles?: Array<[string, string]>;
}

/** Saves a PEFT method's trained weights as an adapter folder (HF PEFT layout where PEFT has the method). */
export async function saveAdapter(model: NativeModel, dir: string, s: MethodSettings, ctx: SaveAdapterContext): Promise<string[]> {
  const base = ctx.baseModelNameOrPath;
  switch (s.method) {
    case 'lora':
    case 'dora': {
      const opts = { baseModelNameOrPath: base, ...(ctx.extraFiles ? { extraFiles: ctx.extraFiles } : {}) };
      return (await saveLoraAdapter(model, dir, { ...s.lora, useDora: s.method === 'dora' }, opts)).files;
    }
    case 'ia3':
      return saveIa3Adapter(model, dir, s.ia3, base, ctx.extraFiles);
    case 'adapter':
      return saveBottleneckAdapter(model, dir, s.adapter, base, ctx.config, ctx.extraFiles);
    case 'prompt':
      return savePromptAdapter(model, dir, s.prompt, base, ctx.config, ctx.extraFiles);
    case 'prefix':
      return savePrefixAdapter(model, dir, s.prefix, base, ctx.config, ctx.extraFiles);
    case 'bitfit':
      return saveBitfitAdapter(model, s.bitfit, dir, base, ctx.config, ctx.extraFiles);
    case 'full':
      throw new Error('saveAdapter: full finetuning saves a checkpoint (saveCheckpoint), not an adapter');
  }
}

export interface LoadAdapterChecks {
  /** The model's display name (HF folder or builtin:<name>), compared with base_model_name_or_path. */
  modelName?: string;
  /** Skip the base-model name check (same weights stored under another name). */
  ignoreBaseName?: boolean;
}

/** The last path component of a model name (folders and hub ids alike), for the base-model check. */
function baseNameOf(name: string): string {
  return name.startsWith('builtin:') ? name : name.replace(/[\\/]+$/, '').split(/[\\/]/).pop()!;
}

/**
 * Reads an adapter folder (HF PEFT: LoRA, DoRA, IA3, prompt and prefix tuning; this project's bottleneck
 * adapters and BitFit), applies the method to `model` and copies the weights in. Errors name the file and
 * the problem: unknown peft_type, unsupported options, another base model (by name when `checks.modelName`
 * is given, by shapes otherwise), unmatched targets. Config and name problems are found before the model is
 * touched; a tensor that does not fit is found after the method is applied, so a failed load leaves the
 * model unusable (load onto a fresh model).
 */
export async function loadAdapter(model: NativeModel, dir: string, config: NativeModelConfig, checks: LoadAdapterChecks = {}): Promise<MethodSettings> {
  const folder = await readAdapterFolder(dir);
  const peftType = folder.config.peft_type;
  const base = folder.config.base_model_name_or_path;
  if (typeof base === 'string' && base !== '' && checks.modelName !== undefined && !checks.ignoreBaseName && baseNameOf(base) !== baseNameOf(checks.modelName)) {
    throw new AdapterError(
      `${folder.configFile}: the adapter was trained on base model "${base}" (base_model_name_or_path) but the model is ` +
        `"${checks.modelName}"; pass --ignore-base-name if these are the same weights under another name`,
    );
  }
  if (model.parameterNames({ group: 'adapter' }).length > 0) throw new AdapterError(`the model already has adapter weights; load ${folder.dir} onto a fresh model`);
  const taskType = folder.config.task_type;
  if (taskType !== undefined && taskType !== null && taskType !== 'CAUSAL_LM') {
    throw new AdapterError(`${folder.configFile}: task_type ${JSON.stringify(taskType)} is not supported (only CAUSAL_LM adapters for decoder-only models)`);
  }
  const baseHint = typeof folder.config.base_model_name_or_path === 'string' ? `base_model_name_or_path ${folder.config.base_model_name_or_path}` : '';
  /** Applies the method; returns the modules it changed. */
  const applyOrFail = (s: MethodSettings): string[] => {
    try {
      return applyMethod(model, s, config, 0);
    } catch (err) {
      throw new AdapterError(`${folder.configFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const apply = (s: MethodSettings): MethodSettings => {
    applyOrFail(s);
    return s;
  };
  switch (peftType) {
    case 'LORA': {
      const lora = loraOptionsFromConfig(folder);
      const s: MethodSettings = { method: lora.useDora ? 'dora' : 'lora', lora };
      const unknown = unmatchedTargets(lora.targets, applyOrFail(s));
      if (unknown.length > 0) {
        throw new AdapterError(`${folder.configFile}: target_modules ${unknown.join(', ')} match no linear module of the model (it has ${LLAMA_LINEAR_MODULES.join(', ')})`);
      }
      await loadLoraWeights(model, folder, baseHint);
      return s;
    }
    case 'IA3': {
      const s = apply({ method: 'ia3', ia3: ia3OptionsFromConfig(folder) });
      await loadIa3Weights(model, folder, baseHint);
      return s;
    }
    case 'PROMPT_TUNING': {
      const s = apply({ method: 'prompt', prompt: promptOptionsFromConfig(folder, config) });
      await loadPromptWeights(model, folder, baseHint);
      return s;
    }
    case 'PREFIX_TUNING': {
      const s = apply({ method: 'prefix', prefix: prefixOptionsFromConfig(folder, config) });
      await loadPrefixWeights(model, folder, baseHint);
      return s;
    }
    case BOTTLENECK_PEFT_TYPE: {
      const s = apply({ method: 'adapter', adapter: bottleneckOptionsFromConfig(folder, config) });
      await loadBottleneckWeights(model, folder, baseHint);
      return s;
    }
    case BITFIT_PEFT_TYPE: {
      checkBitfitConfig(folder, config);
      const s = apply({ method: 'bitfit', bitfit: bitfitOptionsFromConfig(folder) });
      await loadBitfitWeights(model, folder, baseHint);
      return s;
    }
    default:
      throw new AdapterError(
        `${folder.configFile}: unknown peft_type ${JSON.stringify(peftType)} (supported: ${SUPPORTED_PEFT_TYPES.join(', ')})`,
      );
  }
}
