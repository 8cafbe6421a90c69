// Runs a sweep's planned runs over a set of slots (one per GPU or --gpus-per-run group of GPUs, or K CPU workers
// sharing the cores; placement.ts), each run in its own processes and folder (run-process.ts). A run's failure or
// divergence is a result like any other; results.jsonl / results.arrow are rewritten after every run, and one
// progress line is printed per event.
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { formatDuration } from '../train/progress.js';
import { runOne } from './run-process.js';
import { slotText, type RunPlacement } from './placement.js';
import { SWEEP_RUN_FILE, runFolderState, type SweepRunRecord } from './run-folder.js';
import { resultRow, writeResults } from './results.js';
import type { PlannedRun, RunSettings } from './spec.js';

export const RUNS_DIR = 'runs';

export interface SweepRunOptions {
  dir: string;
  name: string;
  runs: PlannedRun[];
  memorization: RunSettings | null;
  /** Open-instruction benchmarks after each run (SweepSpec.benchmarks). */
  benchmarks: Record<string, RunSettings>;
  slots: RunPlacement[];
  cli: string;
  /** Run failed runs again (by default a failed run is a recorded result). */
  retryFailed: boolean;
  signal: AbortSignal;
  say: (line: string) => void;
}

export interface SweepOutcome {
  total: number;
  completed: number;
  diverged: number;
  failed: number;
  /** Runs not finished (the sweep was stopped). */
  unfinished: number;
}

export const runDir = (sweepDir: string, run: PlannedRun) => path.join(sweepDir, RUNS_DIR, run.id);

function describe(record: SweepRunRecord, row: ReturnType<typeof resultRow>): string {
  const score = row.testRougeL !== null ? `, test ROUGE-L ${row.testRougeL.toFixed(1)}` : row.bestDevRougeL !== null ? `, best dev ROUGE-L ${row.bestDevRougeL.toFixed(1)}` : '';
  const why = record.status === 'failed' ? `: ${(record.error ?? '').split('\n').pop()}` : record.status === 'diverged' ? ` at step ${row.divergedAt ?? '?'}` : '';
  return `${record.status}${why}${score} (${formatDuration(record.wallSec)})`;
}

export async function runSweep(o: SweepRunOptions): Promise<SweepOutcome> {
  const metadata = { peft_native_sweep: JSON.stringify({ name: o.name, runs: o.runs.length }) };
  const writeTable = () => writeResults(o.dir, o.runs.map((r) => resultRow(r, runDir(o.dir, r))), metadata);
  const records = new Map<string, SweepRunRecord>();
  const queue: PlannedRun[] = [];
  for (const run of o.runs) {
    const state = runFolderState(runDir(o.dir, run));
    if (state.kind === 'finished' && !(o.retryFailed && state.record.status === 'failed')) records.set(run.id, state.record);
    else {
      if (state.kind === 'finished') await rm(path.join(runDir(o.dir, run), SWEEP_RUN_FILE));
      queue.push(run);
    }
  }
  await writeTable();
  const slotsText = o.slots.map(slotText).join(', ');
  o.say(`sweep ${o.name}: ${o.runs.length} runs, ${records.size} already finished, ${queue.length} to run on ${o.slots.length} slot(s) (${slotsText})`);

  const total = o.runs.length;
  let running = 0;
  const finishedNow: number[] = [];
  const status = () => {
    const done = records.size;
    const left = total - done - running;
    const mean = finishedNow.length > 0 ? finishedNow.reduce((a, b) => a + b, 0) / finishedNow.length : null;
    const eta = mean !== null ? `, ETA ${formatDuration((mean * (left + running / 2)) / o.slots.length)}` : '';
    const counts = ['diverged', 'failed'].map((k) => `${[...records.values()].filter((r) => r.status === k).length} ${k}`).join(', ');
    return `[${done}/${total} done (${counts}), ${running} running, ${left} left${eta}]`;
  };
  let tableWrite = Promise.resolve();
  const worker = async (slot: RunPlacement) => {
    for (let run = queue.shift(); run !== undefined && !o.signal.aborted; run = queue.shift()) {
      running++;
      o.say(`${status()} start ${run.id}`);
      const dir = runDir(o.dir, run);
      const record = await runOne(run, dir, { ...slot, cli: o.cli, memorization: o.memorization, benchmarks: o.benchmarks, signal: o.signal });
      running--;
      if (record === null) break;
      records.set(run.id, record);
      finishedNow.push(record.wallSec);
      tableWrite = tableWrite.then(writeTable);
      await tableWrite;
      o.say(`${status()} ${run.id}: ${describe(record, resultRow(run, dir))}`);
    }
  };
  await Promise.all(o.slots.map(worker));
  await tableWrite;
  await writeTable();
  const count = (s: string) => [...records.values()].filter((r) => r.status === s).length;
  return { total, completed: count('completed'), diverged: count('diverged'), failed: count('failed'), unfinished: total - records.size };
}
