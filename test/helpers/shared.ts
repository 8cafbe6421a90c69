// The project's read-only shared material (data, fixtures): `../shared` next to the repository (the main
// checkout's and CI's layout), or PEFT_NATIVE_SHARED when the checkout lives elsewhere (a git worktree).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = process.env.PEFT_NATIVE_SHARED ?? path.resolve(repoRoot, '../shared');

/** shared/data (real SuperNI task files and TÜLU jsonl); an error naming where it looked when absent. */
export function sharedDataDir(): string {
  const dir = path.join(sharedDir, 'data');
  if (!existsSync(dir)) throw new Error(`shared data not found at ${dir} (set PEFT_NATIVE_SHARED to the shared/ folder)`);
  return dir;
}

/** Every file under `dir`, recursively, sorted. */
export function listFilesRecursive(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) files.push(...listFilesRecursive(full));
    else files.push(full);
  }
  return files;
}
