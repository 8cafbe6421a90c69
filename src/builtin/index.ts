// The built-in defaults the product ships: a byte-level BPE tokenizer made by the project
// (assets/builtin/, see ./make-tokenizer.ts) and small generated SuperNI-format tasks (./tasks.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromTokenizerJson, readSpecialTokens, type HfTextTokenizer } from '../tokenizer/load.js';
import { parseSuperNITask, type SuperNITask } from '../data/superni/task.js';
import { generateBuiltinTaskFiles } from './tasks.js';

export { generateBuiltinTaskFiles, builtinTaskNames, BUILTIN_SEED, BUILTIN_INSTANCES_PER_TASK, type RawSuperNITask } from './tasks.js';

/** assets/builtin/ of the package: two levels above this module, both in src/builtin and dist/builtin. */
export function builtinAssetsDir(): string {
  return fileURLToPath(new URL('../../assets/builtin/', import.meta.url));
}

let cached: Promise<HfTextTokenizer> | null = null;

/** The shipped tokenizer (loaded once). Source reads "builtin". */
export function builtinTokenizer(): Promise<HfTextTokenizer> {
  cached ??= (async () => {
    const dir = builtinAssetsDir();
    const special = await readSpecialTokens(dir);
    return fromTokenizerJson(path.join(dir, 'tokenizer.json'), special, 'builtin');
  })().catch((err: unknown) => {
    cached = null;
    throw new Error(`The built-in tokenizer in ${builtinAssetsDir()} cannot be loaded (is the package complete?): ${(err as Error).message}`);
  });
  return cached;
}

/** The built-in tasks, validated like task files (default seed and size). */
export function builtinTasks(): SuperNITask[] {
  return [...generateBuiltinTaskFiles()].map(([name, raw]) => parseSuperNITask(raw, name, 'builtin'));
}
