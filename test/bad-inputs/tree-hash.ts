// Every file under a folder with its SHA-256 (symlinks not followed), to show that a run changed none of them.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export function hashTree(root: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = lstatSync(p);
      const rel = path.relative(root, p);
      if (st.isDirectory()) {
        hashes.set(rel + '/', 'dir');
        walk(p);
      } else if (st.isFile()) {
        hashes.set(rel, createHash('sha256').update(readFileSync(p)).digest('hex'));
      } else {
        hashes.set(rel, 'other');
      }
    }
  };
  walk(root);
  return hashes;
}

/** Entries of `before` that are gone or different in `after` (new entries are allowed: a run may add files). */
export function changedEntries(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([p, h]) => after.get(p) !== h).map(([p]) => `${p} (${after.has(p) ? 'changed' : 'gone'})`);
}
