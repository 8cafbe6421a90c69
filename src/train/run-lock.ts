// A run folder has one owner: `train` and `train --resume` hold <run>/.peft-native.lock (pid, host, start time)
// while they work in it, so a second run on the same folder stops at once (exit 2, naming the holder) instead of
// interleaving its metrics and checkpoints with the first. A lock left by a process that no longer exists on
// this host is stale and taken over.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { makeDirectory } from '../util/atomic-file.js';
import os from 'node:os';
import path from 'node:path';
import { RUN_LOCK_FILE, TrainOptionsError } from './options.js';
import { CHECKPOINTS_DIR } from './checkpoints.js';

export { RUN_LOCK_FILE };

interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** Takes the folder's lock (creating the folder); returns its release. Throws TrainOptionsError when another live
 * run holds it, or when the folder cannot be created or written. */
export async function acquireRunLock(dir: string): Promise<() => Promise<void>> {
  try {
    await makeDirectory(dir);
  } catch (err) {
    throw new TrainOptionsError(`--out ${dir} cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const file = path.join(dir, RUN_LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(JSON.stringify(me) + '\n');
      await handle.close();
      return async () => {
        if (readHolder(file)?.pid === me.pid) await rm(file, { force: true });
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // An unwritable folder shows here, before any work: a usage error naming it.
      if (code !== 'EEXIST') throw new TrainOptionsError(`${dir} is not writable (${code ?? (err as Error).message})`);
    }
    const holder = readHolder(file);
    // A lock of a process gone from this host, or one left unreadable (a kill while writing it) for a while.
    const stale = holder ? holder.host === me.host && !alive(holder.pid) : Date.now() - statSync(file).mtimeMs > 10_000;
    if (!stale) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}` : 'a process that is writing its lock';
      throw new TrainOptionsError(
        `${dir} is in use by another peft-native run (${who}); wait for it or choose another --out` +
          (holder && holder.host !== me.host ? ` (if that run is gone, remove ${file})` : ''),
      );
    }
    await rm(file, { force: true });
  }
  throw new TrainOptionsError(`${dir}: could not take the run lock ${file}`);
}

/** Files whose presence marks a folder as holding a run (what `train` writes first and last). */
const RUN_MARKERS = ['run_config.json', 'metrics.jsonl', 'summary.json', CHECKPOINTS_DIR];

/** `--overwrite` on a folder that holds an earlier run: everything in it but the lock goes, so none of that run's
 * checkpoints, evaluations or weights can pass for the new run's (safe only while holding the lock). A folder that
 * holds no run (a sweep's log, a user's notes) keeps its files. Returns how many entries were removed. */
export async function clearPreviousRun(runDir: string): Promise<number> {
  const names = (await readdir(runDir)).filter((n) => n !== RUN_LOCK_FILE);
  if (!names.some((n) => RUN_MARKERS.includes(n))) return 0;
  for (const name of names) await rm(path.join(runDir, name), { recursive: true, force: true });
  return names.length;
}

/** Removes checkpoint folders a killed run left half-written (safe only while holding the lock). */
export async function removeStaleCheckpointTemps(runDir: string): Promise<void> {
  const dir = path.join(runDir, CHECKPOINTS_DIR);
  if (!existsSync(dir)) return;
  for (const name of await readdir(dir)) {
    if (/^\.step-\d+\.((tmp|old)-|shards$)/.test(name)) await rm(path.join(dir, name), { recursive: true, force: true });
  }
}
