// `train --resume <run dir>`: the run's resolved options (run_config.json) and its latest complete checkpoint.
import { existsSync, statSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { checkpointDamage, listCheckpoints, readCheckpoint, STATE_FILE, type CheckpointInfo, type CheckpointRecord } from './checkpoints.js';

export const RUN_CONFIG_FILE = 'run_config.json';

/** Options a resumed run may change: they do not affect the numbers. Everything else comes from run_config.json. */
export const RESUME_ADJUSTABLE = ['resume', 'threads', 'device', 'logEvery', 'stdout', 'stderr', 'liveProgress', 'quiet', 'signal', 'onStep', 'now', 'evaluator', 'finalEvaluator'] as const;

export interface ResumePoint<O> {
  runDir: string;
  /** The run's resolved options as run_config.json recorded them (out = runDir). */
  options: O;
  checkpoint: CheckpointInfo;
  record: CheckpointRecord;
  stateFile: string;
  /** Newer checkpoints that were damaged (a truncated or missing file), set aside to `movedTo`. */
  damaged: DamagedCheckpoint[];
}

export interface DamagedCheckpoint {
  step: number;
  dir: string;
  reason: string;
  movedTo?: string;
}

/** Fields a run_config.json must hold for a resume (a run written by an older version may lack some). */
const REQUIRED_OPTIONS = ['model', 'modelSpec', 'data', 'method', 'lr', 'batchSize', 'gradientAccumulation', 'schedule', 'warmupRatio', 'seed', 'dataSeed', 'divergence', 'precision', 'saveSteps'];

/** Finds what a resume needs, with errors that name the folder or file. `fail` reports a usage error. */
export async function findResumePoint<O extends object>(runDir: string, fail: (message: string) => never): Promise<ResumePoint<O>> {
  const dir = path.resolve(runDir);
  if (!existsSync(dir)) fail(`--resume ${runDir}: the folder does not exist`);
  if (!statSync(dir).isDirectory()) fail(`--resume ${runDir}: not a folder (give the run folder, the --out of the interrupted run)`);
  const configFile = path.join(dir, RUN_CONFIG_FILE);
  if (!existsSync(configFile)) fail(`--resume ${runDir}: no ${RUN_CONFIG_FILE} (not a peft-native run folder)`);
  let config: { options?: Record<string, unknown> };
  try {
    config = JSON.parse(await readFile(configFile, 'utf8')) as typeof config;
  } catch (err) {
    fail(`${configFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const options = config.options;
  if (typeof options !== 'object' || options === null) fail(`${configFile}: no "options" object`);
  const missing = REQUIRED_OPTIONS.filter((k) => !(k in options));
  if (missing.length > 0) fail(`${configFile}: options lack ${missing.join(', ')} (written by an older peft-native?); this run cannot be resumed`);
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
    for (const d of damaged) {
      d.movedTo = path.join(path.dirname(d.dir), `.${path.basename(d.dir)}.damaged-${Date.now()}`);
      await rename(d.dir, d.movedTo);
    }
    return { runDir: dir, options: { ...options, out: dir } as O, checkpoint, record, stateFile: path.join(checkpoint.dir, STATE_FILE), damaged };
  }
  fail(`--resume ${runDir}: no intact checkpoint: ${damaged.map((d) => `${path.basename(d.dir)}: ${d.reason}`).join('; ')}`);
}

/** The options a run folder's run_config.json recorded, or null when it has none that parse (train --resume then says why). */
export async function readRecordedOptions<O extends object>(runDir: string): Promise<Partial<O> | null> {
  try {
    const config = JSON.parse(await readFile(path.join(runDir, RUN_CONFIG_FILE), 'utf8')) as { options?: unknown };
    return typeof config.options === 'object' && config.options !== null ? (config.options as Partial<O>) : null;
  } catch {
    return null;
  }
}
