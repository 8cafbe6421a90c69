// The table of training methods behind `--method`: every PEFT method of the study plus full finetuning, each
// one record (MethodSpec, src/peft/method-spec.ts) exported by its own module. Everything that depends on the
// method (flags, defaults, validation, applying, describing, saving, loading, capabilities) is read from the
// record; adding a method is one line here (docs/ARCHITECTURE.md, "Adding a method"). Methods joined by "+"
// (`lora+adapter`) are their records composed (src/peft/combined.ts).
import path from 'node:path';
import type { NativeModel, NativeModelConfig } from '../native/binding.js';
import { AdapterError, readAdapterConfig, readAdapterFolder, type AdapterConfigFile } from './adapter-files.js';
import { COMBINED_PEFT_TYPE, METHOD_JOINER, checkCombination, combineMethods, type CombinedSettings } from './combined.js';
import { BITFIT_METHOD } from './bitfit.js';
import { BOTTLENECK_METHOD } from './bottleneck.js';
import { FULL_METHOD } from './full.js';
import { IA3_METHOD } from './ia3.js';
import { DORA_METHOD, LORA_METHOD, LoraOptionsError, unmatchedTargets, type LoraTargets } from './lora.js';
import { linearModuleNames, peftTaskType } from '../models/module-names.js';
import type { LoraDefaults, MethodFlag, MethodFlagSpec, MethodSpec, MethodTrainOptions, SaveAdapterContext } from './method-spec.js';
import { PREFIX_METHOD } from './prefix.js';
import { PROMPT_METHOD } from './prompt.js';

/** The methods, in the order help texts list them. */
const METHOD_TABLE = {
  lora: LORA_METHOD,
  dora: DORA_METHOD,
  adapter: BOTTLENECK_METHOD,
  ia3: IA3_METHOD,
  prompt: PROMPT_METHOD,
  prefix: PREFIX_METHOD,
  bitfit: BITFIT_METHOD,
  full: FULL_METHOD,
} as const;

/** One method of the table. */
export type SingleMethod = keyof typeof METHOD_TABLE;
/** A --method value: one method, or several joined by "+" (`lora+adapter`). */
export type TrainMethod = SingleMethod | `${SingleMethod}+${string}`;
/** The table's methods, in help order. */
export const TRAIN_METHODS = Object.keys(METHOD_TABLE) as SingleMethod[];

/** One method with its options. DoRA is LoRA with useDora set. */
export type SingleMethodSettings = (typeof METHOD_TABLE)[SingleMethod] extends infer T ? (T extends MethodSpec<infer S> ? S : never) : never;
/** A method with its options (as run_config.json stores them): one method, or the parts of a combination. */
export type MethodSettings = SingleMethodSettings | (CombinedSettings<SingleMethodSettings> & { method: `${SingleMethod}+${string}` });

export type { SaveAdapterContext };

function isSingleMethod(name: string): name is SingleMethod {
  return Object.hasOwn(METHOD_TABLE, name);
}

/**
 * The parts of a --method value in the table's order (`adapter+lora` is `lora+adapter`: one name per
 * combination); LoraOptionsError with one line for an unknown part or parts that do not combine.
 */
export function methodParts(name: string): SingleMethod[] {
  const names = name.split(METHOD_JOINER).map((n) => n.trim());
  const unknown = names.find((n) => !isSingleMethod(n));
  if (unknown !== undefined) {
    throw new LoraOptionsError(`--method ${name}: unknown method "${unknown}" (expected ${TRAIN_METHODS.join(', ')}, or several joined by +, e.g. lora+adapter)`);
  }
  const parts = (names as SingleMethod[]).sort((a, b) => TRAIN_METHODS.indexOf(a) - TRAIN_METHODS.indexOf(b));
  if (parts.length > 1) checkCombination(name, parts.map((p) => METHOD_TABLE[p] as unknown as MethodSpec<SingleMethodSettings>));
  return parts;
}

/** The one name of a --method value (parts in the table's order); LoraOptionsError as methodParts. */
export function canonicalMethod(name: string): TrainMethod {
  return methodParts(name).join(METHOD_JOINER) as TrainMethod;
}

const combinedSpecs = new Map<string, MethodSpec<MethodSettings>>();

