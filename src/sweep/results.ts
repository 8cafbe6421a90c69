// A sweep's results as one table, one row per planned run, read back from the run folders: results.jsonl (one
// JSON object per line) and results.arrow (Arrow IPC file: pyarrow.ipc.open_file / pandas.read_feather).
// Per-task and per-category scores are JSON text columns (task or category -> {exactMatch, rougeL, rouge1, count}),
// the dev curve is two list columns. Scores are x100, as the official SuperNI evaluation reports them.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Bool, Float64, Int32, List, Field, Table, Utf8, tableToIPC, vectorFromArray, type DataType } from 'apache-arrow';
import { writeFileAtomically } from '../util/atomic-file.js';
import { MEMORIZATION_DIR, SWEEP_RUN_FILE, benchmarkDir, readJsonFile, runFolderState, type SweepRunRecord } from './run-folder.js';
import type { PlannedRun } from './spec.js';
import type { TrainSummary } from '../train/loop.js';
import type { StepMetrics } from '../train/metrics.js';
import { headlineMetrics } from '../eval/benchmark-train-evaluator.js';
import type { Benchmark } from '../eval/benchmark-run.js';

export const RESULTS_JSONL = 'results.jsonl';
export const RESULTS_ARROW = 'results.arrow';

export type RunTableStatus = 'completed' | 'diverged' | 'failed' | 'interrupted' | 'pending';

interface Scores {
  exactMatch: number;
  rougeL: number;
  rouge1: number;
}

interface EvalMetricsFile {
  overall: Scores;
  perTask: Record<string, Scores>;
  perCategory: Record<string, Scores>;
}

export interface ResultRow {
  id: string;
  grids: string[];
  status: RunTableStatus;
  /** Every train flag of the run, as JSON. */
  settings: string;
  model: string;
  method: string;
  lr: number | null;
  /** The method's size setting: LoRA/DoRA rank, adapter size, virtual tokens; null for the others. */
  size: number | null;
  trainTasks: number | null;
  /** The data ablation axes (train flags --instances-per-task, --train-categories, --instruction), null where unset. */
  instancesPerTask: number | null;
  trainCategories: number | null;
  instruction: string | null;
  seed: number | null;
  steps: number | null;
  totalSteps: number | null;
  divergedSteps: number | null;
  /** The step of the first divergence (non-finite or spiking loss), or null. */
  divergedAt: number | null;
  firstLoss: number | null;
  lastLoss: number | null;
  devSteps: number[];
  devRougeL: number[];
  bestStep: number | null;
  bestDevRougeL: number | null;
  testExactMatch: number | null;
  testRougeL: number | null;
  testRouge1: number | null;
  testPerTask: string | null;
  testPerCategory: string | null;
  memExactMatch: number | null;
  memRougeL: number | null;
  memPerTask: string | null;
  memPerCategory: string | null;
  tokensPerSec: number | null;
  trainSec: number | null;
  wallSec: number | null;
  peakRssBytes: number | null;
  trainableParameters: number | null;
  totalParameters: number | null;
  attempts: number | null;
  /** The devices the run finished on (sweep-run.json `devices`: a GPU group under --gpus-per-run), null where not recorded. */
  devices: string[] | null;
  error: string | null;
  hasMemorization: boolean;
  /** Open-instruction benchmark scores as JSON text: benchmark -> its headline metrics (no per-subject breakdown), or null. */
  benchmarks: string | null;
}

/** Each benchmark's headline metrics (benchmark-train-evaluator.ts; else the names without "/") from the run's bench-<name>/metrics.json files. */
function benchmarkScores(dir: string): Record<string, Record<string, number>> | null {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(benchmarkDir('')));
  } catch {
    return null;
  }
  const out: Record<string, Record<string, number>> = {};
  for (const folder of names.sort()) {
    const file = readJsonFile<{ benchmark?: string; metrics?: Record<string, unknown> }>(path.join(dir, folder, 'metrics.json'));
    if (!file?.metrics || typeof file.benchmark !== 'string') continue;
    const headline = headlineMetrics(file.benchmark as Benchmark);
    const keep = (name: string) => (headline ? headline.includes(name) : !name.includes('/'));
    out[file.benchmark] = Object.fromEntries(Object.entries(file.metrics).filter((e): e is [string, number] => keep(e[0]) && num(e[1]) !== null));
  }
  return Object.keys(out).length > 0 ? out : null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const SIZE_FLAG: Record<string, string> = { lora: 'rank', dora: 'rank', adapter: 'adapter-size', prompt: 'virtual-tokens', prefix: 'virtual-tokens' };

