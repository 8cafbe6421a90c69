// Files written so that a crash or a full disk never leaves a half-written one: a temporary file in the same
// folder, then a rename (atomic on one filesystem).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes JSON to a file via a temporary file + rename. */
export async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  await writeFileAtomically(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes text or bytes to a file via a temporary file in the same folder + rename: never half-written. */
export async function writeFileAtomically(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await makeDirectory(path.dirname(file));
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * `mkdir -p`: creates `dir` and its missing parents, returning those it created (outermost first). Node's
 * recursive mkdir never returns for a path under /proc (it retries ENOENT forever), so the parents are walked here.
 */
export async function makeDirectory(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      await mkdir(d);
      created.push(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return created;
}

/** Creates `dir` if needed and writes and removes a probe file in it: the error code when it cannot be written
 * (so a long job fails before its work, not after), or null. With `leaveNoTrace` the folders it created go too. */
export async function unwritableReason(dir: string, options: { leaveNoTrace?: boolean } = {}): Promise<string | null> {
  const probe = path.join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  let created: string[] = [];
  try {
    created = await makeDirectory(dir);
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  } finally {
    if (options.leaveNoTrace) for (const d of created.reverse()) await rmdir(d).catch(() => {});
  }
}