/** The record of a method by name: the table's, or its parts' composed for a combination. */
export function methodSpec(method: TrainMethod): MethodSpec<MethodSettings> {
  // Each record takes its own settings variant; callers pass settings whose `method` names that record.
  if (isSingleMethod(method)) return METHOD_TABLE[method] as unknown as MethodSpec<MethodSettings>;
  let spec = combinedSpecs.get(method);
  if (spec === undefined) {
    const parts = methodParts(method).map((p) => METHOD_TABLE[p] as unknown as MethodSpec<SingleMethodSettings>);
    spec = combineMethods(parts) as unknown as MethodSpec<MethodSettings>;
    combinedSpecs.set(method, spec);
  }
  return spec;
}

/** True when `name` is a --method value (one method, or methods that combine, in any order). */
export function isTrainMethod(name: unknown): name is TrainMethod {
  if (typeof name !== 'string') return false;
  try {
    methodParts(name);
    return true;
  } catch {
    return false;
  }
}

/** The peft_type values loadAdapter reads. */
export const SUPPORTED_PEFT_TYPES = [...new Set(TRAIN_METHODS.flatMap((m) => methodSpec(m).reader?.peftType ?? [])), COMBINED_PEFT_TYPE];

/** The CLI flag of an option key (`adapterSize` -> `--adapter-size`, or the record's own name for it). */
export function flagName(key: string): string {
  const own = allMethodFlags().find((f) => f.key === key)?.flag;
  return `--${own ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The option keys a method takes: its flags' and, where it has targets, targetModules. */
export function methodFlags(method: TrainMethod): MethodFlag[] {
  const spec = methodSpec(method);
  return [...spec.cli.map((f) => f.key), ...(spec.targetModules ? (['targetModules'] as const) : [])];
}

/** Every method's flags, each once (the first record's parser; the help of every record that shares it). */
export function allMethodFlags(): MethodFlagSpec[] {
  const byKey = new Map<string, MethodFlagSpec>();
  for (const f of TRAIN_METHODS.flatMap((m) => methodSpec(m).cli)) {
    const seen = byKey.get(f.key);
    if (seen === undefined) byKey.set(f.key, f);
    else if (!seen.help.includes(f.help)) byKey.set(f.key, { ...seen, help: `${seen.help}; ${f.help}` });
  }
  return [...byKey.values()];
}

/** Rejects options that the method does not take, naming the methods they belong to (LoraOptionsError). */
export function checkMethodFlags(method: TrainMethod, o: Record<string, unknown>): void {
  const allowed = new Set<string>(methodFlags(method));
  for (const key of new Set(TRAIN_METHODS.flatMap(methodFlags))) {
    if (o[key] === undefined || allowed.has(key)) continue;
    const owners = TRAIN_METHODS.filter((m) => (methodFlags(m) as string[]).includes(key));
    const names = owners.map((m) => methodSpec(m).title).join(', ');
    const what = methodSpec(method).capabilities.trainsBase ? methodSpec(method).title : `--method ${method}`;
    throw new LoraOptionsError(`${flagName(key)} applies only to ${names} (--method ${owners.join('|')}), not to ${what}`);
  }
}

/**
 * A method's settings from its options; `targets` is what the user gave (undefined: the method's default).
 * Throws LoraOptionsError with a one-line message.
 */
export function resolveMethodSettings(method: TrainMethod, o: MethodTrainOptions = {}, targets?: LoraTargets, loraDefaults: LoraDefaults = {}): MethodSettings {
  return methodSpec(method).resolve(o, targets, loraDefaults);
}

/** Applies the method to the model (freezing the base for PEFT methods); returns the modules it changed. */
export function applyMethod(model: NativeModel, s: MethodSettings, seed: number): string[] {
  const config = model.config();
  return methodSpec(s.method).apply(model, settingsForModel(s, config), config, seed);
}

/** The settings in the module names of `config`'s architecture (MethodSpec.forModel). */
export function settingsForModel(s: MethodSettings, config: NativeModelConfig): MethodSettings {
  const spec = methodSpec(s.method);
  return spec.forModel ? spec.forModel(s, config) : s;
}

export function describeMethod(s: MethodSettings): string {
  return methodSpec(s.method).describe(s);
}

/** Saves a PEFT method's trained weights as an adapter folder (HF PEFT layout where PEFT has the method). */
export async function saveAdapter(model: NativeModel, dir: string, s: MethodSettings, ctx: SaveAdapterContext): Promise<string[]> {
  const spec = methodSpec(s.method);
  if (!spec.save) throw new Error(`saveAdapter: ${spec.title} saves a checkpoint (saveCheckpoint), not an adapter`);
  return spec.save(model, dir, settingsForModel(s, model.config()), ctx);
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
 * adapters and BitFit; a combination's folder of such folders), applies the method to `model` and copies the
 * weights in. Errors name the file and the problem: unknown peft_type, unsupported options, another base model
 * (by name when `checks.modelName` is given, by shapes otherwise), unmatched targets. Config and name problems
 * are found before the model is touched; a tensor that does not fit is found after the method is applied, so a
 * failed load leaves the model unusable (load onto a fresh model).
 */
export async function loadAdapter(model: NativeModel, dir: string, checks: LoadAdapterChecks = {}): Promise<MethodSettings> {
  const root = await readAdapterConfig(dir);
  const config = model.config();
  const base = root.config.base_model_name_or_path;
  if (typeof base === 'string' && base !== '' && checks.modelName !== undefined && !checks.ignoreBaseName && baseNameOf(base) !== baseNameOf(checks.modelName)) {
    throw new AdapterError(
      `${root.configFile}: the adapter was trained on base model "${base}" (base_model_name_or_path) but the model is ` +
        `"${checks.modelName}"; pass --ignore-base-name if these are the same weights under another name`,
    );
  }
  if (model.parameterNames({ group: 'adapter' }).length > 0) throw new AdapterError(`the model already has adapter weights; load ${root.dir} onto a fresh model`);
  const taskType = root.config.task_type;
  const expectedTaskType = peftTaskType(config);
  if (taskType !== undefined && taskType !== null && taskType !== expectedTaskType) {
    throw new AdapterError(`${root.configFile}: task_type ${JSON.stringify(taskType)} does not fit this model (a ${config.modelType} model takes ${expectedTaskType} adapters)`);
  }
  if (root.config.peft_type !== COMBINED_PEFT_TYPE) return loadOneAdapter(model, root.dir);
  const parts = combinedParts(root);
  const loaded: SingleMethodSettings[] = [];
  for (const part of parts) loaded.push(await loadOneAdapter(model, path.join(root.dir, part), part));
  return { method: parts.join(METHOD_JOINER) as `${SingleMethod}+${string}`, parts: loaded };
}

/** The part names a combination's root adapter_config.json lists, checked: methods that combine, each once. */
function combinedParts(root: AdapterConfigFile): SingleMethod[] {
  const parts = root.config.parts;
  if (!Array.isArray(parts) || parts.length < 2 || !parts.every((p) => typeof p === 'string')) {
    throw new AdapterError(`${root.configFile}: "parts" must list the combined methods (at least two names), got ${JSON.stringify(parts)}`);
  }
  try {
    return methodParts((parts as string[]).join(METHOD_JOINER));
  } catch (err) {
    throw new AdapterError(`${root.configFile}: "parts": ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** One method's adapter folder onto `model` (alone, or as the part `expected` of a combination). */
async function loadOneAdapter(model: NativeModel, dir: string, expected?: SingleMethod): Promise<SingleMethodSettings> {
  const folder = await readAdapterFolder(dir);
  const config = model.config();
  const peftType = folder.config.peft_type;
  const baseHint = typeof folder.config.base_model_name_or_path === 'string' ? `base_model_name_or_path ${folder.config.base_model_name_or_path}` : '';
  const spec = TRAIN_METHODS.map((m) => METHOD_TABLE[m] as unknown as MethodSpec<SingleMethodSettings>).find((m) => m.reader?.peftType === peftType);
  if (!spec?.reader) {
    throw new AdapterError(`${folder.configFile}: unknown peft_type ${JSON.stringify(peftType)} (supported: ${SUPPORTED_PEFT_TYPES.join(', ')})`);
  }
  const settings = spec.reader.settingsFromConfig(folder, config);
  if (expected !== undefined && settings.method !== expected) {
    throw new AdapterError(`${folder.configFile}: the combination lists this folder as ${expected} but it holds a ${spec.title} adapter`);
  }
  let targeted: string[];
  try {
    targeted = applyMethod(model, settings, 0);
  } catch (err) {
    throw new AdapterError(`${folder.configFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const targets = methodSpec(settings.method).targets?.(settingsForModel(settings, config));
  const unknown = targets ? unmatchedTargets(targets, targeted) : [];
  if (unknown.length > 0) {
    throw new AdapterError(`${folder.configFile}: target_modules ${unknown.join(', ')} match no linear module of the model (it has ${linearModuleNames(config).join(', ')})`);
  }
  await spec.reader.loadWeights(model, folder, baseHint);
  return settings;
}
