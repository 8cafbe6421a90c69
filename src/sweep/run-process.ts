// One run of a sweep, in its own processes: `peft-native train` (fresh, or --resume from its checkpoint), then
// optionally `peft-native eval --run <dir> --split memorization` and `eval --run <dir> --benchmark <name>` per
// benchmark, then the record sweep-run.json. Output goes to
// the run's train.log. Each child gets an IPC channel: if the sweep dies, the channel closes and the child stops
// after its current step as on Ctrl-C (saving a checkpoint), so no orphan keeps training into the folder.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { rm, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomically } from '../util/atomic-file.js';
import { benchmarkArgs, settingsToArgs, type PlannedRun, type RunSettings } from './spec.js';
import { LOCK_FILE, LOG_FILE, MEMORIZATION_DIR, SWEEP_RUN_FILE, benchmarkDir, livePidOf, readJsonFile, runFolderState, type SweepRunRecord } from './run-folder.js';
import type { TrainSummary } from '../train/loop.js';
import { envPrefix, placementArgs, slotDevices, type RunPlacement } from './placement.js';

export type { RunPlacement } from './placement.js';

/** Attempts so far (sweep-attempts.json), so that time and memory add up over interruptions. */
const ATTEMPTS_FILE = 'sweep-attempts.json';
interface Attempts {
  attempts: number;
  wallSec: number;
  peakRssBytes: number | null;
}

export interface RunProcessOptions extends RunPlacement {
  /** The peft-native CLI entry (dist/cli/main.js). */
  cli: string;
  /** The memorization evaluation's flags, or null for none. */
  memorization: RunSettings | null;
  /** Open-instruction benchmarks after the run: name -> eval flags. */
  benchmarks: Record<string, RunSettings>;
  /** Aborting sends SIGINT to the running child (it stops after its step and saves a checkpoint). */
  signal: AbortSignal;
}

export interface ChildResult {
  code: number | null;
  peakRssBytes: number | null;
}

/** Peak resident memory of a live process (Linux), or null. */
function peakRss(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** A live process and its descendants (Linux /proc/<pid>/task/<tid>/children), parents first; just `pid` where unreadable. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(/\s+/).filter((x) => x !== '')) visit(Number(c));
    }
  };
  visit(pid);
  return out;
}

/**
 * Peak resident memory of a run's processes: the child's, plus its workers' under data parallelism (train
 * --nproc), each process's own peak summed; null where unknown.
 */
function peakRssOfTree(pid: number): number | null {
  const peaks = processTree(pid).map(peakRss).filter((p): p is number => p !== null);
  return peaks.length > 0 ? peaks.reduce((a, b) => a + b, 0) : null;
}

/**
 * Runs `node <cli> ...args` (with the slot's environment on top of the sweep's) with its output appended to
 * `logFile`, after a "$ [VAR=value ]peft-native ..." line, and its pid in the folder's lock file.
 */
async function runChild(cli: string, args: string[], dir: string, logFile: string, signal: AbortSignal, placement: RunPlacement): Promise<ChildResult> {
  await mkdir(dir, { recursive: true });
  const log = openSync(logFile, 'a');
  writeSync(log, `\n$ ${envPrefix(placement)}peft-native ${args.join(' ')}\n`);
  try {
    // detached: its own process group, so a Ctrl-C at the terminal reaches the sweep alone, which passes one
    // SIGINT on (two would make the child quit without its checkpoint).
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', log, log, 'ipc'], env: { ...process.env, DEBUG: '', ...placement.env }, detached: true });
    let peak: number | null = null;
    const lock = path.join(dir, LOCK_FILE);
    if (child.pid !== undefined) await writeFile(lock, String(child.pid));
    const poll = setInterval(() => {
      const p = child.pid !== undefined ? peakRssOfTree(child.pid) : null;
      if (p !== null) peak = Math.max(peak ?? 0, p);
    }, 500);
    const onAbort = () => child.kill('SIGINT');
    signal.addEventListener('abort', onAbort);
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (c) => resolve(c));
      });
      return { code, peakRssBytes: peak };
    } finally {
      clearInterval(poll);
      signal.removeEventListener('abort', onAbort);
      await rm(lock, { force: true });
    }
  } finally {
    closeSync(log);
  }
}

/** The header line runChild writes before each command: "$ peft-native ...", or "$ VAR=value peft-native ...". */
const COMMAND_LINE = /^\$ (?:[A-Z_][A-Z0-9_]*=\S* )*peft-native /;

