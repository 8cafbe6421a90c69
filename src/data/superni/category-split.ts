// The task-diversity ablation (`--train-categories K`): the training tasks are drawn from K task categories only.
//
// A task's category is the one the official evaluation groups it under (taskCategory: the first of its
// Categories; "(no category)" for a task without one). The K categories are the first K of a seeded
// permutation (deriveSeed(data seed, "superni-train-categories")) of the sorted categories the training list
// covers (after dev tasks are carved out); the training tasks are then the seeded subset of --train-tasks of
// the tasks in those categories (task-split.ts, the same draw as without categories), or all of them when the
// categories hold fewer tasks than asked (the data summary says so).
import { taskCategory } from '../../eval/metrics/score.js';
import { deriveSeed, mulberry32, shuffledIndices } from '../seeded-random.js';
import { carveTaskSplit } from './task-split.js';

export const NO_CATEGORY = '(no category)';

export function categoryOf(task: { categories: string[] }): string {
  return taskCategory(task) ?? NO_CATEGORY;
}

/** The sorted categories `tasks` cover. */
export function categoriesCovered(tasks: ReadonlyArray<{ categories: string[] }>): string[] {
  return [...new Set(tasks.map(categoryOf))].sort();
}

export interface CategoryDraw<T> {
  /** The training tasks, in training-list order. */
  tasks: T[];
  /** The K categories drawn, sorted. */
  categories: string[];
  /** Every category of the training list, sorted. */
  available: string[];
  /** Tasks in the drawn categories (before the --train-tasks subset). */
  inCategories: number;
}

/** Draws `count` categories and the training tasks in them (see the file comment); throws when there are fewer categories. */
export function drawTrainCategories<T extends { name: string; categories: string[] }>(tasks: readonly T[], count: number, options: { seed: number; trainTasks?: number }): CategoryDraw<T> {
  if (!Number.isInteger(count) || count <= 0) throw new Error(`trainCategories must be a positive integer, got ${count}`);
  const available = categoriesCovered(tasks);
  if (count > available.length) {
    throw new Error(`--train-categories ${count}: the training tasks cover only ${available.length} task categor${available.length === 1 ? 'y' : 'ies'} (${available.slice(0, 8).join(', ')}${available.length > 8 ? ', ...' : ''})`);
  }
  const order = shuffledIndices(available.length, mulberry32(deriveSeed(options.seed, 'superni-train-categories')));
  const chosen = new Set(order.slice(0, count).map((i) => available[i]!));
  const candidates = tasks.filter((t) => chosen.has(categoryOf(t)));
  const trainTasks = options.trainTasks === undefined ? undefined : Math.min(options.trainTasks, candidates.length);
  const names = new Set(carveTaskSplit(candidates.map((t) => t.name), { seed: options.seed, ...(trainTasks !== undefined ? { trainTasks } : {}) }).train);
  return { tasks: candidates.filter((t) => names.has(t.name)), categories: [...chosen].sort(), available, inCategories: candidates.length };
}
