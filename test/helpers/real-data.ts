// Real public data the tests read, committed in the repository (sources and licenses in test/fixtures/README.md
// and assets/superni-mini/README.md): SuperNI task files (shipped as the mini sweep's data), the official split
// lists and TÜLU conversations (test/fixtures/data/), and a tiny HF GPT-2 checkpoint with the full GPT-2
// tokenizer (test/fixtures/hf/fake_gpt2/).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** test/fixtures: holds data/ (SuperNI, TÜLU) and hf/fake_gpt2/. */
export const realFixturesDir = path.join(repoRoot, 'test/fixtures');
/** test/fixtures/data: superni/splits (the official lists), tulu/. */
export const realDataDir = path.join(realFixturesDir, 'data');
/** The 12 real SuperNI task files (assets/superni-mini/tasks). */
export const superniTasksDir = path.join(repoRoot, 'assets/superni-mini/tasks');
/** The tiny GPT-2 checkpoint (random weights, real GPT-2 tokenizer). */
export const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');

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
