// Locates the project's shared reference data (shared/data: real SuperNI task files and TÜLU jsonl), which
// sits next to the repository checkout (../shared from the main checkout, ../../shared from a worktree).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './python-oracle.js';

export function sharedDataDir(): string {
  const candidates = [path.resolve(repoRoot, '../shared/data'), path.resolve(repoRoot, '../../shared/data')];
  const found = candidates.find((dir) => existsSync(dir));
  if (found === undefined) throw new Error(`shared data not found (looked in ${candidates.join(', ')})`);
  return found;
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
