// LoRA options, their validation, and saving adapters in the Hugging Face PEFT layout
// (adapter_config.json + adapter_model.safetensors with keys base_model.model.<module>.lora_{A,B}.weight),
// so `PeftModel.from_pretrained(base, dir)` loads them.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NativeLoraOptions, NativeModel, NativeModelConfig } from '../native/binding.js';
import { LLAMA_LINEAR_MODULES, moduleNamesFor, peftTaskType } from '../models/module-names.js';
import { writeFolderAtomically } from '../models/save.js';
import { AdapterError, ConfigFields, loadAdapterTensors, type AdapterFolder } from './adapter-files.js';
import type { LoraDefaults, MethodFlagSpec, MethodSpec, MethodTrainOptions } from './method-spec.js';
import { integerValue, numberValue } from '../util/flag-values.js';
import { UsageError } from '../util/usage-error.js';

export type LoraInit = 'kaiming' | 'gaussian';

/** Either module names (PEFT list form: exact name or dotted suffix) or a full-match regex (PEFT string form). */
export type LoraTargets = { modules: string[] } | { regex: string };

export interface LoraOptions {
  r: number;
  alpha: number;
  dropout: number;
  targets: LoraTargets;
  /** rsLoRA: scale alpha / sqrt(r) instead of alpha / r. */
  useRslora: boolean;
  /** DoRA (PEFT use_dora): a trainable magnitude per output row; `--method dora`. */
  useDora?: boolean;
  /** kaiming: A kaiming-uniform(a=sqrt 5), B zeros (PEFT's default, init_lora_weights=true); gaussian: A normal(0, 1/r). */
  init: LoraInit;
}

/** The study's LoRA setting (q_proj and v_proj, alpha = r, dropout 0.1) at PEFT's default rank. */
export const DEFAULT_LORA_OPTIONS: LoraOptions = {
  r: 8,
  alpha: 8,
  dropout: 0.1,
  targets: { modules: ['q_proj', 'v_proj'] },
  useRslora: false,
  init: 'kaiming',
};


export class LoraOptionsError extends UsageError {}

/** Parses the CLI form: `q_proj,v_proj` or `re:<regex>` (also `all-linear` for every linear module of a block). */
export function parseTargetModules(text: string): LoraTargets {
  const t = text.trim();
  if (t.startsWith('re:')) return { regex: t.slice(3) };
  if (t === 'all-linear') return { modules: [...LLAMA_LINEAR_MODULES] };
  return { modules: t.split(',').map((s) => s.trim()).filter((s) => s.length > 0) };
}

/** A short human form of the targets, for logs. */
export function describeTargets(targets: LoraTargets): string {
  return 'regex' in targets ? `re:${targets.regex}` : targets.modules.join(',');
}

