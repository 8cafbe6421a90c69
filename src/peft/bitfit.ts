// BitFit (Ben Zaken et al. 2022): only biases train; the targeted linears (every linear of the blocks by
// default) without a bias get a trainable one, zero-initialized (the output is unchanged at the start) or
// normal(0, 1) as the study's released code made them. Saved in this project's layout (docs/ADAPTER_FORMATS.md):
// adapter_config.json with peft_type PEFT_NATIVE_BITFIT and the biases under their HF names (<module>.bias).
import type { NativeBitfitOptions, NativeModel, NativeModelConfig } from '../native/binding.js';
import { AdapterError, ConfigFields, loadAdapterTensors, writeAdapterFolder, type AdapterFolder } from './adapter-files.js';
import { LoraOptionsError, describeTargets, targetsFor, type LoraTargets } from './lora.js';
import { peftTaskType } from '../models/module-names.js';
import type { MethodSpec } from './method-spec.js';
import { blockCount, modelWidth } from '../models/config.js';

export const BITFIT_PEFT_TYPE = 'PEFT_NATIVE_BITFIT';
export const BITFIT_INITS = ['zeros', 'normal'] as const;
export type BitfitInit = (typeof BITFIT_INITS)[number];

export interface BitfitOptions {
  /** The linears whose biases train (null: every linear of the blocks). */
  targets: LoraTargets | null;
  /** A new bias: zeros, or normal(0, 1). */
  init: BitfitInit;
}

export const DEFAULT_BITFIT_OPTIONS: BitfitOptions = { targets: null, init: 'zeros' };

export function validateBitfitOptions(o: BitfitOptions): void {
  if (!BITFIT_INITS.includes(o.init)) throw new LoraOptionsError(`BitFit bias init must be zeros or normal, got ${JSON.stringify(o.init)}`);
  if (o.targets !== null && 'modules' in o.targets && o.targets.modules.length === 0) throw new LoraOptionsError('BitFit target modules are empty');
}

export function toNativeBitfitOptions(o: BitfitOptions, seed: number): NativeBitfitOptions {
  validateBitfitOptions(o);
  const t = o.targets === null ? {} : 'regex' in o.targets ? { targetRegex: o.targets.regex } : { targetModules: [...o.targets.modules] };
  return { ...t, init: o.init, seed };
}

export function describeBitfit(o: BitfitOptions): string {
  return `BitFit (biases only${o.targets !== null ? ` of ${describeTargets(o.targets)}` : ''}${o.init === 'normal' ? ', new biases normal(0, 1)' : ''})`;
}

/** The options a saved BitFit folder was trained with (folders without them: every linear, zeros). */
export function bitfitOptionsFromConfig(folder: AdapterFolder): BitfitOptions {
  const raw = folder.config.target_modules;
  const targets: LoraTargets | null =
    raw === undefined || raw === null ? null : typeof raw === 'string' ? { regex: raw } : Array.isArray(raw) && raw.every((m) => typeof m === 'string') ? { modules: raw as string[] } : null;
  if (raw !== undefined && raw !== null && targets === null) throw new AdapterError(`${folder.configFile}: target_modules must be a list of module names or a regex string`);
  const init = new ConfigFields(folder).string('bias_init', 'zeros');
  if (!BITFIT_INITS.includes(init as BitfitInit)) throw new AdapterError(`${folder.configFile}: bias_init must be zeros or normal, got ${JSON.stringify(init)}`);
  return { targets, init: init as BitfitInit };
}

function biasEntries(model: NativeModel): Array<[string, string]> {
  return model.parameterNames({ trainableOnly: true }).filter((n) => n.endsWith('.bias')).map((n) => [n, n]);
}

