// MMLU accuracies as open-instruct reports them (eval/mmlu/run_eval.py @0ddab2b L174-202, L218-245): per subject, per
// subcategory and per category (every question of their subjects pooled), and "average_acc" over all questions
// (micro); "macro_acc", the mean of the subject accuracies, is added here. Subjects outside the categories table
// count in both averages but in no group (open-instruct would stop with a KeyError); groups without an evaluated
// subject are left out (open-instruct would fail on an empty concatenation).
import { MMLU_CATEGORIES, MMLU_SUBCATEGORIES } from './categories.js';

export interface MmluSubjectResult {
  subject: string;
  /** Whether each test question was answered right. */
  correct: readonly boolean[];
}

const mean = (values: readonly boolean[]): number => values.filter(Boolean).length / values.length;

export function metrics(results: readonly MmluSubjectResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  const groups = new Map<string, boolean[]>();
  const pool = (key: string, correct: readonly boolean[]): void => {
    const list = groups.get(key) ?? [];
    list.push(...correct);
    groups.set(key, list);
  };
  for (const { subject, correct } of results) {
    out[`subject/${subject}`] = mean(correct);
    for (const subcat of MMLU_SUBCATEGORIES[subject] ?? []) {
      pool(`subcat/${subcat}`, correct);
      for (const [cat, members] of Object.entries(MMLU_CATEGORIES)) if (members.includes(subcat)) pool(`cat/${cat}`, correct);
    }
  }
  for (const [key, correct] of groups) out[key] = mean(correct);
  out['average_acc'] = mean(results.flatMap((r) => [...r.correct]));
  out['macro_acc'] = results.reduce((sum, r) => sum + mean(r.correct), 0) / results.length;
  return out;
}

/** Whether each prediction equals its question's answer letter. */
export function correctness(predicted: readonly string[], answers: readonly string[]): boolean[] {
  return predicted.map((p, i) => p === answers[i]);
}
