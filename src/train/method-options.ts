// Training options of every method (and which flags belong to which method), resolved into MethodSettings
// with their defaults and validation. `train` (loop.ts, with a built-in preset's LoRA defaults) and
// `bench --methods` (src/bench/method-spec.ts) both resolve methods here.
import { DEFAULT_LORA_OPTIONS, LoraOptionsError, validateLoraOptions, type LoraInit, type LoraOptions, type LoraTargets } from '../peft/lora.js';
import { DEFAULT_BOTTLENECK_OPTIONS, validateBottleneckOptions, type AdapterActivation, type AdapterInit, type AdapterPlacement, type BottleneckOptions } from '../peft/bottleneck.js';
import { DEFAULT_IA3_OPTIONS, validateIa3Options } from '../peft/ia3.js';
import { DEFAULT_BITFIT_OPTIONS, validateBitfitOptions, type BitfitInit, type BitfitOptions } from '../peft/bitfit.js';
import type { MethodSettings, TrainMethod } from '../peft/methods.js';
import { DEFAULT_PREFIX_OPTIONS, validatePrefixOptions } from '../peft/prefix.js';
import { DEFAULT_PROMPT_OPTIONS, validatePromptOptions } from '../peft/prompt.js';

export interface MethodTrainOptions {
  /** LoRA/DoRA rank, alpha (default = rank), dropout, rsLoRA scaling and initialization. */
  rank?: number;
  alpha?: number;
  dropout?: number;
  rslora?: boolean;
  loraInit?: LoraInit;
  /** IA3: modules whose input is scaled (default down_proj). */
  feedforwardModules?: string[];
  /** Bottleneck adapters: houlsby (default, the study) or pfeiffer. */
  adapterPlacement?: AdapterPlacement;
  /** Bottleneck width (default 64); exclusive with reductionFactor. */
  adapterSize?: number;
  /** Bottleneck width = hidden size / this. */
  reductionFactor?: number;
  adapterActivation?: AdapterActivation;
  adapterInit?: AdapterInit;
  /** Prompt / prefix tuning: number of virtual tokens (default prompt 32, prefix 8). */
  virtualTokens?: number;
  promptInit?: 'random' | 'vocab';
  /** Prefix tuning: reparameterization MLP hidden size (default 512), or null for none. */
  prefixHiddenSize?: number | null;
  /** BitFit: a new bias starts at zeros (default) or normal(0, 1) (the study's released code). */
  bitfitInit?: BitfitInit;
}

/** The option keys (camelCase, as the CLI flags) that each method takes. */
const METHOD_FLAGS: Record<TrainMethod, readonly string[]> = {
  lora: ['rank', 'alpha', 'dropout', 'targetModules', 'rslora', 'loraInit'],
  dora: ['rank', 'alpha', 'dropout', 'targetModules', 'rslora', 'loraInit'],
  ia3: ['targetModules', 'feedforwardModules'],
  adapter: ['adapterPlacement', 'adapterSize', 'reductionFactor', 'adapterActivation', 'adapterInit'],
  prompt: ['virtualTokens', 'promptInit'],
  prefix: ['virtualTokens', 'prefixHiddenSize'],
  bitfit: ['targetModules', 'bitfitInit'],
  full: [],
};

function flag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Rejects options that the method does not take, naming the methods they belong to. */
export function checkMethodFlags(method: TrainMethod, o: Record<string, unknown>): void {
  const allowed = new Set(METHOD_FLAGS[method]);
  for (const key of new Set(Object.values(METHOD_FLAGS).flat())) {
    if (o[key] === undefined || allowed.has(key)) continue;
    const owners = (Object.keys(METHOD_FLAGS) as TrainMethod[]).filter((m) => METHOD_FLAGS[m].includes(key));
    const names = owners.map((m) => (m === 'lora' ? 'LoRA' : m === 'dora' ? 'DoRA' : m)).join(', ');
    const what = method === 'full' ? 'full finetuning' : `--method ${method}`;
    throw new LoraOptionsError(`${flag(key)} applies only to ${names} (--method ${owners.join('|')}), not to ${what}`);
  }
}

