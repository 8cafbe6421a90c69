// `train --resume <run dir>`: the run's resolved options (run_config.json) and its latest complete checkpoint.
import { existsSync, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { checkpointDamage, listCheckpoints, readCheckpoint, stateFilesOf, type CheckpointInfo, type CheckpointRecord } from './checkpoints.js';
import type { ResolvedTrainOptions } from './options.js';
import { RUN_CONFIG_FILE, RunConfigError, optionsFromRecord, readRunConfig, type RecordedOptions } from './run-config.js';

/** Options a resumed run may change: they do not affect the numbers. Everything else comes from run_config.json. */
export const RESUME_ADJUSTABLE = ['resume', 'threads', 'device', 'logEvery', 'stdout', 'stderr', 'liveProgress', 'quiet', 'signal', 'onStep', 'now', 'evaluator', 'finalEvaluator', 'distributed', 'zeroStage'] as const;

export interface ResumePoint {
  runDir: string;
  /** The run's resolved options as run_config.json recorded them (out = runDir). */
  options: ResolvedTrainOptions;
  checkpoint: CheckpointInfo;
  record: CheckpointRecord;
  /** The checkpoint's native state files, rank 0's first (several for a ZeRO-1 run). */
  stateFiles: string[];
  /** Newer checkpoints that were damaged (a truncated or missing file), set aside to `movedTo`. */
  damaged: DamagedCheckpoint[];
}

export interface DamagedCheckpoint {
  step: number;
  dir: string;
  reason: string;
  movedTo?: string;
}

/**
 * Finds what a resume needs, with errors that name the folder or file. `fail` reports a usage error. Damaged
 * newer checkpoints are set aside by the run folder's writer only (`setAside`; the other ranks of a
 * data-parallel run skip them as well).
 */
export async function findResumePoint(runDir: string, fail: (message: string) => never, setAside = true): Promise<ResumePoint> {
  const dir = path.resolve(runDir);
  if (!existsSync(dir)) fail(`--resume ${runDir}: the folder does not exist`);
  if (!statSync(dir).isDirectory()) fail(`--resume ${runDir}: not a folder (give the run folder, the --out of the interrupted run)`);
  if (!existsSync(path.join(dir, RUN_CONFIG_FILE))) fail(`--resume ${runDir}: no ${RUN_CONFIG_FILE} (not a peft-native run folder)`);
  let recorded: RecordedOptions;
  try {
    recorded = (await readRunConfig(dir)).options;
  } catch (err) {
    if (err instanceof RunConfigError) fail(err.message);
    throw err;
  }
  const checkpoints = listCheckpoints(dir);
  if (checkpoints.length === 0) fail(`--resume ${runDir}: no checkpoint in ${path.join(dir, 'checkpoints')} yet (checkpoints are written every --save-steps steps)`);
  // The newest intact checkpoint; damaged newer ones are set aside (renamed, not deleted) and reported.
  const damaged: DamagedCheckpoint[] = [];
  for (const checkpoint of [...checkpoints].reverse()) {
    const reason = await checkpointDamage(checkpoint.dir);
    if (reason !== null) {
      damaged.push({ step: checkpoint.step, dir: checkpoint.dir, reason });
      continue;
    }
    const record = await readCheckpoint(checkpoint.dir);
    for (const d of setAside ? damaged : []) {
      d.movedTo = path.join(path.dirname(d.dir), `.${path.basename(d.dir)}.damaged-${Date.now()}`);
      await rename(d.dir, d.movedTo);
    }
    return { runDir: dir, options: optionsFromRecord(recorded, dir), checkpoint, record, stateFiles: stateFilesOf(checkpoint.dir, record), damaged };
  }
  fail(`--resume ${runDir}: no intact checkpoint: ${damaged.map((d) => `${path.basename(d.dir)}: ${d.reason}`).join('; ')}`);
}

/** The options a run folder's run_config.json recorded, or null when it has none that read (train --resume then says why). */
export async function readRecordedOptions(runDir: string): Promise<RecordedOptions | null> {
  try {
    return (await readRunConfig(runDir)).options;
  } catch {
    return null;
  }
}
