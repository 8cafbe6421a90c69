// One finished two-step training run with one checkpoint (step-2), made once per test process and copied into each
// resume case's folder.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCliAsync } from './run-cli.js';
import { modelFolder, taskFile } from './sources.js';

let seed: Promise<string> | undefined;

async function makeSeedRun(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pn-bad-seed-'));
  const out = path.join(dir, 'run');
  const args = ['train', '--model', modelFolder(dir), '--data', taskFile(dir), '--steps', '2', '--save-steps', '2', '--batch-size', '1', '--max-length', '128', '--threads', '1', '--quiet', '--no-tensorboard', '--no-cache', '--out', out];
  const r = await runCliAsync(args, dir);
  if (r.code !== 0) throw new Error(`the seed run failed (exit ${r.code}): ${r.stderr}`);
  return out;
}

/** Copies the seed run to `<dir>/run` and returns that folder. */
export async function copySeedRun(dir: string): Promise<string> {
  seed ??= makeSeedRun();
  const run = path.join(dir, 'run');
  cpSync(await seed, run, { recursive: true });
  return run;
}

/** Removes the seed run's folder (after all cases). */
export async function removeSeedRun(): Promise<void> {
  if (seed === undefined) return;
  const run = await seed.catch(() => null);
  if (run !== null) rmSync(path.dirname(run), { recursive: true, force: true });
}
