// Loading a LoRA adapter saved in the Hugging Face PEFT layout (adapter_config.json +
// adapter_model.safetensors with keys base_model.model.<module>.lora_{A,B}.weight) onto a loaded model.
// Everything is checked before the model is touched: the config fields this loader supports, the base
// model's name, that the target modules exist, and every tensor's key and shape; each mismatch is an
// AdapterError naming the file, the field or tensor, and what the model has instead.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { native, type NativeModel } from '../native/binding.js';
import { AdapterError } from './adapter-files.js';
import { matchesTarget, peftKey, toNativeLoraOptions, validateLoraOptions, LoraOptionsError, type LoraOptions } from './lora.js';

// One error class for every adapter loader (src/peft/methods.ts loadAdapter reads all methods).
export { AdapterError };

export interface LoadAdapterOptions {
  /** The model's display name (HF folder or builtin:<name>), compared with base_model_name_or_path. */
  modelName?: string;
  /** Skip the base-model name check (same weights stored under another name). */
  ignoreBaseName?: boolean;
}

export interface LoadedAdapter {
  dir: string;
  options: LoraOptions;
  baseModelNameOrPath: string | null;
  targetedModules: string[];
  tensors: number;
}

const LINEAR_WEIGHT = /^(model\.layers\.\d+\.(?:self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj))\.weight$/;

function fail(file: string, message: string): never {
  throw new AdapterError(`${file}: ${message}`);
}

/** LoRA options from adapter_config.json; fields this loader cannot honour are errors, not ignored. */
export function loraOptionsFromAdapterConfig(raw: unknown, file: string): LoraOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, 'is not a JSON object');
  const c = raw as Record<string, unknown>;
  if (c.peft_type !== 'LORA') fail(file, `peft_type is ${JSON.stringify(c.peft_type)}; only LORA adapters can be loaded`);
  const unsupported: Array<[string, (v: unknown) => boolean]> = [
    ['use_dora', (v) => v === undefined || v === false],
    ['bias', (v) => v === undefined || v === 'none'],
    ['fan_in_fan_out', (v) => v === undefined || v === false],
    ['modules_to_save', (v) => v === undefined || v === null],
    ['layers_to_transform', (v) => v === undefined || v === null],
    ['rank_pattern', (v) => v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)],
    ['alpha_pattern', (v) => v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)],
  ];
  for (const [field, ok] of unsupported) {
    if (!ok(c[field])) fail(file, `${field} = ${JSON.stringify(c[field])} is not supported (only the plain LoRA setting)`);
  }
  const targets = c.target_modules;
  let parsedTargets: LoraOptions['targets'];
  if (typeof targets === 'string') parsedTargets = { regex: targets };
  else if (Array.isArray(targets) && targets.every((t) => typeof t === 'string')) parsedTargets = { modules: [...(targets as string[])] };
  else fail(file, `target_modules must be a list of module names or a regex string, got ${JSON.stringify(targets)}`);
  const options: LoraOptions = {
    r: c.r as number,
    alpha: c.lora_alpha as number,
    dropout: (c.lora_dropout ?? 0) as number,
    targets: parsedTargets,
    useRslora: (c.use_rslora ?? false) as boolean,
    init: c.init_lora_weights === 'gaussian' ? 'gaussian' : 'kaiming',
  };
  try {
    validateLoraOptions(options);
  } catch (err) {
    if (err instanceof LoraOptionsError) fail(file, err.message);
    throw err;
  }
  return options;
}

/** The last path component of a model name (folders and hub ids alike), for the base-model check. */
function baseNameOf(name: string): string {
  return name.startsWith('builtin:') ? name : path.basename(name.replace(/[\\/]+$/, ''));
}

