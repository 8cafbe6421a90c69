// The `--methods` list of `peft-native bench`: comma-separated entries `name[:key=value[:key=value...]]`,
// e.g. `full,lora:r=8,lora:r=64:targets=all-linear`. Each entry becomes one benchmarked configuration,
// labelled by its own text so the table and chart show exactly what the user asked for.

export interface BenchMethod {
  /** The entry as written, used as the label. */
  label: string;
  name: string;
  params: Record<string, string>;
}

/** Keys each method accepts, with what they mean (for errors and --help). */
export const BENCH_METHOD_KEYS: Record<string, Record<string, string>> = {
  full: {},
  lora: { r: 'rank (default 8)', alpha: 'alpha (default = r)', targets: 'target modules: q_proj,v_proj style joined by +, or all-linear (default q_proj+v_proj)' },
};

export class BenchMethodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchMethodError';
  }
}

function describeAccepted(): string {
  return Object.entries(BENCH_METHOD_KEYS)
    .map(([name, keys]) => (Object.keys(keys).length ? `${name}:${Object.keys(keys).map((k) => `${k}=...`).join(':')}` : name))
    .join(', ');
}

/** Parses the whole list; every problem names the entry. */
export function parseBenchMethods(text: string): BenchMethod[] {
  const entries = text.split(',').map((s) => s.trim());
  if (entries.length === 0 || entries.every((e) => e === '')) throw new BenchMethodError(`--methods is empty; accepted: ${describeAccepted()}`);
  const seen = new Set<string>();
  return entries.map((label) => {
    if (label === '') throw new BenchMethodError(`--methods "${text}" has an empty entry`);
    if (seen.has(label)) throw new BenchMethodError(`--methods lists ${label} twice`);
    seen.add(label);
    const [name, ...pairs] = label.split(':');
    const keys = BENCH_METHOD_KEYS[name!];
    if (!keys) throw new BenchMethodError(`unknown method "${name}" in --methods entry "${label}"; accepted: ${describeAccepted()}`);
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
    return { label, name: name!, params };
  });
}

/** A positive integer parameter, or the fallback when absent. */
export function intParam(m: BenchMethod, key: string, fallback: number): number {
  const raw = m.params[key];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new BenchMethodError(`--methods entry "${m.label}": ${key} must be a positive integer, got "${raw}"`);
  return v;
}
