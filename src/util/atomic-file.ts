// Files written so that a crash or a full disk never leaves a half-written one: a temporary file in the same
// folder, then a rename (atomic on one filesystem).
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes JSON to a file via a temporary file + rename. */
export async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  await writeFileAtomically(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes text or bytes to a file via a temporary file in the same folder + rename: never half-written. */
export async function writeFileAtomically(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Creates `dir` if needed and writes and removes a probe file in it: the error code when it cannot be written
 * (so a long job fails before its work, not after), or null. */
export async function unwritableReason(dir: string): Promise<string | null> {
  const probe = path.join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}