/** Reads, checks and loads the adapter in `dir` onto `model` (which must not have LoRA yet). */
export async function loadLoraAdapter(model: NativeModel, dir: string, options: LoadAdapterOptions = {}): Promise<LoadedAdapter> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new AdapterError(`adapter folder ${dir} does not exist or is not a folder`);
  const configFile = path.join(dir, 'adapter_config.json');
  const weightsFile = path.join(dir, 'adapter_model.safetensors');
  if (!existsSync(configFile)) throw new AdapterError(`adapter folder ${dir} has no adapter_config.json (an HF PEFT adapter folder holds adapter_config.json + adapter_model.safetensors)`);
  if (!existsSync(weightsFile)) {
    const bin = existsSync(path.join(dir, 'adapter_model.bin')) ? ' (adapter_model.bin is a pickle; save with safe_serialization=True)' : '';
    throw new AdapterError(`adapter folder ${dir} has no adapter_model.safetensors${bin}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configFile, 'utf8'));
  } catch (err) {
    throw new AdapterError(`${configFile}: invalid JSON: ${(err as Error).message}`);
  }
  const lora = loraOptionsFromAdapterConfig(raw, configFile);
  const base = (raw as Record<string, unknown>).base_model_name_or_path;
  const baseName = typeof base === 'string' && base.length > 0 ? base : null;
  if (baseName !== null && options.modelName !== undefined && !options.ignoreBaseName && baseNameOf(baseName) !== baseNameOf(options.modelName)) {
    throw new AdapterError(
      `${configFile}: the adapter was trained on base model "${baseName}" (base_model_name_or_path) but the model is ` +
        `"${options.modelName}"; pass --ignore-base-name if these are the same weights under another name`,
    );
  }
  if (model.parameterNames().some((n) => n.includes('.lora_'))) throw new AdapterError(`the model already has LoRA weights; load ${dir} onto a fresh model`);

  // Which linear modules the config selects, and the tensor shapes that implies.
  const modules = model.parameterNames().map((n) => LINEAR_WEIGHT.exec(n)?.[1]).filter((m): m is string => m !== undefined);
  const targeted = modules.filter((m) => matchesTarget(lora.targets, m));
  if ('modules' in lora.targets) {
    const unknown = lora.targets.modules.filter((t) => !modules.some((m) => m === t || m.endsWith(`.${t}`)));
    if (unknown.length > 0) {
      throw new AdapterError(`${configFile}: target_modules ${unknown.join(', ')} match no linear module of the model (it has q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)`);
    }
  } else if (targeted.length === 0) {
    throw new AdapterError(`${configFile}: target_modules regex ${JSON.stringify(lora.targets.regex)} matches no linear module of the model`);
  }
  const expected = new Map<string, number[]>();
  for (const m of targeted) {
    const [out, inFeatures] = model.parameterShape(`${m}.weight`) as [number, number];
    expected.set(peftKey(`${m}.lora_A.weight`), [lora.r, inFeatures]);
    expected.set(peftKey(`${m}.lora_B.weight`), [out, lora.r]);
  }
  const { tensors } = await native().safetensors.inspect(weightsFile);
  const found = new Map(tensors.map((t) => [t.name, t.shape]));
  const list = (names: string[]) => names.slice(0, 6).join(', ') + (names.length > 6 ? `, ... (${names.length} in all)` : '');
  const unexpected = [...found.keys()].filter((k) => !expected.has(k));
  if (unexpected.length > 0) fail(weightsFile, `tensors that do not belong to the model's LoRA modules: ${list(unexpected)}`);
  const missing = [...expected.keys()].filter((k) => !found.has(k));
  if (missing.length > 0) fail(weightsFile, `missing LoRA tensors for the configured target modules: ${list(missing)}`);
  for (const [key, shape] of expected) {
    const got = found.get(key)!;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      fail(weightsFile, `tensor ${key} has shape [${got.join(', ')}] but the model with r=${lora.r} needs [${shape.join(', ')}]`);
    }
  }

  // All checked: attach LoRA and copy the weights.
  const applied = model.applyLora(toNativeLoraOptions(lora, 0));
  for (const key of expected.keys()) {
    const { data } = await native().safetensors.readTensor(weightsFile, key);
    model.setParameter(key.slice('base_model.model.'.length), data);
  }
  return { dir: path.resolve(dir), options: lora, baseModelNameOrPath: baseName, targetedModules: applied.targetedModules, tensors: expected.size };
}
