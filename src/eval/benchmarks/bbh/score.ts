// Scoring BBH generations as open-instruct does (eval/bbh/run_eval.py @c93a41e L140-165): the prediction is the
// first match of r"[t|T]he answer is (.*?)\." (the shortest text up to the next period on the same line; "|" is
// part of the character class), stripped, or the whole output stripped when nothing matches; each task scores
// exact match ignoring case and punctuation (in [0, 1]), and "average_exact_match" is their mean.
import { exactMatchScore } from '../common/exact-match.js';
import { pythonStrip } from '../common/python-text.js';

// Python's "." is anything but "\n" (JavaScript's also stops at "\r", U+2028 and U+2029).
const ANSWER = /[t|T]he answer is ([^\n]*?)\./;

export function extractAnswer(output: string): string {
  const match = ANSWER.exec(output);
  return pythonStrip(match ? match[1]! : output);
}

export interface BbhTaskResult {
  task: string;
  predictions: readonly string[];
  targets: readonly string[];
}

/** Exact match per task (keyed by task name, as open-instruct's metrics.json) and their mean. */
export function metrics(results: readonly BbhTaskResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r.task] = exactMatchScore(r.predictions, r.targets);
  out['average_exact_match'] = results.reduce((sum, r) => sum + out[r.task]!, 0) / results.length;
  return out;
}
