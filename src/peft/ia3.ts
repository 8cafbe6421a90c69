// IA3 (Liu et al. 2022) with HF PEFT's defaults for Llama: scale vectors (init ones) on k_proj and v_proj
// outputs and on the input of down_proj (the feedforward module). Saved in PEFT's layout: keys
// base_model.model.<module>.ia3_l, adapter_config.json with IA3Config's fields.
import type { NativeIa3Options, NativeModel } from '../native/binding.js';
import { AdapterError, ConfigFields, loadAdapterTensors, peftModuleKey, writeAdapterFolder, type AdapterFolder } from './adapter-files.js';
import { LoraOptionsError, describeTargets, targetsFor, validateLoraOptions, DEFAULT_LORA_OPTIONS, type LoraTargets } from './lora.js';
import { moduleNamesFor, peftTaskType } from '../models/module-names.js';
import type { MethodSpec } from './method-spec.js';
import { listValue } from '../util/flag-values.js';

export interface Ia3Options {
  targets: LoraTargets;
  /** Modules whose input (not output) is scaled; must be among the targets. */
  feedforwardModules: string[];
}

/** PEFT's TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES / FEEDFORWARD_MODULES entries for llama, mistral, qwen2. */
export const DEFAULT_IA3_OPTIONS: Ia3Options = { targets: { modules: ['k_proj', 'v_proj', 'down_proj'] }, feedforwardModules: ['down_proj'] };

export function validateIa3Options(o: Ia3Options): void {
  // The target rules are LoRA's (PEFT matches both the same way).
  validateLoraOptions({ ...DEFAULT_LORA_OPTIONS, targets: o.targets });
  for (const f of o.feedforwardModules) {
    if (!/^[A-Za-z0-9_.]+$/.test(f)) throw new LoraOptionsError(`IA3 feedforward module ${JSON.stringify(f)} is not a module name`);
    if ('modules' in o.targets && !o.targets.modules.some((t) => t === f || t.endsWith(`.${f}`) || f.endsWith(`.${t}`))) {
      throw new LoraOptionsError(`IA3 feedforward module ${f} is not among the target modules ${describeTargets(o.targets)}`);
    }
  }
}

export function toNativeIa3Options(o: Ia3Options): NativeIa3Options {
  validateIa3Options(o);
  const t = 'regex' in o.targets ? { targetRegex: o.targets.regex } : { targetModules: [...o.targets.modules] };
  return { ...t, feedforwardModules: [...o.feedforwardModules] };
}

export function describeIa3(o: Ia3Options): string {
  return `IA3 targets=${describeTargets(o.targets)} feedforward=${o.feedforwardModules.join(',') || '-'}`;
}

/** adapter_config.json as PEFT's IA3Config writes it. */
export function ia3AdapterConfig(o: Ia3Options, baseModelNameOrPath: string, taskType = 'CAUSAL_LM'): Record<string, unknown> {
  return {
    auto_mapping: null,
    base_model_name_or_path: baseModelNameOrPath,
    exclude_modules: null,
    fan_in_fan_out: false,
    feedforward_modules: [...o.feedforwardModules],
    inference_mode: true,
    init_ia3_weights: true,
    modules_to_save: null,
    peft_type: 'IA3',
    revision: null,
    target_modules: 'regex' in o.targets ? o.targets.regex : [...o.targets.modules],
    task_type: taskType,
  };
}

function ia3Entries(model: NativeModel): Array<[string, string]> {
  return model.parameterNames({ group: 'adapter' }).filter((n) => n.endsWith('.ia3_l')).map((n) => [peftModuleKey(n), n]);
}

export async function saveIa3Adapter(model: NativeModel, dir: string, o: Ia3Options, base: string, extraFiles?: Array<[string, string]>): Promise<string[]> {
  const entries = ia3Entries(model);
  if (entries.length === 0) throw new Error('saveIa3Adapter: the model has no IA3 parameters');
  return writeAdapterFolder(dir, ia3AdapterConfig(o, base, peftTaskType(model.config())), (file) => model.saveParameters(file, entries, { format: 'pt' }), extraFiles);
}

/** Options from a PEFT IA3 adapter_config.json. */
export function ia3OptionsFromConfig(folder: AdapterFolder): Ia3Options {
  const f = new ConfigFields(folder);
  f.expect('fan_in_fan_out', [false], 'Llama-family projections are not Conv1D');
  f.expect('modules_to_save', [null, []], 'modules_to_save (fully trained extra modules) is not implemented');
  f.expect('exclude_modules', [null, []], 'exclude_modules is not implemented');
  const feedforward = folder.config.feedforward_modules;
  const o: Ia3Options = {
    targets: f.targets('target_modules'),
    feedforwardModules: feedforward === null || feedforward === undefined ? [] : typeof feedforward === 'string' ? [feedforward] : f.stringList('feedforward_modules'),
  };
  try {
    validateIa3Options(o);
  } catch (err) {
    throw new AdapterError(`${folder.configFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return o;
}

export async function loadIa3Weights(model: NativeModel, folder: AdapterFolder, baseHint: string): Promise<void> {
  await loadAdapterTensors(model, folder, ia3Entries(model), baseHint);
}

export type Ia3Settings = { method: 'ia3'; ia3: Ia3Options };

export const IA3_METHOD: MethodSpec<Ia3Settings> = {
  name: 'ia3',
  title: 'IA3',
  cli: [{ key: 'feedforwardModules', value: '<list>', help: 'IA3: modules whose input is scaled (default down_proj)', parse: listValue }],
  targetModules: true,
  resolve: (o, targets) => {
    const hasTargets = targets !== undefined && ('regex' in targets || targets.modules.length > 0);
    const t = hasTargets ? targets : DEFAULT_IA3_OPTIONS.targets;
    const ia3 = {
      targets: t,
      // The default feedforward module only where it is targeted.
      feedforwardModules: o.feedforwardModules ?? (hasTargets && 'modules' in t && !t.modules.includes('down_proj') ? [] : [...DEFAULT_IA3_OPTIONS.feedforwardModules]),
    };
    validateIa3Options(ia3);
    return { method: 'ia3', ia3 };
  },
  describe: (s) => describeIa3(s.ia3),
  apply: (model, s) => model.applyIa3(toNativeIa3Options(s.ia3)).targetedModules,
  forModel: (s, config) => ({
    ...s,
    ia3: { targets: targetsFor(config, s.ia3.targets), feedforwardModules: moduleNamesFor(config, s.ia3.feedforwardModules) },
  }),
  save: (model, dir, s, ctx) => saveIa3Adapter(model, dir, s.ia3, ctx.baseModelNameOrPath, ctx.extraFiles),
  reader: { peftType: 'IA3', settingsFromConfig: (folder) => ({ method: 'ia3', ia3: ia3OptionsFromConfig(folder) }), loadWeights: loadIa3Weights },
  bench: { keys: {}, options: () => ({ options: {} }) },
  studyRecipe: {},
  capabilities: { trainsBase: false, packing: true, mergeable: true, hfPeftLayout: true, adaptsModules: true, places: ['linear layers'] },
};