/** The last lines the last command wrote to the run's log (after its "$ peft-native ..." header): the reason a failed run gives. */
export function logTail(file: string, lines = 5): string {
  try {
    const all = readFileSync(file, 'utf8').split('\n');
    let header = all.length - 1;
    while (header >= 0 && !COMMAND_LINE.test(all[header]!)) header--;
    const last = all.slice(Math.max(header, 0) + 1);
    return last.filter((l) => l.trim() !== '').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Waits while a process of an earlier sweep still works in the folder (it stops by itself: see the file comment). */
async function waitForEarlierProcess(dir: string, signal: AbortSignal): Promise<void> {
  while (livePidOf(dir) !== null && !signal.aborted) await new Promise((r) => setTimeout(r, 200));
}

/**
 * Takes the run as far as it goes: training (new, resumed or restarted), memorization, the record. Returns the
 * record, or null when the sweep was stopped before the run finished (the folder then says where it stands).
 */
export async function runOne(run: PlannedRun, dir: string, o: RunProcessOptions): Promise<SweepRunRecord | null> {
  await waitForEarlierProcess(dir, o.signal);
  if (o.signal.aborted) return null;
  const state = runFolderState(dir);
  if (state.kind === 'finished') return state.record;
  // Time and memory add up over the attempts (a run interrupted and resumed is one run).
  const attemptsFile = path.join(dir, ATTEMPTS_FILE);
  const previous = readJsonFile<Attempts>(attemptsFile) ?? { attempts: 0, wallSec: 0, peakRssBytes: null };
  const now: Attempts = { attempts: previous.attempts + 1, wallSec: previous.wallSec, peakRssBytes: previous.peakRssBytes };
  // Counted at the start: an attempt cut short by a killed sweep still counts (its time is lost with it).
  await mkdir(dir, { recursive: true });
  await writeJsonAtomically(attemptsFile, now);
  const started = performance.now();
  const note = (r: ChildResult) => {
    if (r.peakRssBytes !== null) now.peakRssBytes = Math.max(now.peakRssBytes ?? 0, r.peakRssBytes);
  };
  try {
    return await attempt(run, dir, o, note, () => ({ ...now, wallSec: previous.wallSec + (performance.now() - started) / 1000 }));
  } finally {
    now.wallSec = previous.wallSec + (performance.now() - started) / 1000;
    if (existsSync(dir)) await writeJsonAtomically(attemptsFile, now);
  }
}

async function attempt(run: PlannedRun, dir: string, o: RunProcessOptions, note: (r: ChildResult) => void, totals: () => Attempts): Promise<SweepRunRecord | null> {
  const logFile = path.join(dir, LOG_FILE);
  // The slot's flags (--threads, --device; --nproc for a slot of several GPUs, train only) and environment.
  const slot: RunPlacement = o;
  const trainPlacement = placementArgs(slot, 'train');
  const placement = placementArgs(slot, 'eval');
  let state = runFolderState(dir);
  let exitCode: number | null = null;
  if (state.kind !== 'trained' && state.kind !== 'finished') {
    if (state.kind === 'restart') {
      // Started before but nothing to resume from: start over (keeping the log of the earlier attempts).
      const keep = [LOG_FILE, ATTEMPTS_FILE].map((f) => [f, existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f)) : null] as const);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      for (const [f, bytes] of keep) if (bytes) await writeFile(path.join(dir, f), bytes);
    }
    // --overwrite: the folder holds the sweep's own files (train.log, the lock) before train writes into it.
    const args = state.kind === 'resumable' ? ['train', '--resume', dir] : ['train', ...settingsToArgs(run.settings), '--out', dir, '--overwrite'];
    const result = await runChild(o.cli, [...args, ...trainPlacement, '--quiet'], dir, logFile, o.signal, slot);
    note(result);
    exitCode = result.code;
    if (o.signal.aborted) return null;
    state = runFolderState(dir);
  }
  if (state.kind === 'finished') return state.record;
  const record = (fields: Pick<SweepRunRecord, 'status' | 'exitCode' | 'error' | 'memorizationError' | 'benchmarkErrors'>): SweepRunRecord => {
    const t = totals();
    return { id: run.id, ...fields, wallSec: t.wallSec, attempts: t.attempts, peakRssBytes: t.peakRssBytes, devices: slotDevices(slot), finishedAt: new Date().toISOString() };
  };
  if (state.kind !== 'trained') {
    const failed = record({ status: 'failed', exitCode, error: logTail(logFile) || `train exited with code ${String(exitCode)}`, memorizationError: null });
    await writeJsonAtomically(path.join(dir, SWEEP_RUN_FILE), failed);
    return failed;
  }

  let memorizationError: string | null = null;
  if (o.memorization !== null && hasWeights(dir, state.summary) && !existsSync(path.join(dir, MEMORIZATION_DIR, 'metrics.json'))) {
    const args = ['eval', '--run', dir, '--split', 'memorization', ...settingsToArgs(o.memorization), '--out', path.join(dir, MEMORIZATION_DIR), '--overwrite', ...placement, '--quiet'];
    const result = await runChild(o.cli, args, dir, logFile, o.signal, slot);
    note(result);
    if (o.signal.aborted) return null;
    if (result.code !== 0) memorizationError = logTail(logFile) || `eval exited with code ${String(result.code)}`;
  }
  const benchmarkErrors: Record<string, string> = {};
  for (const [name, flags] of Object.entries(o.benchmarks)) {
    const out = path.join(dir, benchmarkDir(name));
    if (!hasWeights(dir, state.summary) || existsSync(path.join(out, 'metrics.json'))) continue;
    const result = await runChild(o.cli, ['eval', '--run', dir, ...benchmarkArgs(name, flags), '--out', out, '--overwrite', ...placement, '--quiet'], dir, logFile, o.signal, slot);
    note(result);
    if (o.signal.aborted) return null;
    if (result.code !== 0) benchmarkErrors[name] = logTail(logFile) || `eval exited with code ${String(result.code)}`;
  }
  const diverged = state.summary.status === 'diverged';
  const done = record({ status: diverged ? 'diverged' : 'completed', exitCode: exitCode ?? (diverged ? 3 : 0), error: null, memorizationError, ...(Object.keys(o.benchmarks).length > 0 ? { benchmarkErrors } : {}) });
  await writeJsonAtomically(path.join(dir, SWEEP_RUN_FILE), done);
  return done;
}

/** Whether the run left weights to evaluate (a run stopped at a divergence before any checkpoint has none). */
function hasWeights(dir: string, summary: TrainSummary): boolean {
  return summary.saved !== null || existsSync(path.join(dir, 'best'));
}