/** LoRA/DoRA defaults a built-in model preset brings (src/models/builtin.ts). */
export interface LoraDefaults {
  rank?: number;
  alpha?: number;
  dropout?: number;
  targetModules?: readonly string[];
}

function resolveLora(method: 'lora' | 'dora', o: MethodTrainOptions, targets: LoraTargets | undefined, preset: LoraDefaults): LoraOptions {
  const r = o.rank ?? preset.rank ?? DEFAULT_LORA_OPTIONS.r;
  const lora: LoraOptions = {
    r,
    // alpha = r unless given (the study); a preset's alpha only goes with the preset's rank.
    alpha: o.alpha ?? (o.rank === undefined && preset.alpha !== undefined ? preset.alpha : r),
    dropout: o.dropout ?? preset.dropout ?? DEFAULT_LORA_OPTIONS.dropout,
    targets: targets ?? (preset.targetModules ? { modules: [...preset.targetModules] } : DEFAULT_LORA_OPTIONS.targets),
    useRslora: o.rslora ?? false,
    init: o.loraInit ?? 'kaiming',
    ...(method === 'dora' ? { useDora: true } : {}),
  };
  validateLoraOptions(lora);
  return lora;
}

/**
 * A method's settings from its options; `targets` is what the user gave (undefined: the method's default).
 * Throws LoraOptionsError with a one-line message.
 */
export function resolveMethodSettings(method: TrainMethod, o: MethodTrainOptions, targets: LoraTargets | undefined, loraDefaults: LoraDefaults = {}): MethodSettings {
  switch (method) {
    case 'lora':
    case 'dora':
      return { method, lora: resolveLora(method, o, targets, loraDefaults) };
    case 'ia3': {
      const hasTargets = targets !== undefined && ('regex' in targets || targets.modules.length > 0);
      const t = hasTargets ? targets : DEFAULT_IA3_OPTIONS.targets;
      const ia3 = {
        targets: t,
        // The default feedforward module only where it is targeted.
        feedforwardModules: o.feedforwardModules ?? (hasTargets && 'modules' in t && !t.modules.includes('down_proj') ? [] : [...DEFAULT_IA3_OPTIONS.feedforwardModules]),
      };
      validateIa3Options(ia3);
      return { method, ia3 };
    }
    case 'adapter': {
      if (o.adapterSize !== undefined && o.reductionFactor !== undefined) throw new LoraOptionsError('give either --adapter-size or --reduction-factor, not both');
      const adapter: BottleneckOptions = {
        placement: o.adapterPlacement ?? DEFAULT_BOTTLENECK_OPTIONS.placement,
        size: o.reductionFactor !== undefined ? { reductionFactor: o.reductionFactor } : { adapterSize: o.adapterSize ?? 64 },
        activation: o.adapterActivation ?? DEFAULT_BOTTLENECK_OPTIONS.activation,
        init: o.adapterInit ?? DEFAULT_BOTTLENECK_OPTIONS.init,
      };
      validateBottleneckOptions(adapter);
      return { method, adapter };
    }
    case 'prompt': {
      const prompt = { virtualTokens: o.virtualTokens ?? DEFAULT_PROMPT_OPTIONS.virtualTokens, init: o.promptInit ?? DEFAULT_PROMPT_OPTIONS.init };
      validatePromptOptions(prompt);
      return { method, prompt };
    }
    case 'prefix': {
      const prefix = {
        virtualTokens: o.virtualTokens ?? DEFAULT_PREFIX_OPTIONS.virtualTokens,
        projectionHiddenSize: o.prefixHiddenSize === undefined ? DEFAULT_PREFIX_OPTIONS.projectionHiddenSize : o.prefixHiddenSize,
      };
      validatePrefixOptions(prefix);
      return { method, prefix };
    }
    case 'bitfit': {
      const bitfit: BitfitOptions = { targets: targets ?? DEFAULT_BITFIT_OPTIONS.targets, init: o.bitfitInit ?? DEFAULT_BITFIT_OPTIONS.init };
      validateBitfitOptions(bitfit);
      return { method, bitfit };
    }
    case 'full':
      return { method };
  }
}
