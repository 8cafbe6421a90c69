// The `--methods` list of `peft-native bench`: comma-separated entries `name[:key=value[:key=value...]]`,
// e.g. `full,lora:r=8,lora:r=64:targets=all-linear,ia3,adapter:size=16,prefix:n=8:mlp=none,bitfit`. Each
// entry becomes one benchmarked configuration, labelled by its own text so the table and chart show exactly
// what the user asked for. Its settings are resolved by the same code as `train --method`
// (src/train/method-options.ts): the same defaults and the same validation.
import type { MethodSettings, TrainMethod } from '../peft/methods.js';
import { LoraOptionsError, parseTargetModules, type LoraTargets } from '../peft/lora.js';
import { resolveMethodSettings, type MethodTrainOptions } from '../train/method-options.js';

export interface BenchMethod {
  /** The entry as written, used as the label. */
  label: string;
  name: TrainMethod;
  params: Record<string, string>;
  /** Resolved as `train --method` would (plain JSON: it travels to the worker process). */
  settings: MethodSettings;
}

const LORA_KEYS = {
  r: 'rank (default 8)',
  alpha: 'alpha (default = r)',
  targets: 'target modules: q_proj+v_proj style, or all-linear (default q_proj+v_proj)',
};

/** Keys each method accepts, with what they mean (for errors and --help). */
export const BENCH_METHOD_KEYS: Record<TrainMethod, Record<string, string>> = {
  full: {},
  lora: LORA_KEYS,
  dora: LORA_KEYS,
  ia3: {},
  adapter: { size: 'bottleneck width (default 64)', rf: 'reduction factor: width = hidden size / rf (instead of size)' },
  prompt: { n: 'virtual tokens (default 32)' },
  prefix: { n: 'virtual tokens (default 8)', mlp: 'reparameterization MLP hidden size (default 512), or none' },
  bitfit: {},
};

export class BenchMethodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchMethodError';
  }
}

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

/** The entry's keys as `train` options. */
function trainOptions(label: string, name: TrainMethod, params: Record<string, string>): { options: MethodTrainOptions; targets: LoraTargets | undefined } {
  const int = (key: string) => intParam(label, params, key);
  const num = (key: string) => numberParam(label, params, key);
  switch (name) {
    case 'lora':
    case 'dora':
      // The benchmark times the arithmetic: no dropout, whatever train's default.
      return {
        options: { rank: int('r'), alpha: num('alpha'), dropout: 0 },
        targets: params['targets'] === undefined ? undefined : parseTargetModules(params['targets'].replace(/\+/g, ',')),
      };
    case 'adapter':
      return { options: { adapterSize: int('size'), reductionFactor: num('rf') }, targets: undefined };
    case 'prompt':
      return { options: { virtualTokens: int('n') }, targets: undefined };
    case 'prefix':
      return { options: { virtualTokens: int('n'), prefixHiddenSize: params['mlp'] === 'none' ? null : int('mlp') }, targets: undefined };
    case 'ia3':
    case 'bitfit':
    case 'full':
      return { options: {}, targets: undefined };
  }
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
    if (!Object.hasOwn(BENCH_METHOD_KEYS, rawName!)) throw new BenchMethodError(`unknown method "${rawName}" in --methods entry "${label}"; accepted: ${describeBenchMethods()}`);
    const name = rawName as TrainMethod;
    const keys = BENCH_METHOD_KEYS[name];
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
      const { options, targets } = trainOptions(label, name, params);
      return { label, name, params, settings: resolveMethodSettings(name, options, targets) };
    } catch (err) {
      if (err instanceof LoraOptionsError) throw new BenchMethodError(`--methods entry "${label}": ${err.message}`);
      throw err;
    }
  });
}