/** Throws LoraOptionsError (one line naming the option) when an option is out of range. */
export function validateLoraOptions(o: LoraOptions): void {
  if (!Number.isInteger(o.r) || o.r <= 0) throw new LoraOptionsError(`LoRA rank must be a positive integer, got ${o.r}`);
  if (typeof o.alpha !== 'number' || !Number.isFinite(o.alpha) || o.alpha <= 0) {
    throw new LoraOptionsError(`LoRA alpha must be a positive number, got ${o.alpha}`);
  }
  if (typeof o.dropout !== 'number' || !Number.isFinite(o.dropout) || o.dropout < 0 || o.dropout >= 1) {
    throw new LoraOptionsError(`LoRA dropout must be in [0, 1), got ${o.dropout}`);
  }
  if (o.init !== 'kaiming' && o.init !== 'gaussian') {
    throw new LoraOptionsError(`LoRA init must be "kaiming" or "gaussian", got ${JSON.stringify(o.init)}`);
  }
  if (o.useDora !== undefined && typeof o.useDora !== 'boolean') throw new LoraOptionsError(`useDora must be true or false, got ${JSON.stringify(o.useDora)}`);
  if (typeof o.useRslora !== 'boolean') throw new LoraOptionsError(`useRslora must be true or false, got ${JSON.stringify(o.useRslora)}`);
  if ('regex' in o.targets) {
    if (o.targets.regex.length === 0) throw new LoraOptionsError('LoRA target regex is empty (use re:<regex>, e.g. re:.*\\.(q_proj|v_proj))');
    try {
      new RegExp(o.targets.regex);
    } catch (err) {
      throw new LoraOptionsError(`LoRA target regex ${JSON.stringify(o.targets.regex)} is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    if (o.targets.modules.length === 0) throw new LoraOptionsError('LoRA target modules are empty (e.g. q_proj,v_proj)');
    for (const m of o.targets.modules) {
      if (!/^[A-Za-z0-9_.]+$/.test(m) || m.startsWith('.') || m.endsWith('.')) {
        throw new LoraOptionsError(`LoRA target module ${JSON.stringify(m)} is not a module name (letters, digits, _ and dots; for a regex write re:<regex>)`);
      }
    }
  }
}

/** Targets in `config`'s module names (a regex is kept as written). */
export function targetsFor(config: NativeModelConfig, targets: LoraTargets): LoraTargets {
  return 'regex' in targets ? targets : { modules: moduleNamesFor(config, targets.modules) };
}

/** Which module names in `moduleNames` the targets select, with PEFT's matching rule. */
export function matchesTarget(targets: LoraTargets, moduleName: string): boolean {
  if ('regex' in targets) return new RegExp(`^(?:${targets.regex})$`).test(moduleName);
  return targets.modules.some((t) => moduleName === t || moduleName.endsWith(`.${t}`));
}

/** List targets that select nothing among the model's targeted modules (for a warning). */
export function unmatchedTargets(targets: LoraTargets, targetedModules: string[]): string[] {
  if ('regex' in targets) return targetedModules.length === 0 ? [`re:${targets.regex}`] : [];
  return targets.modules.filter((t) => !targetedModules.some((m) => m === t || m.endsWith(`.${t}`)));
}

/** The addon's LoRA options. */
export function toNativeLoraOptions(o: LoraOptions, seed: number): NativeLoraOptions {
  validateLoraOptions(o);
  const base = { r: o.r, alpha: o.alpha, dropout: o.dropout, useRslora: o.useRslora, init: o.init, seed, ...(o.useDora ? { useDora: true } : {}) };
  return 'regex' in o.targets ? { ...base, targetRegex: o.targets.regex } : { ...base, targetModules: [...o.targets.modules] };
}

/** The scale applied to B·A: alpha / r, or alpha / sqrt(r) with rsLoRA (as PEFT computes it). */
export function loraScaling(o: Pick<LoraOptions, 'r' | 'alpha' | 'useRslora'>): number {
  return o.useRslora ? o.alpha / Math.sqrt(o.r) : o.alpha / o.r;
}

/** adapter_config.json, field for field as PEFT's LoraConfig writes it. */
export function adapterConfig(o: LoraOptions, baseModelNameOrPath: string, taskType = 'CAUSAL_LM'): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModelNameOrPath,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: o.init === 'gaussian' ? 'gaussian' : true,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: o.r,
    rank_pattern: {},
    revision: null,
    target_modules: 'regex' in o.targets ? o.targets.regex : [...o.targets.modules],
    task_type: taskType,
    use_dora: o.useDora ?? false,
    use_rslora: o.useRslora,
  };
}

/** PEFT's key in adapter_model.safetensors for a native LoRA parameter name. */
export function peftKey(parameterName: string): string {
  return `base_model.model.${parameterName}`;
}

/** [key in file, native name] for every LoRA parameter of the model (DoRA's magnitudes included). */
export function loraSaveEntries(parameterNames: string[]): Array<[string, string]> {
  return parameterNames.filter((n) => /\.(lora_[AB]\.weight|lora_magnitude_vector)$/.test(n)).map((n) => [peftKey(n), n]);
}

export interface SaveLoraAdapterOptions {
  baseModelNameOrPath: string;
  /** Extra files for the adapter folder, [name, content] (e.g. a README). */
  extraFiles?: Array<[string, string]>;
}

/**
 * Saves the model's LoRA weights and config as an HF PEFT adapter in `dir` (created if needed; a run folder
 * with other files is fine). adapter_config.json appears last, so a folder holding it holds a whole adapter.
 */
export async function saveLoraAdapter(model: NativeModel, dir: string, o: LoraOptions, options: SaveLoraAdapterOptions): Promise<{ files: string[]; tensors: number }> {
  validateLoraOptions(o);
  const entries = loraSaveEntries(model.parameterNames({ trainableOnly: true }));
  if (entries.length === 0) throw new Error('saveLoraAdapter: the model has no LoRA parameters (was applyLora called?)');
  const config = adapterConfig(o, options.baseModelNameOrPath, peftTaskType(model.config()));
  await writeFolderAtomically(dir, 'adapter_config.json', async (tmp) => {
    await model.saveParameters(path.join(tmp, 'adapter_model.safetensors'), entries, { format: 'pt' });
    for (const [name, content] of options.extraFiles ?? []) await writeFile(path.join(tmp, name), content);
    await writeFile(path.join(tmp, 'adapter_config.json'), JSON.stringify(config, null, 2) + '\n');
  });
  const out = path.resolve(dir);
  return {
    files: [path.join(out, 'adapter_config.json'), path.join(out, 'adapter_model.safetensors')],
    tensors: entries.length,
  };
}

/** LoRA / DoRA options from a PEFT LORA adapter_config.json (fields that change the math must be ones implemented here). */
export function loraOptionsFromConfig(folder: AdapterFolder): LoraOptions {
  const f = new ConfigFields(folder);
  f.expect('bias', ['none', null], 'LoRA bias training is not implemented');
  f.expect('fan_in_fan_out', [false, null], 'Llama-family projections are not Conv1D');
  f.expect('rank_pattern', [{}, null], 'per-module ranks are not implemented');
  f.expect('alpha_pattern', [{}, null], 'per-module alphas are not implemented');
  f.expect('layers_to_transform', [null], 'layer selection is not implemented');
  f.expect('modules_to_save', [null, []], 'modules_to_save (fully trained extra modules) is not implemented');
  f.expect('lora_bias', [false, null], 'LoRA-B bias is not implemented');
  f.expect('exclude_modules', [null, []], 'exclude_modules is not implemented');
  f.expect('layer_replication', [null], 'layer replication is not implemented');
  const o: LoraOptions = {
    r: f.positiveInt('r'),
    alpha: f.number('lora_alpha'),
    dropout: f.number('lora_dropout', 0),
    targets: f.targets('target_modules'),
    useRslora: f.bool('use_rslora', false),
    useDora: f.bool('use_dora', false),
    init: folder.config.init_lora_weights === 'gaussian' ? 'gaussian' : 'kaiming',
  };
  try {
    validateLoraOptions(o);
  } catch (err) {
    throw new AdapterError(`${folder.configFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return o;
}

/** Copies the LoRA (and DoRA magnitude) tensors of a PEFT adapter into a model that has LoRA applied with its options. */
export async function loadLoraWeights(model: NativeModel, folder: AdapterFolder, baseHint: string): Promise<void> {
  await loadAdapterTensors(model, folder, loraSaveEntries(model.parameterNames({ group: 'adapter' })), baseHint);
}

/** LoRA's and DoRA's settings: DoRA is LoRA with useDora set. */
export type LoraSettings = { method: 'lora' | 'dora'; lora: LoraOptions };

function resolveLora(method: 'lora' | 'dora', o: MethodTrainOptions, targets: LoraTargets | undefined, preset: LoraDefaults): LoraSettings {
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
  return { method, lora };
}

const LORA_FLAGS: readonly MethodFlagSpec[] = [
  { key: 'rank', value: '<r>', help: 'LoRA rank (default 8; tiny/small presets: 16)', parse: integerValue(1, 'LoRA rank') },
  {
    key: 'alpha',
    value: '<alpha>',
    help: 'LoRA alpha, scale alpha/r (default: = rank as the study; tiny/small presets: 32 with their rank 16)',
    parse: numberValue('LoRA alpha', (n) => n > 0, 'a positive number'),
  },
  { key: 'dropout', value: '<p>', help: 'LoRA dropout (default 0.1)', parse: numberValue('LoRA dropout', (n) => n >= 0 && n < 1, 'in [0, 1)') },
  { key: 'rslora', help: 'rank-stabilized LoRA: scale alpha/sqrt(r)' },
  { key: 'loraInit', value: '<init>', help: 'LoRA A init: kaiming (PEFT default) or gaussian', choices: ['kaiming', 'gaussian'] },
];

function loraMethod(method: 'lora' | 'dora'): MethodSpec<LoraSettings> {
  const title = method === 'dora' ? 'DoRA' : 'LoRA';
  const withDora = (s: LoraSettings): LoraOptions => ({ ...s.lora, useDora: s.method === 'dora' });
  return {
    name: method,
    title,
    cli: LORA_FLAGS,
    targetModules: true,
    resolve: (o, targets, preset) => resolveLora(method, o, targets, preset),
    describe: (s) => {
      const l = s.lora;
      return `${s.method === 'dora' ? 'DoRA' : 'LoRA'} r=${l.r} alpha=${l.alpha} dropout=${l.dropout} targets=${describeTargets(l.targets)}${l.useRslora ? ' rsLoRA' : ''}${l.init === 'gaussian' ? ' init=gaussian' : ''}`;
    },
    apply: (model, s, _config, seed) => model.applyLora(toNativeLoraOptions(withDora(s), seed)).targetedModules,
    forModel: (s, config) => ({ ...s, lora: { ...s.lora, targets: targetsFor(config, s.lora.targets) } }),
    targets: (s) => s.lora.targets,
    save: async (model, dir, s, ctx) =>
      (await saveLoraAdapter(model, dir, withDora(s), { baseModelNameOrPath: ctx.baseModelNameOrPath, ...(ctx.extraFiles ? { extraFiles: ctx.extraFiles } : {}) })).files,
    // One PEFT type for both: use_dora in the config tells them apart.
    reader: {
      peftType: 'LORA',
      settingsFromConfig: (folder) => {
        const lora = loraOptionsFromConfig(folder);
        return { method: lora.useDora ? 'dora' : 'lora', lora };
      },
      loadWeights: loadLoraWeights,
    },
    bench: {
      keys: {
        r: 'rank (default 8)',
        alpha: 'alpha (default = r)',
        targets: 'target modules: q_proj+v_proj style, or all-linear (default q_proj+v_proj)',
      },
      // The benchmark times the arithmetic: no dropout, whatever train's default.
      options: (params, int, num) => ({
        options: { rank: int('r'), alpha: num('alpha'), dropout: 0 },
        ...(params['targets'] === undefined ? {} : { targets: parseTargetModules(params['targets'].replace(/\+/g, ',')) }),
      }),
    },
    studyRecipe: {},
    capabilities: { trainsBase: false, packing: true, mergeable: true, hfPeftLayout: true, adaptsModules: true, places: ['linear layers'] },
  };
}

export const LORA_METHOD = loraMethod('lora');
export const DORA_METHOD = loraMethod('dora');
