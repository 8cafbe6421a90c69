// Tokenized datasets with an on-disk Arrow cache: prepareDataset() tokenizes a data spec once
// (src/data/sources.ts), stores the result as an Arrow IPC file (src/data/arrow-table.ts) and, on the next
// run with the same inputs, tokenizer and options, loads that file instead of tokenizing.
//
// The cache key is a sha256 over:
//   - the format version of the cached file (DATASET_FORMAT, bumped whenever encoding or selection rules change);
//   - the data spec's kind (so one file read as two formats gives two entries) and resolved path;
//   - the CONTENT (sha256) of every input file: each task file the split resolves to (train and test lists),
//     the split list files, the TÜLU / ShareGPT / Alpaca / prompt-completion file; for builtin the generated
//     tasks' JSON. Content rather than size + mtime + path: a stale cache would silently train on old data,
//     while hashing costs one read of files a miss must read anyway (~1 GB/s, seconds for the whole of
//     natural-instructions);
//   - the tokenizer's fingerprint (sha256 of tokenizer.json + special tokens + add-BOS + chat template);
//   - every data option (JSON with sorted keys).
// Files are `<cacheDir>/<kind>-<key prefix>.arrow`, written to a temporary name and renamed into place. The
// file's metadata repeats the full key; a file that does not load, or whose key differs, is rebuilt (and
// the summary says so).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../util/atomic-file.js';
import path from 'node:path';
import type { DataSummary, TrainingExample } from './types.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { loadTrainingData, type DataSelection, type TrainingDataOptions } from './sources.js';
import { DEFAULT_CACHE_DIR, parseDataSpec, type DataSpec } from './spec.js';

export { DEFAULT_CACHE_DIR } from './spec.js';
import { resolveSplitTasks, splitListFile } from './superni/splits.js';
import { asDataError } from './errors.js';
import { tableFromArrowFile, tableToArrowFile, toColumns, type TokenColumns } from './arrow-table.js';

/**
 * Version of what a cached file holds; bump when tokenization, encoding or selection rules change (which
 * tasks and instances a split gives). 3: the study's instance selection (CPython's random, --data-seed);
 * files written before it held the earlier selection under the same key. 4: TÜLU conversations without an
 * assistant turn are counted apart in the summary's notes. 5: the selection records the training tasks' categories.
 */
export const DATASET_FORMAT = 5;

export interface CacheOptions {
  /** Cache folder (default .peft-native-cache/ under the working directory); null disables the cache. */
  dir?: string | null;
}

export interface PreparedDataset {
  examples: TrainingExample[];
  /** The buffers the examples are views of. */
  columns: TokenColumns;
  summary: DataSummary;
  selection: DataSelection;
  /** The cache file, and whether it was loaded (hit) or written (miss); null without a cache. */
  cache: { file: string; hit: boolean } | null;
}

interface CachedMetadata {
  format: number;
  key: string;
  summary: DataSummary;
  selection: DataSelection;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The input files whose content the data depends on (see the file comment). */
async function inputFiles(spec: DataSpec, options: TrainingDataOptions): Promise<string[]> {
  switch (spec.kind) {
    case 'builtin':
      return [];
    case 'file':
    case 'tulu':
    case 'sharegpt':
    case 'alpaca':
    case 'prompt-completion':
      return [spec.file];
    case 'superni': {
      const files = (await resolveSplitTasks(spec.dir, options.splitDir)).map((e) => e.file);
      if (options.splitDir === undefined) return files;
      const lists = [splitListFile(options.splitDir, 'train')];
      const testList = path.join(options.splitDir, 'test_tasks.txt');
      if (lists[0] !== options.splitDir && existsSync(testList)) {
        lists.push(testList);
        files.push(...(await resolveSplitTasks(spec.dir, options.splitDir, 'test')).map((e) => e.file));
      }
      return [...lists, ...files];
    }
  }
}

function sortedJson(value: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b))));
}

