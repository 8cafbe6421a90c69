// Scoring TyDiQA generations as open-instruct does (eval/tydiqa/run_eval.py @c93a41e L201-227): each generation is
// stripped, the SQuAD v1.1 metric (common/squad.ts) is computed per language (exact_match and f1, percentages),
// and "average" is the mean of the languages' scores.
import { pythonStrip } from '../common/python-text.js';
import { squadScores } from '../common/squad.js';
import type { TydiqaExample } from './load.js';

/** open-instruct keeps `output.strip()` of a generation. */
export function cleanGeneration(output: string): string {
  return pythonStrip(output);
}

/** "<lang>/exact_match", "<lang>/f1" per language (sorted) and "average/exact_match", "average/f1". */
export function metrics(instances: readonly TydiqaExample[], predictions: readonly string[]): Record<string, number> {
  if (predictions.length !== instances.length) throw new Error(`${predictions.length} predictions for ${instances.length} questions`);
  const out: Record<string, number> = {};
  const langs = [...new Set(instances.map((e) => e.lang))].sort();
  let em = 0;
  let f1 = 0;
  for (const lang of langs) {
    const refs = instances.filter((e) => e.lang === lang);
    const byId = new Map<string, string>();
    instances.forEach((e, i) => {
      if (e.lang === lang) byId.set(e.id, predictions[i]!);
    });
    const s = squadScores(refs, byId);
    out[`${lang}/exact_match`] = s.exact_match;
    out[`${lang}/f1`] = s.f1;
    em += s.exact_match;
    f1 += s.f1;
  }
  out['average/exact_match'] = em / langs.length;
  out['average/f1'] = f1 / langs.length;
  return out;
}
