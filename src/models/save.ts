// Writes output folders so that a crash never leaves a half-written one, and saves full-finetuning results
// as a Hugging Face checkpoint folder (config.json + model.safetensors + tokenizer files).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NativeModel, NativeModelConfig } from '../native/binding.js';

/**
 * Writes a set of files into `dir` atomically as far as a reader can tell:
 * - `dir` missing or empty: everything is written into a sibling temporary folder that is renamed to `dir`;
 * - `dir` holding other files (a run folder with metrics): the files are written into a temporary folder
 *   inside it and renamed into place one by one, `marker` last (and an old `marker` removed first), so the
 *   folder only ever looks complete when it is.
 * `write` receives the temporary folder and writes the files there; on failure nothing new is left behind.
 */
export async function writeFolderAtomically(dir: string, marker: string, write: (tmpDir: string) => Promise<void>): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(parent, { recursive: true });
  const existing = existsSync(target) ? await readdir(target) : null;

  if (existing === null || existing.length === 0) {
    const tmp = path.join(parent, `.${path.basename(target)}.tmp-${suffix}`);
    await mkdir(tmp);
    try {
      await write(tmp);
      if (existing !== null) await rmdir(target);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return;
  }

  const tmp = path.join(target, `.tmp-save-${suffix}`);
  await mkdir(tmp);
  try {
    await write(tmp);
    const files = (await readdir(tmp)).filter((f) => f !== marker);
    if (existing.includes(marker)) await rm(path.join(target, marker), { force: true });
    for (const f of files) {
      const dest = path.join(target, f);
      // A folder of an earlier save (a combined adapter's part) is replaced whole: rename cannot replace a folder
      // that has files. The marker is gone meanwhile, so nothing reads the folder as complete.
      if ((await stat(dest).catch(() => null))?.isDirectory()) await rm(dest, { recursive: true, force: true });
      await rename(path.join(tmp, f), dest);
    }
    if (existsSync(path.join(tmp, marker))) await rename(path.join(tmp, marker), path.join(target, marker));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface SaveCheckpointOptions {
  /** The model's config.json object: the original one for HF models (written back with its fields). */
  hfConfig: Record<string, unknown>;
  config: NativeModelConfig;
  /** Tokenizer/generation files to copy next to the weights (absolute paths), e.g. ResolvedCheckpoint.tokenizerFiles. */
  tokenizerFiles?: string[];
  /** Extra files to write as [name, content]. */
  extraFiles?: Array<[string, string]>;
  /**
   * Largest shard in bytes (float32): when the weights are larger, they are split HF-style into
   * model-0000i-of-0000n.safetensors + model.safetensors.index.json. Default: one model.safetensors.
   */
  maxShardBytes?: number;
}

/** Splits parameters, in order, into shards of at most maxBytes (a larger single tensor gets its own shard). */
export function planShards(sizes: Array<[string, number]>, maxBytes: number): string[][] {
  const shards: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const [name, size] of sizes) {
    if (current.length > 0 && bytes + size > maxBytes) {
      shards.push(current);
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += size;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

/** The parameters an HF checkpoint of this model holds, by their HF names (tied lm_head and PEFT modules left out). */
export function checkpointParameterNames(model: NativeModel, config: NativeModelConfig): string[] {
  return model
    .parameterNames({ group: 'base' })
    .filter((n) => !n.includes('.lora_'))
    .filter((n) => !(config.tieWordEmbeddings && n === 'lm_head.weight'));
}

/**
 * Saves all model weights as an HF checkpoint folder `dir`: config.json, model.safetensors (float32, HF names,
 * metadata format=pt as transformers requires) and the tokenizer files. Returns the files written.
 */
export async function saveCheckpoint(model: NativeModel, dir: string, options: SaveCheckpointOptions): Promise<string[]> {
  const names = checkpointParameterNames(model, options.config);
  if (names.length === 0) throw new Error('saveCheckpoint: the model reports no parameters to save');
  const hfConfig: Record<string, unknown> = { ...options.hfConfig };
  // The weights are written in float32 whatever they were stored in; say so, in whichever key the file used.
  if ('dtype' in hfConfig && !('torch_dtype' in hfConfig)) hfConfig.dtype = 'float32';
  else hfConfig.torch_dtype = 'float32';

  const written: string[] = [];
  const sizes = (): Array<[string, number]> => names.map((n) => [n, 4 * model.parameterShape(n).reduce((a, b) => a * b, 1)]);
  const shards = options.maxShardBytes !== undefined ? planShards(sizes(), options.maxShardBytes) : [names];
  await writeFolderAtomically(dir, 'config.json', async (tmp) => {
    if (shards.length === 1) {
      await model.saveParameters(path.join(tmp, 'model.safetensors'), names.map((n) => [n, n] as [string, string]), { format: 'pt' });
      written.push('model.safetensors');
    } else {
      const weightMap: Record<string, string> = {};
      const pad = (i: number) => String(i).padStart(5, '0');
      for (let i = 0; i < shards.length; i++) {
        const file = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
        await model.saveParameters(path.join(tmp, file), shards[i]!.map((n) => [n, n] as [string, string]), { format: 'pt' });
        for (const n of shards[i]!) weightMap[n] = file;
        written.push(file);
      }
      const index = { metadata: { total_size: sizes().reduce((a, [, b]) => a + b, 0) }, weight_map: weightMap };
      await writeFile(path.join(tmp, 'model.safetensors.index.json'), JSON.stringify(index, null, 2) + '\n');
      written.push('model.safetensors.index.json');
    }
    for (const file of options.tokenizerFiles ?? []) {
      const name = path.basename(file);
      if (name === 'config.json' || name === 'model.safetensors') continue;
      await copyFile(file, path.join(tmp, name));
      written.push(name);
    }
    for (const [name, content] of options.extraFiles ?? []) {
      await writeFile(path.join(tmp, name), content);
      written.push(name);
    }
    await writeFile(path.join(tmp, 'config.json'), JSON.stringify(hfConfig, null, 2) + '\n');
    written.push('config.json');
  });
  return written.map((n) => path.join(path.resolve(dir), n));
}
