// The training methods behind `--method`: every PEFT method of the study plus full finetuning. One place
// applies a method's settings to a native model, describes it, saves its result, and loads a saved adapter
// back (dispatching on adapter_config.json's peft_type). Each method's options, validation and file layout
// live in its own module (lora.ts, ia3.ts, bottleneck.ts, prompt.ts, prefix.ts, bitfit.ts).
import type { NativeModel, NativeModelConfig } from '../native/binding.js';
import { AdapterError, readAdapterFolder } from './adapter-files.js';
import { BITFIT_PEFT_TYPE, checkBitfitConfig, loadBitfitWeights, saveBitfitAdapter } from './bitfit.js';
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
import { describeTargets, loadLoraWeights, loraOptionsFromConfig, saveLoraAdapter, toNativeLoraOptions, type LoraOptions } from './lora.js';
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
  | { method: 'bitfit' }
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
      return model.applyBitfit().targetedModules;
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
      return 'BitFit (biases only)';
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
      return saveBitfitAdapter(model, dir, base, ctx.config, ctx.extraFiles);
    case 'full':
      throw new Error('saveAdapter: full finetuning saves a checkpoint (saveCheckpoint), not an adapter');
  }
}

/**
 * Reads an adapter folder (HF PEFT: LoRA, DoRA, IA3, prompt and prefix tuning; this project's bottleneck
 * adapters and BitFit), applies the method to `model` and copies the weights in. Errors name the file and
 * the problem: unknown peft_type, unsupported options, a different base model (shapes), unmatched targets.
 */
export async function loadAdapter(model: NativeModel, dir: string, config: NativeModelConfig): Promise<MethodSettings> {
  const folder = await readAdapterFolder(dir);
  const peftType = folder.config.peft_type;
  const taskType = folder.config.task_type;
  if (taskType !== undefined && taskType !== null && taskType !== 'CAUSAL_LM') {
    throw new AdapterError(`${folder.configFile}: task_type ${JSON.stringify(taskType)} is not supported (only CAUSAL_LM adapters for decoder-only models)`);
  }
  const baseHint = typeof folder.config.base_model_name_or_path === 'string' ? `base_model_name_or_path ${folder.config.base_model_name_or_path}` : '';
  const apply = (s: MethodSettings) => {
    try {
      applyMethod(model, s, config, 0);
    } catch (err) {
      throw new AdapterError(`${folder.configFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return s;
  };
  switch (peftType) {
    case 'LORA': {
      const lora = loraOptionsFromConfig(folder);
      const s = apply({ method: lora.useDora ? 'dora' : 'lora', lora });
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
      const s = apply({ method: 'bitfit' });
      await loadBitfitWeights(model, folder, baseHint);
      return s;
    }
    default:
      throw new AdapterError(
        `${folder.configFile}: unknown peft_type ${JSON.stringify(peftType)} (supported: ${SUPPORTED_PEFT_TYPES.join(', ')})`,
      );
  }
}
