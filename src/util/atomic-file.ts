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
