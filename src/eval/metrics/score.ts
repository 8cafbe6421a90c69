// Scoring SuperNI predictions as the official evaluation does (natural-instructions
// eval/automatic/evaluation.py): per instance the max over its references of each metric separately;
// per group (all, a task, a category) 100 * sum / count. A task's category is its file's Categories[0]
// (eval/leaderboard/create_reference_file.py). Predictions that are missing are scored as "" by the
// official script; "" has no ROUGE tokens (ROUGE 0) and exact-matches only a reference that normalizes to "".
// The official script rounds group means to 4 decimals for display; these values are not rounded.
import type { SuperNITask } from '../../data/superni/task.js';
import { normalizeAnswer } from './exact-match.js';
import { rouge1FromTokens, rougeLFromTokens, rougeTokenize } from './rouge.js';

/** One instance's scores, each in 0..1. */
export interface InstanceScores {
  exactMatch: number;
  rougeL: number;
  rouge1: number;
}

/** Means over a group of instances, x 100 (0..100). */
export interface MeanScores {
  exactMatch: number;
  rougeL: number;
  rouge1: number;
  /** Number of instances in the group. */
  count: number;
}

export interface ScoredInstance {
  task: string;
  /** The task's category (taskCategory); null when the task has none (not counted in perCategory). */
  category: string | null;
  scores: InstanceScores;
}

export interface AggregateScores {
  overall: MeanScores;
  /** By task name, sorted by name. */
  perTask: Record<string, MeanScores>;
  /** By category name, sorted by name; only instances whose category is not null. */
  perCategory: Record<string, MeanScores>;
}

export type HeadlineMetric = 'exactMatch' | 'rougeL';

/**
 * The 12 categories of the default SuperNI test split and the metric Tk-Instruct's compute_metrics.py
 * reports for each (its `category_metrics` list, in its order).
 */
export const SUPERNI_TEST_CATEGORIES: ReadonlyArray<{ name: string; metric: HeadlineMetric }> = [
  { name: 'Textual Entailment', metric: 'exactMatch' },
  { name: 'Cause Effect Classification', metric: 'exactMatch' },
  { name: 'Coreference Resolution', metric: 'exactMatch' },
  { name: 'Dialogue Act Recognition', metric: 'exactMatch' },
  { name: 'Answerability Classification', metric: 'exactMatch' },
  { name: 'Word Analogy', metric: 'exactMatch' },
  { name: 'Overlap Extraction', metric: 'rougeL' },
  { name: 'Keyword Tagging', metric: 'rougeL' },
  { name: 'Question Rewriting', metric: 'rougeL' },
  { name: 'Title Generation', metric: 'rougeL' },
  { name: 'Data to Text', metric: 'rougeL' },
  { name: 'Grammar Error Correction', metric: 'rougeL' },
];

/** The category the official evaluation groups a task under: the first entry of its Categories, or null. */
export function taskCategory(task: Pick<SuperNITask, 'categories'>): string | null {
  return task.categories[0] ?? null;
}

/** Max over `references` of exact match, ROUGE-L and ROUGE-1 (each maximized on its own). */
export function scoreInstance(prediction: string, references: readonly string[]): InstanceScores {
  if (references.length === 0) throw new Error('scoreInstance: an instance needs at least one reference output');
  const predictionTokens = rougeTokenize(prediction);
  const normalizedPrediction = normalizeAnswer(prediction);
  const best: InstanceScores = { exactMatch: 0, rougeL: 0, rouge1: 0 };
  for (const reference of references) {
    const referenceTokens = rougeTokenize(reference);
    best.exactMatch = Math.max(best.exactMatch, normalizedPrediction === normalizeAnswer(reference) ? 1 : 0);
    best.rougeL = Math.max(best.rougeL, rougeLFromTokens(referenceTokens, predictionTokens));
    best.rouge1 = Math.max(best.rouge1, rouge1FromTokens(referenceTokens, predictionTokens));
  }
  return best;
}

/** Means x 100 in the official order of operations: sum in instance order, then 100 * sum / count. */
function meanScores(rows: readonly ScoredInstance[]): MeanScores {
  let em = 0;
  let rl = 0;
  let r1 = 0;
  for (const { scores } of rows) {
    em += scores.exactMatch;
    rl += scores.rougeL;
    r1 += scores.rouge1;
  }
  const n = rows.length;
  return { exactMatch: (100 * em) / n, rougeL: (100 * rl) / n, rouge1: (100 * r1) / n, count: n };
}

function groupMeans(rows: readonly ScoredInstance[], key: (row: ScoredInstance) => string | null): Record<string, MeanScores> {
  const groups = new Map<string, ScoredInstance[]>();
  for (const row of rows) {
    const name = key(row);
    if (name === null) continue;
    let group = groups.get(name);
    if (group === undefined) groups.set(name, (group = []));
    group.push(row);
  }
  const result: Record<string, MeanScores> = {};
  for (const name of [...groups.keys()].sort()) result[name] = meanScores(groups.get(name)!);
  return result;
}

/** Overall, per-task and per-category means (x 100) of scored instances. */
export function aggregateScores(rows: readonly ScoredInstance[]): AggregateScores {
  if (rows.length === 0) throw new Error('aggregateScores: no scored instances to aggregate');
  return {
    overall: meanScores(rows),
    perTask: groupMeans(rows, (row) => row.task),
    perCategory: groupMeans(rows, (row) => row.category),
  };
}
