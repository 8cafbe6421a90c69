// A sweep spec: the runs of an experiment grid, written as `peft-native train` flags. Pure (no addon, no files
// but the spec): a bad spec fails with a SweepSpecError that names the file and field (exit code 2).
//
// {
//   "name": "lr-grid",                        optional; for the report
//   "base": { "model": "...", "eval-times": 8 },   flags every run gets (flag name without "--": value)
//   "grids": [                                the runs are the union of the grids' runs
//     { "name": "lora",                        optional
//       "settings": { "lr": [1e-4, 5e-4], "seed": 42 },   a list is an axis: one run per value
//       "variants": [ { "method": "lora", "rank": [8, 64] }, { "method": "full", "lr": 1e-5 } ] }
//   ],
//   "memorization": { "max-instances": 100 }  optional (true: with eval's defaults; null/false: none): after each
//                                             run, score the training tasks' held-out instances (eval --split memorization)
//   "benchmarks": { "mmlu": { "bench-data": "data/eval/mmlu", "shots": 5 } }   optional: after each run, evaluate
// }                                           it on each open-instruction benchmark (eval --run --benchmark <name> ...)
//
// Each grid's runs are the product of its settings' axes and its variants (each variant expanded the same way);
// a key a variant sets replaces that setting's axis for the variant's runs. Values: strings, numbers, booleans
// (true = the bare flag, false = left out). Identical runs listed by several grids run once.
import { createHash } from 'node:crypto';
import { UsageError } from '../util/usage-error.js';

export type FlagValue = string | number | boolean;
/** Train flags of one run: flag name (without "--") -> value. */
export type RunSettings = Record<string, FlagValue>;

export interface GridSpec {
  name: string;
  settings: Record<string, FlagValue | FlagValue[]>;
  variants: Array<Record<string, FlagValue | FlagValue[]>>;
}

export interface SweepSpec {
  name: string;
  description: string;
  base: RunSettings;
  grids: GridSpec[];
  /** Flags of the memorization evaluation after each run (`eval --run ... --split memorization`), or null: none. */
  memorization: RunSettings | null;
  /** Open-instruction benchmarks after each run: name -> `eval --run ... --benchmark <name>` flags (empty: none). */
  benchmarks: Record<string, RunSettings>;
}

export interface PlannedRun {
  /** Folder name under <sweep>/runs: the settings in short form plus a hash of all of them. */
  id: string;
  /** The grids that list this run. */
  grids: string[];
  /** Every train flag of the run (base included), in a stable key order. */
  settings: RunSettings;
}

/** A sweep spec that cannot be used: one line naming the file and field; exit code 2. */
export class SweepSpecError extends UsageError {}

