// What a sweep knows about one run from its folder alone, so a restarted sweep (after Ctrl-C, kill -9 or a
// crash) continues where the last one stopped: finished runs (sweep-run.json) are not run again, a run with a
// checkpoint resumes from it, a run without one starts over.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listCheckpoints } from '../train/checkpoints.js';
import { RUN_CONFIG_FILE } from '../train/run-config.js';
import type { TrainSummary } from '../train/loop.js';

/** Written when the sweep is done with a run (training and memorization evaluation): its result record. */
export const SWEEP_RUN_FILE = 'sweep-run.json';
/** The pid of the process working in the folder (train or eval), while it runs. */
export const LOCK_FILE = 'sweep.lock';
/** Training's and evaluation's output (appended over attempts). */
export const LOG_FILE = 'train.log';
/** The memorization evaluation's folder (predictions.jsonl, metrics.json). */
export const MEMORIZATION_DIR = 'memorization';
/** An open-instruction benchmark's evaluation folder (predictions.jsonl, metrics.json). */
export function benchmarkDir(name: string): string {
  return `bench-${name}`;
}

export type SweepRunStatus = 'completed' | 'diverged' | 'failed';

export interface SweepRunRecord {
  id: string;
  status: SweepRunStatus;
  /** train's exit code of the last attempt (0 completed, 3 diverged, anything else failed; null: killed by a signal). */
  exitCode: number | null;
  /** Why it failed: the last lines of train.log. */
  error: string | null;
  /** Seconds spent on the run by the sweep, over every attempt (training and evaluations). */
  wallSec: number;
  attempts: number;
  /** Peak resident memory of the run's processes (Linux /proc VmHWM), or null where unknown. */
  peakRssBytes: number | null;
  /** The memorization evaluation's error, when it failed (the training result still counts). */
  memorizationError: string | null;
  /** Benchmark evaluations that failed: name -> error (absent in records of older sweeps). */
  benchmarkErrors?: Record<string, string>;
  /**
   * The devices of the slot the run finished on (its last attempt): ["cuda:1"], ["cpu"], the GPUs of a
   * --gpus-per-run slot as --devices named them (["cuda:2", "cuda:3"]); [] for train's default device. Absent in
   * records of older sweeps.
   */
  devices?: string[];
  finishedAt: string;
}

export type RunFolderState =
  | { kind: 'finished'; record: SweepRunRecord }
  /** Training is done (summary.json completed/diverged); what follows it (memorization, the record) is not. */
  | { kind: 'trained'; summary: TrainSummary }
  /** Interrupted with a checkpoint to resume from. */
  | { kind: 'resumable' }
  /** Started, nothing to resume: starts over. */
  | { kind: 'restart' }
  | { kind: 'new' };

export function readJsonFile<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function runFolderState(dir: string): RunFolderState {
  const record = readJsonFile<SweepRunRecord>(path.join(dir, SWEEP_RUN_FILE));
  if (record) return { kind: 'finished', record };
  const summary = readJsonFile<TrainSummary>(path.join(dir, 'summary.json'));
  if (summary && (summary.status === 'completed' || summary.status === 'diverged')) return { kind: 'trained', summary };
  if (!existsSync(dir)) return { kind: 'new' };
  if (existsSync(path.join(dir, RUN_CONFIG_FILE)) && listCheckpoints(dir).length > 0) return { kind: 'resumable' };
  return { kind: 'restart' };
}

/** The pid in the folder's lock file when that process is still alive (a sweep killed without its children). */
export function livePidOf(dir: string): number | null {
  const file = path.join(dir, LOCK_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}