/** The cache key of (spec, tokenizer, options); see the file comment. */
export async function datasetCacheKey(spec: string, tokenizer: TextTokenizer, options: TrainingDataOptions): Promise<string> {
  const fingerprint = (tokenizer as { fingerprint?: unknown }).fingerprint;
  if (typeof fingerprint !== 'string') throw new Error(`the dataset cache needs a Hugging Face tokenizer (tokenizer.json); ${tokenizer.source} has no fingerprint (disable the cache)`);
  const parsed = parseDataSpec(spec);
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ format: DATASET_FORMAT, kind: parsed.kind, path: 'dir' in parsed ? path.resolve(parsed.dir) : 'file' in parsed ? path.resolve(parsed.file) : null }));
  if (parsed.kind === 'builtin') {
    const { generateBuiltinTaskFiles } = await import('../builtin/index.js');
    hash.update(createHash('sha256').update(JSON.stringify([...generateBuiltinTaskFiles()])).digest('hex'));
  }
  for (const file of await inputFiles(parsed, options)) hash.update(`\u0000${path.resolve(file)}\u0000${await sha256File(file)}`);
  hash.update(`\u0000tokenizer ${fingerprint}\u0000options ${sortedJson({ ...options })}`);
  return hash.digest('hex');
}

async function readCached(file: string, key: string): Promise<PreparedDataset | string> {
  try {
    const { table, metadata } = tableFromArrowFile(await readFile(file), file);
    const meta = metadata as Partial<CachedMetadata> | null;
    if (!meta || meta.format !== DATASET_FORMAT || meta.key !== key || !meta.summary || !meta.selection) return `${file} was written for other inputs or by another version`;
    return { examples: table.examples, columns: table.columns, summary: meta.summary, selection: meta.selection, cache: { file, hit: true } };
  } catch (err) {
    return (err as Error).message;
  }
}

/** Writes the cache file atomically (see writeFileAtomically), naming it in the error. */
async function writeCacheFile(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomically(file, bytes);
  } catch (err) {
    throw new Error(`Cannot write the dataset cache file ${file}: ${(err as Error).message}`);
  }
}

/** Tokenized data for `spec`, from the cache when it holds it (see the file comment); bad inputs throw DataError. */
export async function prepareDataset(spec: string, tokenizer: TextTokenizer, options: TrainingDataOptions = {}, cache: CacheOptions = {}): Promise<PreparedDataset> {
  try {
    return await prepare(spec, tokenizer, options, cache);
  } catch (err) {
    throw asDataError(err);
  }
}

async function prepare(spec: string, tokenizer: TextTokenizer, options: TrainingDataOptions, cache: CacheOptions): Promise<PreparedDataset> {
  const dir = cache.dir === undefined ? path.resolve(DEFAULT_CACHE_DIR) : cache.dir;
  if (dir === null) {
    const data = await loadTrainingData(spec, tokenizer, options);
    const table = toColumns(data.examples, 'train');
    return { examples: table.examples, columns: table.columns, summary: data.summary, selection: data.selection, cache: null };
  }
  const key = await datasetCacheKey(spec, tokenizer, options);
  const file = path.join(dir, `${parseDataSpec(spec).kind}-${key.slice(0, 24)}.arrow`);
  let rebuildNote: string | null = null;
  if (existsSync(file)) {
    const cached = await readCached(file, key);
    if (typeof cached !== 'string') return cached;
    rebuildNote = `the cached dataset could not be used (${cached}); tokenized again`;
  }
  const data = await loadTrainingData(spec, tokenizer, options);
  const summary = rebuildNote ? { ...data.summary, notes: [...data.summary.notes, rebuildNote] } : data.summary;
  const table = toColumns(data.examples, 'train');
  const metadata: CachedMetadata = { format: DATASET_FORMAT, key, summary: data.summary, selection: data.selection };
  await mkdir(dir, { recursive: true });
  await writeCacheFile(file, tableToArrowFile(table, metadata));
  return { examples: table.examples, columns: table.columns, summary, selection: data.selection, cache: { file, hit: false } };
}
