// Numbers over a sweep's runs for the report: statistics over seeds, runs grouped by setting, and the one rule
// by which two groups of scores are called different (so every finding decides the same way).
import type { ResultRow } from '../sweep/results.js';

export interface Stats {
  n: number;
  mean: number;
  /** Sample standard deviation (0 for one value). */
  sd: number;
  min: number;
  max: number;
}

export function stats(values: number[]): Stats | null {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { n: values.length, mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

/** "12.3 ± 0.4 (3 seeds)", or "12.3 (1 seed)"; "–" without values. */
export function formatStats(s: Stats | null): string {
  if (s === null) return '–';
  return s.n > 1 ? `${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)} (${s.n} seeds)` : `${s.mean.toFixed(1)} (1 seed)`;
}

/** Scores closer than this (ROUGE-L points) are not told apart when a side has a single seed. */
export const MIN_DIFFERENCE = 1;

/**
 * Whether `a` is above or below `b`: with several seeds on both sides, only when their ranges do not overlap;
 * with one seed on a side, when the means differ by more than MIN_DIFFERENCE points. Otherwise 'unclear'.
 */
export function compare(a: Stats, b: Stats): 'above' | 'below' | 'unclear' {
  if (a.n > 1 && b.n > 1) return a.min > b.max ? 'above' : a.max < b.min ? 'below' : 'unclear';
  const d = a.mean - b.mean;
  return d > MIN_DIFFERENCE ? 'above' : d < -MIN_DIFFERENCE ? 'below' : 'unclear';
}

/** The settings of a run without its seed: runs that differ only in seed form one setting. */
export function settingKey(row: ResultRow): string {
  const { seed: _seed, ...rest } = JSON.parse(row.settings) as Record<string, unknown>;
  return JSON.stringify(rest);
}

export interface SettingGroup {
  key: string;
  method: string;
  size: number | null;
  lr: number | null;
  trainTasks: number | null;
  rows: ResultRow[];
}

/** Runs grouped by setting, in first-seen order. */
export function groupBySetting(rows: ResultRow[]): SettingGroup[] {
  const groups = new Map<string, SettingGroup>();
  for (const row of rows) {
    const key = settingKey(row);
    let g = groups.get(key);
    if (!g) {
      g = { key, method: row.method, size: row.size, lr: row.lr, trainTasks: row.trainTasks, rows: [] };
      groups.set(key, g);
    }
    g.rows.push(row);
  }
  return [...groups.values()];
}

const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);

/** Test ROUGE-L over a group's seeds (runs without a test score left out). */
export const testStats = (rows: ResultRow[]) => stats(rows.map((r) => r.testRougeL).filter(finite));
export const memStats = (rows: ResultRow[]) => stats(rows.map((r) => r.memRougeL).filter(finite));

/** The setting of `method` with the best mean test ROUGE-L, or null. */
export function bestSetting(groups: SettingGroup[], method: string): { group: SettingGroup; stats: Stats } | null {
  let best: { group: SettingGroup; stats: Stats } | null = null;
  for (const group of groups.filter((g) => g.method === method)) {
    const s = testStats(group.rows);
    if (s && (best === null || s.mean > best.stats.mean)) best = { group, stats: s };
  }
  return best;
}

/** A short name of a setting for tables and legends: method, size, lr, N. */
const SIZE_NAME: Record<string, string> = { lora: 'rank', dora: 'rank', adapter: 'size', prompt: 'tokens', prefix: 'tokens' };

export function settingLabel(g: Pick<SettingGroup, 'method' | 'size' | 'lr' | 'trainTasks'>): string {
  return [g.method, g.size !== null ? `${SIZE_NAME[g.method] ?? 'size'} ${g.size}` : null, g.lr !== null ? `lr ${g.lr}` : null, g.trainTasks !== null ? `N ${g.trainTasks}` : null].filter(Boolean).join(', ');
}
