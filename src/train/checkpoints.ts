// Training checkpoints in the run folder:
//   <run>/checkpoints/step-N/trainer_state.safetensors   trainable weights, AdamW state, RNG states (native)
//   <run>/checkpoints/step-N/optimizer_shard-R.safetensors  ZeRO-1 runs: rank R's AdamW state (rank 0's is in
//                                                        trainer_state); checkpoint.json lists the state files
//   <run>/checkpoints/step-N/checkpoint.json             step, schedule position, data position, counters,
//                                                        losses so far, divergence state, the checkpoint's metric
//   <run>/checkpoints/step-N/metrics.jsonl               metrics.jsonl as it was at step N
//   <run>/checkpoints/best.json                          which checkpoint is best by the chosen metric
// Each checkpoint is written into a temporary folder that is renamed into place, so a step-N folder is always
// complete; a failed write (unwritable folder, full disk) removes its temporary folder, leaves the earlier
// checkpoints as they were and is reported as a CheckpointWriteError.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DivergenceEvent } from './divergence.js';
import type { StepMetrics } from './metrics.js';
import { writeJsonAtomically } from '../util/atomic-file.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';
import { CheckpointError } from '../models/checkpoint.js';

export const CHECKPOINTS_DIR = 'checkpoints';
export const STATE_FILE = 'trainer_state.safetensors';
/** Rank `rank`'s AdamW state in a ZeRO-1 checkpoint (rank 0's is in STATE_FILE). */
export function optimizerShardFile(rank: number): string {
  return `optimizer_shard-${rank}.safetensors`;
}
export const CHECKPOINT_FILE = 'checkpoint.json';
export const BEST_FILE = 'best.json';
const CHECKPOINT_FORMAT = 1;

/** Where the next optimizer update's batches start: epoch (0-based) and batch index inside that epoch. */
export interface DataPosition {
  epoch: number;
  batch: number;
}

/** The metric that picks the best checkpoint. */
export interface BestMetric {
  name: string;
  greaterIsBetter: boolean;
}

export interface CheckpointRecord {
  format: number;
  /** Optimizer steps done (the schedule position: the next update uses the schedule at this 0-based step). */
  step: number;
  totalSteps: number;
  position: DataPosition;
  /** Epoch of the last finished step. */
  epoch: number;
  targetTokens: number;
  realTokens: number;
  elapsedSec: number;
  losses: number[];
  divergence: { history: number[]; first: DivergenceEvent | null; divergedSteps: number; lastGood: StepMetrics | null };
  /** Metrics known at this step (mean training loss since the previous checkpoint, and any evaluation results). */
  metrics: Record<string, number>;
  savedAt: string;
  /** Byte sizes of the checkpoint's files when written (absent in checkpoints of older versions): a damaged
   * (truncated) file is told from an intact one before anything loads it. */
  files?: Record<string, number>;
  /** The native state files, rank 0's first (absent: STATE_FILE alone; a ZeRO-1 run adds its ranks' shards). */
  stateFiles?: string[];
}

export interface CheckpointInfo {
  step: number;
  dir: string;
}

export class CheckpointWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointWriteError';
  }
}

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, CHECKPOINTS_DIR);
}

/** Complete checkpoints of a run (folders step-N holding checkpoint.json), oldest first. */
export function listCheckpoints(runDir: string): CheckpointInfo[] {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, m: /^step-(\d+)$/.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null && existsSync(path.join(dir, e.name, CHECKPOINT_FILE)))
    .map((e) => ({ step: Number(e.m[1]), dir: path.join(dir, e.name) }))
    .sort((a, b) => a.step - b.step);
}

/** Node errors carry a code; native (safetensors writer) errors carry strerror's text. */
function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = err instanceof Error ? err.message : String(err);
  if (e?.code === 'ENOSPC' || /No space left on device/.test(message)) return `the disk is full (${message})`;
  if (e?.code === 'EACCES' || e?.code === 'EPERM' || e?.code === 'EROFS') return `the folder is not writable (${e.code})`;
  if (/Permission denied|Operation not permitted|Read-only file system/.test(message)) return `the folder is not writable (${message})`;
  return message;
}

/** The native state files of a checkpoint (paths), rank 0's first. */
export function stateFilesOf(dir: string, record: CheckpointRecord): string[] {
  return (record.stateFiles ?? [STATE_FILE]).map((f) => path.join(dir, f));
}

/** Where the ranks of a ZeRO-1 run leave their optimizer shards of step N for rank 0 to move into the checkpoint. */
export function shardStagingDir(runDir: string, step: number): string {
  return path.join(checkpointsDir(runDir), `.step-${step}.shards`);
}

/**
 * Writes checkpoint step-N atomically. `writeState(dir)` writes the native trainer state into the checkpoint's
 * (temporary) folder and returns the names of the files it wrote, rank 0's state file first; metrics.jsonl is
 * copied from `metricsFile`. An existing step-N (the final checkpoint falling on a save step) is replaced.
 */
