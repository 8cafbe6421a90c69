// The `--methods` list of `peft-native bench`: comma-separated entries `name[:key=value[:key=value...]]`,
// e.g. `full,lora:r=8,lora:r=64:targets=all-linear,ia3,adapter:size=16,prefix:n=8:mlp=none,bitfit`. Each
// entry becomes one benchmarked configuration, labelled by its own text so the table and chart show exactly
// what the user asked for. Its settings are resolved by the same code as `train --method`
// (each method's record, src/peft/<method>.ts): the same defaults and the same validation.
import { TRAIN_METHODS, canonicalMethod, methodSpec, resolveMethodSettings, type MethodSettings, type SingleMethod, type TrainMethod } from '../peft/methods.js';
import { LoraOptionsError } from '../peft/lora.js';
import { UsageError } from '../util/usage-error.js';

export interface BenchMethod {
  /** The entry as written, used as the label. */
  label: string;
  name: TrainMethod;
  params: Record<string, string>;
  /** Resolved as `train --method` would (plain JSON: it travels to the worker process). */
  settings: MethodSettings;
}

/** Keys each method accepts, with what they mean (for errors and --help). */
export const BENCH_METHOD_KEYS: Record<SingleMethod, Readonly<Record<string, string>>> = Object.fromEntries(
  TRAIN_METHODS.map((m) => [m, methodSpec(m).bench.keys]),
) as Record<SingleMethod, Readonly<Record<string, string>>>;

export class BenchMethodError extends UsageError {}

/** One line per method with its options, for errors and --help. */
export function describeBenchMethods(): string {
  return Object.entries(BENCH_METHOD_KEYS)
    .map(([name, keys]) => (Object.keys(keys).length ? `${name}[:${Object.keys(keys).map((k) => `${k}=...`).join('][:')}]` : name))
    .join(', ');
}

function intParam(label: string, params: Record<string, string>, key: string): number | undefined {
  const raw = params[key];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new BenchMethodError(`--methods entry "${label}": ${key} must be a positive integer, got "${raw}"`);
  return v;
}

function numberParam(label: string, params: Record<string, string>, key: string): number | undefined {
  const raw = params[key];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new BenchMethodError(`--methods entry "${label}": ${key} must be a positive number, got "${raw}"`);
  return v;
}

/** Parses the whole list; every problem names the entry. */
export function parseBenchMethods(text: string): BenchMethod[] {
  const entries = text.split(',').map((s) => s.trim());
  if (entries.every((e) => e === '')) throw new BenchMethodError(`--methods is empty; accepted: ${describeBenchMethods()}`);
  const seen = new Set<string>();
  return entries.map((label) => {
    if (label === '') throw new BenchMethodError(`--methods "${text}" has an empty entry`);
    if (seen.has(label)) throw new BenchMethodError(`--methods lists ${label} twice`);
    seen.add(label);
    const [rawName, ...pairs] = label.split(':');
    let name: TrainMethod;
    try {
      name = canonicalMethod(rawName!);
    } catch (err) {
      if (err instanceof LoraOptionsError) throw new BenchMethodError(`--methods entry "${label}": ${err.message}; accepted: ${describeBenchMethods()}`);
      throw err;
    }
    // A combination takes its parts' keys.
    const keys = methodSpec(name).bench.keys;
    const params: Record<string, string> = {};
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1) throw new BenchMethodError(`--methods entry "${label}": "${pair}" is not key=value`);
      const key = pair.slice(0, eq);
      if (!(key in keys)) {
        const known = Object.keys(keys);
        throw new BenchMethodError(`--methods entry "${label}": ${name} has no option "${key}"${known.length ? ` (options: ${known.join(', ')})` : ' (it takes no options)'}`);
      }
      params[key] = pair.slice(eq + 1);
    }
    try {
      const { options, targets } = methodSpec(name).bench.options(params, (key) => intParam(label, params, key), (key) => numberParam(label, params, key));
      return { label, name, params, settings: resolveMethodSettings(name, options, targets) };
    } catch (err) {
      if (err instanceof LoraOptionsError) throw new BenchMethodError(`--methods entry "${label}": ${err.message}`);
      throw err;
    }
  });
}