/** Flags the sweep sets itself for every run. */
export const SWEEP_OWNED_FLAGS = ['out', 'resume', 'overwrite', 'threads', 'device', 'quiet', 'verbose', 'log-every'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFlagValue = (v: unknown): v is FlagValue => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
const FLAG_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function checkSettings(where: string, value: unknown, allowLists: boolean): Record<string, FlagValue | FlagValue[]> {
  if (!isObject(value)) throw new SweepSpecError(`${where}: expected an object of flag: value`);
  for (const [key, v] of Object.entries(value)) {
    const field = `${where}.${key}`;
    if (!FLAG_NAME.test(key)) throw new SweepSpecError(`${field}: not a flag name (write train flags without "--", e.g. "eval-times")`);
    if (SWEEP_OWNED_FLAGS.includes(key)) throw new SweepSpecError(`${field}: the sweep sets --${key} itself`);
    if (Array.isArray(v)) {
      if (!allowLists) throw new SweepSpecError(`${field}: a list is not allowed here (one value)`);
      if (v.length === 0) throw new SweepSpecError(`${field}: an empty list gives no runs`);
      const bad = v.findIndex((x) => !isFlagValue(x));
      if (bad >= 0) throw new SweepSpecError(`${field}[${bad}]: expected a string, number or boolean`);
    } else if (!isFlagValue(v)) {
      throw new SweepSpecError(`${field}: expected a string, number or boolean${allowLists ? ', or a list of them' : ''}`);
    }
  }
  return value as Record<string, FlagValue | FlagValue[]>;
}

/** Validates a parsed spec; `file` names it in errors. */
export function parseSweepSpec(raw: unknown, file: string): SweepSpec {
  if (!isObject(raw)) throw new SweepSpecError(`${file}: expected a JSON object`);
  const known = ['name', 'description', 'base', 'grids', 'settings', 'variants', 'memorization', 'benchmarks'];
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new SweepSpecError(`${file}: unknown field "${unknown[0]}" (expected ${known.join(', ')})`);
  for (const k of ['name', 'description'] as const) {
    if (raw[k] !== undefined && typeof raw[k] !== 'string') throw new SweepSpecError(`${file}: ${k}: expected a string`);
  }
  const base = checkSettings(`${file}: base`, raw.base ?? {}, false) as RunSettings;
  if (raw.grids !== undefined && (raw.settings !== undefined || raw.variants !== undefined)) {
    throw new SweepSpecError(`${file}: give either "grids" or one grid's "settings"/"variants" at the top, not both`);
  }
  const gridList: unknown[] = raw.grids !== undefined ? (Array.isArray(raw.grids) ? raw.grids : [raw.grids]) : [{ name: 'main', settings: raw.settings ?? {}, variants: raw.variants }];
  if (raw.grids !== undefined && !Array.isArray(raw.grids)) throw new SweepSpecError(`${file}: grids: expected a list of grids`);
  if (gridList.length === 0) throw new SweepSpecError(`${file}: grids: the list is empty`);
  const grids = gridList.map((g, i): GridSpec => {
    const where = `${file}: grids[${i}]`;
    if (!isObject(g)) throw new SweepSpecError(`${where}: expected an object`);
    const extra = Object.keys(g).filter((k) => !['name', 'settings', 'variants'].includes(k));
    if (extra.length > 0) throw new SweepSpecError(`${where}: unknown field "${extra[0]}" (expected name, settings, variants)`);
    if (g.name !== undefined && typeof g.name !== 'string') throw new SweepSpecError(`${where}.name: expected a string`);
    const settings = checkSettings(`${where}.settings`, g.settings ?? {}, true);
    if (g.variants !== undefined && (!Array.isArray(g.variants) || g.variants.length === 0)) throw new SweepSpecError(`${where}.variants: expected a non-empty list of objects`);
    const variants = ((g.variants as unknown[] | undefined) ?? [{}]).map((v, j) => checkSettings(`${where}.variants[${j}]`, v, true));
    return { name: typeof g.name === 'string' ? g.name : gridList.length === 1 ? 'main' : `grid${i + 1}`, settings, variants };
  });
  const names = grids.map((g) => g.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new SweepSpecError(`${file}: grids: two grids are named "${dup}"`);
  let memorization: RunSettings | null = null;
  if (raw.memorization !== undefined && raw.memorization !== null && raw.memorization !== false) {
    memorization = raw.memorization === true ? {} : (checkSettings(`${file}: memorization`, raw.memorization, false) as RunSettings);
  }
  const benchmarks: Record<string, RunSettings> = {};
  if (raw.benchmarks !== undefined && raw.benchmarks !== null) {
    if (!isObject(raw.benchmarks)) throw new SweepSpecError(`${file}: benchmarks: expected an object of benchmark name: eval flags`);
    for (const [name, flags] of Object.entries(raw.benchmarks)) {
      if (!FLAG_NAME.test(name.replace(/_/g, '-'))) throw new SweepSpecError(`${file}: benchmarks.${name}: not a benchmark name`);
      benchmarks[name] = checkSettings(`${file}: benchmarks.${name}`, flags, false) as RunSettings;
    }
  }
  return { name: typeof raw.name === 'string' ? raw.name : 'sweep', description: typeof raw.description === 'string' ? raw.description : '', base, grids, memorization, benchmarks };
}

/** The `eval` flags that run benchmark `name` with `flags` (the run folder and --out are added by the caller). */
export function benchmarkArgs(name: string, flags: RunSettings): string[] {
  return ['--benchmark', name, ...settingsToArgs(flags)];
}

/** Every combination of the axes (lists) in `settings`, in key order then value order. */
function product(settings: Record<string, FlagValue | FlagValue[]>): RunSettings[] {
  let out: RunSettings[] = [{}];
  for (const [key, value] of Object.entries(settings)) {
    const values = Array.isArray(value) ? value : [value];
    out = out.flatMap((s) => values.map((v) => ({ ...s, [key]: v })));
  }
  return out;
}

/** Flags first in this order (the run's identity as a reader scans it), the rest alphabetically. */
const KEY_ORDER = ['model', 'method', 'rank', 'adapter-size', 'reduction-factor', 'virtual-tokens', 'prefix-hidden', 'lr', 'train-tasks', 'seed'];
const SHORT: Record<string, string> = { rank: 'r', 'adapter-size': 'size', 'virtual-tokens': 'vt', 'prefix-hidden': 'ph', 'train-tasks': 'n', seed: 's', 'instances-per-task': 'ipt', 'train-categories': 'k', instruction: 'instr-' };

function ordered(settings: RunSettings): RunSettings {
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const keys = Object.keys(settings).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(keys.map((k) => [k, settings[k]!]));
}

/** A folder-safe id: the varying settings in short form (those not in `base`) and a hash of all settings. */
function runId(settings: RunSettings, base: RunSettings): string {
  const hash = createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 8);
  const parts = Object.entries(settings)
    .filter(([k, v]) => base[k] !== v && v !== false)
    .map(([k, v]) => (k === 'method' ? String(v) : k === 'model' ? String(v).split(/[\\/:]/).filter(Boolean).pop() ?? 'model' : `${SHORT[k] ?? k}${v === true ? '' : String(v)}`));
  const readable = parts.join('-').replace(/[^A-Za-z0-9._+-]+/g, '_').slice(0, 80);
  return readable ? `${readable}-${hash}` : hash;
}

/** The runs of a spec, in grid order; a run listed by several grids appears once (with every grid's name). */
export function expandSweep(spec: SweepSpec): PlannedRun[] {
  const runs = new Map<string, PlannedRun>();
  for (const grid of spec.grids) {
    for (const variant of grid.variants) {
      const axes = Object.fromEntries(Object.entries(grid.settings).filter(([k]) => !(k in variant)));
      for (const a of product(axes)) {
        for (const v of product(variant)) {
          const settings = ordered({ ...spec.base, ...a, ...v });
          const id = runId(settings, spec.base);
          const seen = runs.get(id);
          if (seen) {
            if (!seen.grids.includes(grid.name)) seen.grids.push(grid.name);
          } else {
            runs.set(id, { id, grids: [grid.name], settings });
          }
        }
      }
    }
  }
  return [...runs.values()];
}

/** The `peft-native train` arguments of a run's settings (booleans: the bare flag when true, nothing when false). */
export function settingsToArgs(settings: RunSettings): string[] {
  return Object.entries(settings).flatMap(([k, v]) => (v === true ? [`--${k}`] : v === false ? [] : [`--${k}`, String(v)]));
}