export async function writeCheckpoint(
  runDir: string,
  record: CheckpointRecord,
  writeState: (dir: string) => Promise<string[]>,
  metricsFile: string,
): Promise<CheckpointInfo> {
  const dir = checkpointsDir(runDir);
  const name = `step-${record.step}`;
  const target = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await mkdir(tmp);
    const stateFiles = await writeState(tmp);
    await copyFile(metricsFile, path.join(tmp, 'metrics.jsonl'));
    const files = Object.fromEntries([...stateFiles, 'metrics.jsonl'].map((f) => [f, statSync(path.join(tmp, f)).size]));
    const layout = stateFiles.length === 1 && stateFiles[0] === STATE_FILE ? {} : { stateFiles };
    await writeFile(path.join(tmp, CHECKPOINT_FILE), JSON.stringify({ ...record, ...layout, files }, null, 1) + '\n');
    if (existsSync(target)) {
      const old = path.join(dir, `.${name}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(target, old);
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    const previous = listCheckpoints(runDir).filter((c) => c.step !== record.step).pop();
    throw new CheckpointWriteError(
      `could not write checkpoint ${name} in ${dir}: ${describeFsError(err)}. ` +
        (previous ? `The previous checkpoint ${path.basename(previous.dir)} is intact; continue with --resume ${runDir}.` : 'No earlier checkpoint exists.'),
    );
  }
  return { step: record.step, dir: target };
}

function checkNumber(file: string, field: string, v: unknown, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < 0) {
    throw new Error(`${file}: field "${field}" must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Reads and checks a checkpoint's checkpoint.json. */
export async function readCheckpoint(dir: string): Promise<CheckpointRecord> {
  const file = path.join(dir, CHECKPOINT_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`${file}: cannot be read (${jsonSyntaxProblem(err)})`);
  }
  const r = raw as CheckpointRecord;
  if (typeof r !== 'object' || r === null) throw new Error(`${file}: not a JSON object`);
  if (r.format !== CHECKPOINT_FORMAT) throw new Error(`${file}: unknown checkpoint format ${JSON.stringify(r.format)} (expected ${CHECKPOINT_FORMAT})`);
  checkNumber(file, 'step', r.step, true);
  checkNumber(file, 'totalSteps', r.totalSteps, true);
  checkNumber(file, 'position.epoch', r.position?.epoch, true);
  checkNumber(file, 'position.batch', r.position?.batch, true);
  checkNumber(file, 'epoch', r.epoch, true);
  checkNumber(file, 'targetTokens', r.targetTokens, true);
  checkNumber(file, 'realTokens', r.realTokens, true);
  checkNumber(file, 'elapsedSec', r.elapsedSec);
  if (!Array.isArray(r.losses) || r.losses.length !== r.step) throw new Error(`${file}: field "losses" must hold one loss per step (${r.step})`);
  if (!r.divergence || !Array.isArray(r.divergence.history)) throw new Error(`${file}: field "divergence.history" is missing`);
  if (r.stateFiles !== undefined && !(Array.isArray(r.stateFiles) && r.stateFiles.length > 0 && r.stateFiles.every((f) => typeof f === 'string' && /^[\w.-]+\.safetensors$/.test(f)))) {
    throw new Error(`${file}: field "stateFiles" must list the checkpoint's .safetensors state files`);
  }
  if (typeof r.metrics !== 'object' || r.metrics === null) throw new Error(`${file}: field "metrics" is missing`);
  // Non-finite losses were written as null by JSON.stringify.
  r.losses = r.losses.map((x) => (typeof x === 'number' ? x : NaN));
  return r;
}

/** Why a checkpoint cannot be resumed from (a missing or truncated file, a bad checkpoint.json), or null when it is intact. */
export async function checkpointDamage(dir: string): Promise<string | null> {
  let record: CheckpointRecord;
  try {
    record = await readCheckpoint(dir);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  for (const f of [...(record.stateFiles ?? [STATE_FILE]), 'metrics.jsonl']) {
    const file = path.join(dir, f);
    if (!existsSync(file)) return `${file} is missing`;
    const expected = record.files?.[f];
    const size = statSync(file).size;
    if (expected !== undefined && size !== expected) return `${file} has ${size} bytes, ${expected} when written`;
  }
  return null;
}

function better(a: number, b: number, greaterIsBetter: boolean): boolean {
  return greaterIsBetter ? a > b : a < b;
}

/** The best checkpoint by `metric` among the run's checkpoints (ties: the earlier), or null when none has it. */
export async function findBest(runDir: string, metric: BestMetric): Promise<{ step: number; value: number; dir: string } | null> {
  let best: { step: number; value: number; dir: string } | null = null;
  for (const c of listCheckpoints(runDir)) {
    const v = (await readCheckpoint(c.dir)).metrics[metric.name];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (best === null || better(v, best.value, metric.greaterIsBetter)) best = { step: c.step, value: v, dir: c.dir };
  }
  return best;
}

/**
 * Keeps the last `keepLast` checkpoints (all when null) plus the best by `metric`, deletes the others, and
 * records the best in checkpoints/best.json. Returns the best (or null).
 */
export async function pruneCheckpoints(runDir: string, keepLast: number | null, metric: BestMetric): Promise<{ step: number; value: number; dir: string } | null> {
  const best = await findBest(runDir, metric);
  const all = listCheckpoints(runDir);
  const keep = new Set(keepLast === null ? all.map((c) => c.step) : all.slice(-keepLast).map((c) => c.step));
  if (best) keep.add(best.step);
  for (const c of all) if (!keep.has(c.step)) await rm(c.dir, { recursive: true, force: true });
  if (best) {
    await writeJsonAtomically(path.join(checkpointsDir(runDir), BEST_FILE), {
      step: best.step,
      checkpoint: path.relative(runDir, best.dir),
      metric: metric.name,
      value: best.value,
      greaterIsBetter: metric.greaterIsBetter,
    });
  }
  return best;
}
