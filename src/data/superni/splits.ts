// Which SuperNI tasks and instances a run uses.
//
// Tasks: a folder of task files, `<dir>/tasks/*.json` (the natural-instructions layout) or `<dir>/*.json`,
// optionally restricted by a split list (`train_tasks.txt`: one task name per line, as in the official
// `splits/default/`). Every name in a split must have a file; otherwise the error lists the missing ones.
//
// Instances: the study's selection, as its released code makes it (util/ni_dataset.py of
// hepengfe/parameter_efficient_instruction_tuning, `_split_generators` and `_generate_examples`), with
// N = instancesPerTask (100 in the study) and the data seed (42 in the study, whatever the training seed):
//   order = list(range(2N)); random.seed(seed); random.shuffle(order)      (CPython's generator, python-random.ts)
//   a task with >= 2N instances: training = instances[order[:N]], memorization = instances[order[N:]];
//   a task with fewer:           training = instances[0:N] and memorization = instances[N:], in file order.
// The same permutation serves every task. Dev and test tasks use their first N instances in file order.
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pythonShuffledRange } from '../python-random.js';
import type { SuperNIInstance } from './task.js';
import { carveTaskSplit } from './task-split.js';

/** Task name -> task file, for a folder of SuperNI tasks. */
export async function listTaskFiles(dir: string): Promise<Map<string, string>> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`SuperNI folder ${dir} does not exist or is not a folder`);
  const nested = path.join(dir, 'tasks');
  const folder = existsSync(nested) && statSync(nested).isDirectory() ? nested : dir;
  const names = (await readdir(folder)).filter((f) => f.endsWith('.json')).sort();
  if (names.length === 0) throw new Error(`No SuperNI task files (*.json) in ${folder}`);
  return new Map(names.map((f) => [f.slice(0, -'.json'.length), path.join(folder, f)]));
}

/** Task names listed in a split file: one per line; blank lines and "#" comments ignored; ".json" optional. */
export async function readSplitList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read split list ${file}: ${(err as Error).message}`);
  }
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => (line.endsWith('.json') ? line.slice(0, -'.json'.length) : line));
  if (names.length === 0) throw new Error(`Split list ${file} names no tasks`);
  return names;
}

/** The split list file for `split` ("train", "test", "dev") given a split folder or a list file. */
export function splitListFile(splitDirOrFile: string, split = 'train'): string {
  if (existsSync(splitDirOrFile) && statSync(splitDirOrFile).isFile()) return splitDirOrFile;
  const file = path.join(splitDirOrFile, `${split}_tasks.txt`);
  if (!existsSync(file)) throw new Error(`Split folder ${splitDirOrFile} has no ${split}_tasks.txt`);
  return file;
}

/**
 * The task files of a split: every task of the folder (sorted by name) when `splitDirOrFile` is absent,
 * otherwise the tasks the split list names, in list order, each of which must exist in the folder.
 */
export async function resolveSplitTasks(dir: string, splitDirOrFile?: string, split = 'train'): Promise<Array<{ name: string; file: string }>> {
  const files = await listTaskFiles(dir);
  if (splitDirOrFile === undefined) return [...files].map(([name, file]) => ({ name, file }));
  const listFile = splitListFile(splitDirOrFile, split);
  const names = await readSplitList(listFile);
  const missing = names.filter((n) => !files.has(n));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, ... (${missing.length - 5} more)` : '');
    throw new Error(`Split list ${listFile} names ${missing.length} of ${names.length} tasks that have no file in ${dir}: ${shown}`);
  }
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicates.length > 0) throw new Error(`Split list ${listFile} names ${duplicates[0]} more than once`);
  return names.map((name) => ({ name, file: files.get(name)! }));
}

/** Whether `splitDirOrFile` is a split folder with `<split>_tasks.txt` (a single list file is a training list only). */
export function hasSplitList(splitDirOrFile: string | undefined, split: string): boolean {
  if (splitDirOrFile === undefined || !existsSync(splitDirOrFile) || !statSync(splitDirOrFile).isDirectory()) return false;
  return existsSync(path.join(splitDirOrFile, `${split}_tasks.txt`));
}

/**
 * The training and dev tasks of a SuperNI folder, as every run and evaluation chooses them: the split's
 * training list (or every task of the folder), with dev tasks from the split folder's dev_tasks.txt when it
 * has one and carved out with the data seed otherwise, and the seeded training subset (task-split.ts).
 */
export async function resolveTrainDevTasks(
  dir: string,
  splitDirOrFile: string | undefined,
  options: { seed: number; devTasks?: number; trainTasks?: number },
): Promise<{ train: Array<{ name: string; file: string }>; dev: Array<{ name: string; file: string }> }> {
  const trainList = await resolveSplitTasks(dir, splitDirOrFile, 'train');
  const devList = hasSplitList(splitDirOrFile, 'dev') ? await resolveSplitTasks(dir, splitDirOrFile, 'dev') : undefined;
  const entries = new Map([...trainList, ...(devList ?? [])].map((e) => [e.name, e]));
  const split = carveTaskSplit(trainList.map((e) => e.name), { ...options, devList: devList?.map((e) => e.name) });
  return { train: split.train.map((n) => entries.get(n)!), dev: split.dev.map((n) => entries.get(n)!) };
}

export interface InstanceSelection {
  train: SuperNIInstance[];
  /** Held-out instances of the training task (the study's memorization test). */
  memorization: SuperNIInstance[];
}

/** Training / memorization instances of a training task (the study's rule: see the file comment). */
export function selectTrainingInstances(instances: readonly SuperNIInstance[], options: { seed: number; instancesPerTask: number }): InstanceSelection {
  const n = options.instancesPerTask;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`instancesPerTask must be a positive integer, got ${n}`);
  if (instances.length < 2 * n) return { train: instances.slice(0, n), memorization: instances.slice(n) };
  const order = pythonShuffledRange(2 * n, options.seed);
  return {
    train: order.slice(0, n).map((i) => instances[i]!),
    memorization: order.slice(n).map((i) => instances[i]!),
  };
}

/** Evaluation instances of a dev or test task: the first `count` in file order. */
export function selectEvalInstances(instances: readonly SuperNIInstance[], count = 100): SuperNIInstance[] {
  return instances.slice(0, count);
}