/** The JSON lines of a file (none when it is missing; a torn last line is skipped). */
function readJsonl(file: string): Array<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** One run's row from its folder (a run not started yet is `pending`). */
export function resultRow(run: PlannedRun, dir: string): ResultRow {
  const s = run.settings;
  const method = typeof s.method === 'string' ? s.method : 'lora';
  const sizeFlag = SIZE_FLAG[method];
  const state = runFolderState(dir);
  const record = readJsonFile<SweepRunRecord>(path.join(dir, SWEEP_RUN_FILE));
  const summary = readJsonFile<TrainSummary>(path.join(dir, 'summary.json'));
  const status: RunTableStatus = record ? record.status : state.kind === 'new' ? 'pending' : 'interrupted';
  const metrics = readJsonl(path.join(dir, 'metrics.jsonl')) as Array<Partial<StepMetrics> & Record<string, unknown>>;
  const dev = metrics.filter((m) => typeof m.eval_rougeL === 'number');
  const test = readJsonFile<EvalMetricsFile>(path.join(dir, 'test', 'metrics.json'));
  const mem = readJsonFile<EvalMetricsFile>(path.join(dir, MEMORIZATION_DIR, 'metrics.json'));
  const testOk = test !== null && summary?.test != null;
  const bench = benchmarkScores(dir);
  return {
    id: run.id,
    grids: run.grids,
    status,
    settings: JSON.stringify(s),
    model: String(s.model ?? 'builtin:tiny'),
    method,
    lr: num(s.lr),
    size: sizeFlag !== undefined ? num(s[sizeFlag]) : null,
    trainTasks: num(s['train-tasks']),
    instancesPerTask: num(s['instances-per-task']),
    trainCategories: num(s['train-categories']),
    instruction: typeof s.instruction === 'string' ? s.instruction : null,
    seed: num(s.seed),
    steps: num(summary?.steps),
    totalSteps: num(summary?.totalSteps),
    divergedSteps: num(summary?.divergedSteps),
    divergedAt: num(summary?.divergence?.step),
    firstLoss: num(summary?.firstLoss),
    lastLoss: num(summary?.lastLoss),
    devSteps: dev.map((m) => Number(m.step)),
    devRougeL: dev.map((m) => Number(m.eval_rougeL)),
    bestStep: num(summary?.best?.step),
    bestDevRougeL: summary?.best?.metric === 'rougeL' ? num(summary.best.value) : null,
    testExactMatch: testOk ? num(test.overall.exactMatch) : null,
    testRougeL: testOk ? num(test.overall.rougeL) : null,
    testRouge1: testOk ? num(test.overall.rouge1) : null,
    testPerTask: testOk ? JSON.stringify(test.perTask) : null,
    testPerCategory: testOk ? JSON.stringify(test.perCategory) : null,
    memExactMatch: mem ? num(mem.overall.exactMatch) : null,
    memRougeL: mem ? num(mem.overall.rougeL) : null,
    memPerTask: mem ? JSON.stringify(mem.perTask) : null,
    memPerCategory: mem ? JSON.stringify(mem.perCategory) : null,
    tokensPerSec: num(summary?.tokensPerSec),
    trainSec: num(summary?.elapsedSec),
    wallSec: num(record?.wallSec),
    peakRssBytes: num(record?.peakRssBytes),
    trainableParameters: num(summary?.trainableParameters),
    totalParameters: num(summary?.totalParameters),
    attempts: num(record?.attempts),
    devices: Array.isArray(record?.devices) ? record.devices.map(String) : null,
    error: record?.error ?? record?.memorizationError ?? (Object.values(record?.benchmarkErrors ?? {})[0] ?? null),
    hasMemorization: mem !== null,
    benchmarks: bench ? JSON.stringify(bench) : null,
  };
}

/** The Arrow column type of each field (every scalar column is nullable). */
const COLUMN_TYPES: { [K in keyof ResultRow]: () => DataType } = {
  id: () => new Utf8(), grids: () => new List(new Field('item', new Utf8(), true)), status: () => new Utf8(), settings: () => new Utf8(),
  model: () => new Utf8(), method: () => new Utf8(), lr: () => new Float64(), size: () => new Int32(), trainTasks: () => new Int32(),
  instancesPerTask: () => new Int32(), trainCategories: () => new Int32(), instruction: () => new Utf8(),
  seed: () => new Int32(), steps: () => new Int32(), totalSteps: () => new Int32(), divergedSteps: () => new Int32(), divergedAt: () => new Int32(),
  firstLoss: () => new Float64(), lastLoss: () => new Float64(), devSteps: () => new List(new Field('item', new Int32(), true)),
  devRougeL: () => new List(new Field('item', new Float64(), true)), bestStep: () => new Int32(), bestDevRougeL: () => new Float64(),
  testExactMatch: () => new Float64(), testRougeL: () => new Float64(), testRouge1: () => new Float64(), testPerTask: () => new Utf8(),
  testPerCategory: () => new Utf8(), memExactMatch: () => new Float64(), memRougeL: () => new Float64(), memPerTask: () => new Utf8(),
  memPerCategory: () => new Utf8(), tokensPerSec: () => new Float64(), trainSec: () => new Float64(), wallSec: () => new Float64(),
  peakRssBytes: () => new Float64(), trainableParameters: () => new Float64(), totalParameters: () => new Float64(), attempts: () => new Int32(),
  devices: () => new List(new Field('item', new Utf8(), true)), error: () => new Utf8(), hasMemorization: () => new Bool(), benchmarks: () => new Utf8(),
};

/** Column names in the files: snake_case (pandas' and pyarrow's habit). */
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function resultsToArrow(rows: ResultRow[], metadata: Record<string, string>): Uint8Array {
  const columns = Object.fromEntries(
    (Object.keys(COLUMN_TYPES) as Array<keyof ResultRow>).map((k) => [snake(k), vectorFromArray(rows.map((r) => r[k]) as never[], COLUMN_TYPES[k]())]),
  );
  const table = new Table(columns);
  for (const [k, v] of Object.entries(metadata)) table.schema.metadata.set(k, v);
  return tableToIPC(table, 'file');
}

/** Writes results.jsonl and results.arrow into the sweep folder (each atomically). */
export async function writeResults(sweepDir: string, rows: ResultRow[], metadata: Record<string, string>): Promise<void> {
  const jsonl = rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [snake(k), v])))).join('\n');
  await writeFileAtomically(path.join(sweepDir, RESULTS_JSONL), rows.length > 0 ? jsonl + '\n' : '');
  await writeFileAtomically(path.join(sweepDir, RESULTS_ARROW), resultsToArrow(rows, metadata));
}

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** results.jsonl read back as rows (the report's input). */
export function readResults(sweepDir: string): ResultRow[] {
  return readJsonl(path.join(sweepDir, RESULTS_JSONL)).map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v])) as unknown as ResultRow);
}
