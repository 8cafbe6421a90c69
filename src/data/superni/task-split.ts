// The study's task-level split (STUDY.md "SuperNI protocol"): K dev (validation) tasks carved out of the
// training task list, and a seeded subset of N of the remaining training tasks (the task-count study:
// N in {8, 32, ..., 707}, K = 50).
//
// A split folder's dev_tasks.txt, when there is one, gives the dev tasks instead (the first K with --dev-tasks K,
// all of them otherwise); none of its tasks is trained on.
//
// Both draws are seeded Fisher-Yates permutations of the training list (list order): dev = the first K of
// permutation deriveSeed(seed, "superni-dev"); the training subset = the first N of permutation
// deriveSeed(seed, "superni-train-subset") over what is left. Taking a prefix of one fixed permutation makes
// the subsets nested: with the same seed, the 8 tasks of N=8 are among the 32 of N=32, and so on, and the dev
// tasks do not depend on N. Both lists are returned in training-list order.
import { deriveSeed, mulberry32, shuffledIndices } from '../seeded-random.js';

export interface TaskSplitOptions {
  seed: number;
  /** Dev tasks carved out of the training list (default 0). */
  devTasks?: number;
  /** Training tasks kept after carving (default: all of the rest). */
  trainTasks?: number;
  /** A fixed dev list (dev_tasks.txt): dev tasks are taken from it instead of being carved. */
  devList?: readonly string[];
}

export interface TaskSplit {
  train: string[];
  dev: string[];
}

function firstOfPermutation(names: readonly string[], count: number, seed: number): Set<string> {
  const order = shuffledIndices(names.length, mulberry32(seed));
  return new Set(order.slice(0, count).map((i) => names[i]!));
}

/** Carves dev tasks and a training subset out of `names` (see the file comment). */
export function carveTaskSplit(names: readonly string[], options: TaskSplitOptions): TaskSplit {
  if (options.devList !== undefined) return splitWithDevList(names, options.devList, options);
  const devCount = options.devTasks ?? 0;
  if (!Number.isInteger(devCount) || devCount < 0) throw new Error(`devTasks must be a non-negative integer, got ${devCount}`);
  if (options.trainTasks !== undefined && (!Number.isInteger(options.trainTasks) || options.trainTasks <= 0)) {
    throw new Error(`trainTasks must be a positive integer, got ${options.trainTasks}`);
  }
  const trainCount = options.trainTasks ?? names.length - devCount;
  if (trainCount <= 0) throw new Error(`carving ${devCount} dev task(s) out of ${names.length} training task(s) leaves none to train on`);
  if (devCount + trainCount > names.length) {
    throw new Error(
      `${devCount} dev task(s) + ${trainCount} training task(s) need more than the ${names.length} training task(s) available`,
    );
  }
  const dev = firstOfPermutation(names, devCount, deriveSeed(options.seed, 'superni-dev'));
  const rest = names.filter((n) => !dev.has(n));
  const train = firstOfPermutation(rest, trainCount, deriveSeed(options.seed, 'superni-train-subset'));
  return { train: rest.filter((n) => train.has(n)), dev: names.filter((n) => dev.has(n)) };
}

/** Dev tasks from a fixed list (its first devTasks, default all); training: the other tasks, optionally a seeded subset. */
function splitWithDevList(names: readonly string[], devList: readonly string[], options: TaskSplitOptions): TaskSplit {
  const devCount = options.devTasks ?? devList.length;
  if (!Number.isInteger(devCount) || devCount < 0) throw new Error(`devTasks must be a non-negative integer, got ${devCount}`);
  if (devCount > devList.length) throw new Error(`${devCount} dev task(s) asked, but the dev list names ${devList.length}`);
  const listed = new Set(devList);
  const rest = names.filter((n) => !listed.has(n));
  if (rest.length === 0) throw new Error('every training task is in the dev list: none left to train on');
  const train = carveTaskSplit(rest, { seed: options.seed, trainTasks: options.trainTasks }).train;
  return { train, dev: devList.slice(0, devCount) };
}
