// Reading and writing adapter folders (adapter_config.json + adapter_model.safetensors), shared by every
// method: the config as JSON with errors naming the file and field, tensors copied into the model with
// their shapes checked first (a mismatch means the adapter was made for another base model).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { native, type NativeModel } from '../native/binding.js';
import { writeFolderAtomically } from '../models/save.js';
import { UsageError } from '../util/usage-error.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** A bad adapter folder or an adapter that does not fit the model: the CLI reports it as a usage error. */
export class AdapterError extends UsageError {}

/** An adapter folder's adapter_config.json, read. */
export interface AdapterConfigFile {
  dir: string;
  configFile: string;
  config: Record<string, unknown>;
}

/** An adapter folder with its weights file (one method's folder). */
export interface AdapterFolder extends AdapterConfigFile {
  weightsFile: string;
}

/** Reads adapter_config.json of `dir` (a JSON object; errors name the file). */
export async function readAdapterConfig(dir: string): Promise<AdapterConfigFile> {
  const abs = path.resolve(dir);
  const configFile = path.join(abs, ADAPTER_CONFIG_FILE);
  if (!existsSync(abs)) throw new AdapterError(`adapter folder ${abs} does not exist`);
  if (!existsSync(configFile)) throw new AdapterError(`${abs} is not an adapter folder: it has no ${ADAPTER_CONFIG_FILE}`);
  let config: unknown;
  try {
    config = JSON.parse(await readFile(configFile, 'utf8'));
  } catch (err) {
    throw new AdapterError(`${configFile} is not valid JSON: ${jsonSyntaxProblem(err)}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new AdapterError(`${configFile} must hold a JSON object`);
  return { dir: abs, configFile, config: config as Record<string, unknown> };
}

/** Reads adapter_config.json of `dir` and locates adapter_model.safetensors. */
export async function readAdapterFolder(dir: string): Promise<AdapterFolder> {
  const read = await readAdapterConfig(dir);
  const weightsFile = path.join(read.dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(weightsFile)) {
    const legacy = existsSync(path.join(read.dir, 'adapter_model.bin')) ? ' (adapter_model.bin, pickle, is not read: re-save it with safe_serialization=True)' : '';
    throw new AdapterError(`${read.dir} has no ${ADAPTER_WEIGHTS_FILE}${legacy}`);
  }
  return { ...read, weightsFile };
}

/** Field readers that name the file and field in their errors. */
export class ConfigFields {
  constructor(private readonly folder: AdapterFolder) {}

  private fail(field: string, want: string, got: unknown): never {
    throw new AdapterError(`${this.folder.configFile}: "${field}" must be ${want}, got ${JSON.stringify(got)}`);
  }

  positiveInt(field: string): number {
    const v = this.folder.config[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(field, 'a positive integer', v);
    return v;
  }

  number(field: string, fallback?: number): number {
    const v = this.folder.config[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, 'a number', v);
    return v;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.folder.config[field] ?? fallback;
    if (typeof v !== 'boolean') this.fail(field, 'true or false', v);
    return v;
  }

  string(field: string, fallback?: string): string {
    const v = this.folder.config[field] ?? fallback;
    if (typeof v !== 'string') this.fail(field, 'a string', v);
    return v;
  }

  /** A module list (PEFT's list or set) or a regex string. */
  targets(field: string): { modules: string[] } | { regex: string } {
    const v = this.folder.config[field];
    if (typeof v === 'string') return { regex: v };
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { modules: v as string[] };
    this.fail(field, 'a list of module names or a regex string', v);
  }

  stringList(field: string): string[] {
    const v = this.folder.config[field] ?? [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(field, 'a list of module names', v);
    return v as string[];
  }

  /** Fails when a field that changes the math holds something this implementation does not do. */
  expect(field: string, allowed: unknown[], meaning: string): void {
    const v = this.folder.config[field];
    if (v === undefined) return;
    if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) {
      throw new AdapterError(`${this.folder.configFile}: "${field}" = ${JSON.stringify(v)} is not supported (${meaning})`);
    }
  }
}

/**
 * Copies tensors of the adapter file into model parameters: entries are [key in file, parameter name].
 * Every key must be present with the parameter's shape, and the file may hold no other keys; all checks run
 * before anything is copied.
 */
export async function loadAdapterTensors(model: NativeModel, folder: AdapterFolder, entries: Array<[string, string]>, baseHint: string): Promise<void> {
  const addon = native();
  const { tensors } = await addon.safetensors.inspect(folder.weightsFile);
  const inFile = new Map(tensors.map((t) => [t.name, t]));
  const wanted = new Set(entries.map(([k]) => k));
  const unexpected = tensors.map((t) => t.name).filter((n) => !wanted.has(n));
  if (unexpected.length > 0) {
    throw new AdapterError(
      `${folder.weightsFile} holds tensors the adapter config does not explain: ${unexpected.slice(0, 6).join(', ')}${unexpected.length > 6 ? `, ... (${unexpected.length})` : ''} ` +
        `(was it saved for another model or with other target modules?)`,
    );
  }
  for (const [key, name] of entries) {
    const info = inFile.get(key);
    if (!info) throw new AdapterError(`${folder.weightsFile} has no tensor ${key} (the config expects it)`);
    const shape = model.parameterShape(name);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new AdapterError(
        `${folder.weightsFile}: tensor ${key} has shape [${info.shape.join(', ')}] but this model needs [${shape.join(', ')}]: ` +
          `the adapter was made for a different base model${baseHint ? ` (its config says ${baseHint})` : ''}`,
      );
    }
  }
  for (const [key, name] of entries) {
    const { data } = await addon.safetensors.readTensor(folder.weightsFile, key);
    model.setParameter(name, data);
  }
}

/**
 * Writes an adapter folder atomically: `writeTensors` fills adapter_model.safetensors in the temporary folder,
 * adapter_config.json appears last (a folder holding it holds a whole adapter).
 */
export async function writeAdapterFolder(
  dir: string,
  config: Record<string, unknown>,
  writeTensors: (file: string) => Promise<void>,
  extraFiles: Array<[string, string]> = [],
): Promise<string[]> {
  await writeFolderAtomically(dir, ADAPTER_CONFIG_FILE, async (tmp) => {
    await writeTensors(path.join(tmp, ADAPTER_WEIGHTS_FILE));
    for (const [name, content] of extraFiles) await writeFile(path.join(tmp, name), content);
    await writeFile(path.join(tmp, ADAPTER_CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  });
  const out = path.resolve(dir);
  return [path.join(out, ADAPTER_CONFIG_FILE), path.join(out, ADAPTER_WEIGHTS_FILE)];
}

/** PEFT's key in adapter_model.safetensors for a native module parameter name (LoRA, DoRA, IA3). */
export function peftModuleKey(parameterName: string): string {
  return `base_model.model.${parameterName}`;
}

/** The inverse of peftModuleKey. */
export function nativeNameOfPeftModuleKey(key: string): string {
  const prefix = 'base_model.model.';
  if (!key.startsWith(prefix)) throw new AdapterError(`unexpected PEFT key ${key} (expected ${prefix}<module>...)`);
  return key.slice(prefix.length);
}
