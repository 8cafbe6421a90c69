// The official SQuAD v1.1 evaluation (huggingface/evaluate metrics/squad/compute_score.py), which open-instruct's
// TyDiQA evaluation runs per language through evaluate.load("squad"). normalize_answer: lowercase, delete
// string.punctuation (ASCII), replace the words a/an/the by a space (\b is Unicode-aware in Python: a letter,
// digit or "_" of any script next to the article keeps it), collapse whitespace (str.split()). F1 compares the
// bags of normalized tokens; both metrics take the best reference; the scores are percentages over all references,
// a question without a prediction scoring 0.
import { PYTHON_PUNCTUATION } from '../../../data/superni/prompt.js';
import { pythonSplit } from './python-text.js';

// Python's \w for str patterns: str.isalnum() characters and "_" (letters and numbers of every script).
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

export function squadNormalize(text: string): string {
  let noPunctuation = '';
  for (const ch of text.toLowerCase()) if (!PYTHON_PUNCTUATION.has(ch)) noPunctuation += ch;
  return pythonSplit(noPunctuation.replace(ARTICLES, ' ')).join(' ');
}

export function squadExactMatch(prediction: string, reference: string): boolean {
  return squadNormalize(prediction) === squadNormalize(reference);
}

export function squadF1(prediction: string, reference: string): number {
  const predicted = squadNormalize(prediction).split(' ').filter((t) => t !== '');
  const gold = squadNormalize(reference).split(' ').filter((t) => t !== '');
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of predicted) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      same++;
      counts.set(t, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predicted.length;
  const recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

export interface SquadReference {
  id: string;
  answers: readonly string[];
}

export interface SquadScores {
  exact_match: number;
  f1: number;
}

/** compute_score over `references`, predictions by id (the last one given for an id counts). */
export function squadScores(references: readonly SquadReference[], predictions: ReadonlyMap<string, string>): SquadScores {
  let exact = 0;
  let f1 = 0;
  for (const ref of references) {
    const prediction = predictions.get(ref.id);
    if (prediction === undefined) continue;
    if (ref.answers.length === 0) throw new Error(`question ${ref.id} has no reference answer`);
    exact += Math.max(...ref.answers.map((a) => (squadExactMatch(prediction, a) ? 1 : 0)));
    f1 += Math.max(...ref.answers.map((a) => squadF1(prediction, a)));
  }
  return { exact_match: (100 * exact) / references.length, f1: (100 * f1) / references.length };
}