export function bitfitAdapterConfig(model: NativeModel, o: BitfitOptions, base: string, config: NativeModelConfig): Record<string, unknown> {
  return {
    peft_type: BITFIT_PEFT_TYPE,
    format_version: 1,
    task_type: peftTaskType(config),
    base_model_name_or_path: base,
    // Biases the base checkpoint lacks (zero-initialized when BitFit was applied).
    added_biases: model.parameterNames({ group: 'adapter' }),
    target_modules: o.targets === null ? null : 'regex' in o.targets ? o.targets.regex : o.targets.modules,
    bias_init: o.init,
    hidden_size: modelWidth(config),
    num_layers: blockCount(config),
  };
}

export async function saveBitfitAdapter(model: NativeModel, o: BitfitOptions, dir: string, base: string, config: NativeModelConfig, extraFiles?: Array<[string, string]>): Promise<string[]> {
  const e = biasEntries(model);
  if (e.length === 0) throw new Error('saveBitfitAdapter: the model has no trainable biases (was BitFit applied?)');
  return writeAdapterFolder(dir, bitfitAdapterConfig(model, o, base, config), (file) => model.saveParameters(file, e, { format: 'pt' }), extraFiles);
}

export function checkBitfitConfig(folder: AdapterFolder, config: NativeModelConfig): void {
  const f = new ConfigFields(folder);
  const hidden = f.positiveInt('hidden_size');
  const layers = f.positiveInt('num_layers');
  if (hidden !== modelWidth(config) || layers !== blockCount(config)) {
    throw new AdapterError(`${folder.configFile}: the biases are for hidden size ${hidden} and ${layers} layers; this model has ${modelWidth(config)} and ${blockCount(config)}`);
  }
}

export async function loadBitfitWeights(model: NativeModel, folder: AdapterFolder, baseHint: string): Promise<void> {
  await loadAdapterTensors(model, folder, biasEntries(model), baseHint);
}

export type BitfitSettings = { method: 'bitfit'; bitfit: BitfitOptions };

export const BITFIT_METHOD: MethodSpec<BitfitSettings> = {
  name: 'bitfit',
  title: 'BitFit',
  cli: [
    {
      key: 'bitfitInit',
      value: '<init>',
      help: 'BitFit: a bias added where a linear has none starts at zeros (default) or normal(0, 1); --target-modules limits BitFit to those linears',
      choices: BITFIT_INITS,
    },
  ],
  targetModules: true,
  resolve: (o, targets) => {
    const bitfit: BitfitOptions = { targets: targets ?? DEFAULT_BITFIT_OPTIONS.targets, init: o.bitfitInit ?? DEFAULT_BITFIT_OPTIONS.init };
    validateBitfitOptions(bitfit);
    return { method: 'bitfit', bitfit };
  },
  describe: (s) => describeBitfit(s.bitfit),
  apply: (model, s, _config, seed) => model.applyBitfit(toNativeBitfitOptions(s.bitfit, seed)).targetedModules,
  forModel: (s, config) => ({ ...s, bitfit: { ...s.bitfit, targets: s.bitfit.targets === null ? null : targetsFor(config, s.bitfit.targets) } }),
  save: (model, dir, s, ctx) => saveBitfitAdapter(model, s.bitfit, dir, ctx.baseModelNameOrPath, ctx.config, ctx.extraFiles),
  reader: {
    peftType: BITFIT_PEFT_TYPE,
    settingsFromConfig: (folder, config) => {
      checkBitfitConfig(folder, config);
      return { method: 'bitfit', bitfit: bitfitOptionsFromConfig(folder) };
    },
    loadWeights: loadBitfitWeights,
  },
  bench: { keys: {}, options: () => ({ options: {} }) },
  // BitFit on the self-attention sublayer's q, k, v only, new biases torch.randn (peft_trainer.py:678-698).
  studyRecipe: { targetModules: 'q_proj,k_proj,v_proj', bitfitInit: 'normal' },
  capabilities: { trainsBase: false, packing: true, mergeable: false, hfPeftLayout: false, adaptsModules: true, places: ['biases'] },
};
