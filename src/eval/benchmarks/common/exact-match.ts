// Exact match as open-instruct's GSM8K and BBH evaluations compute it: evaluate.load("exact_match").compute(
// predictions, references, ignore_case=True, ignore_punctuation=True) (huggingface/evaluate
// metrics/exact_match/exact_match.py). Both strings are lowercased (str.lower) and lose every character of
// Python's string.punctuation (ASCII only) and nothing else: whitespace and articles stay, so "(A)" matches "a"
// but " a" does not. A pair that normalizes to "" counts only when the original strings are equal. The score is
// the mean over pairs, in [0, 1]. numpy's unicode arrays drop trailing NUL characters, so they are dropped here.
import { PYTHON_PUNCTUATION } from '../../../data/superni/prompt.js';

function withoutPunctuation(text: string): string {
  let out = '';
  for (const ch of text) if (!PYTHON_PUNCTUATION.has(ch)) out += ch;
  return out;
}

const numpyString = (text: string): string => text.replace(/\0+$/, '');

/** Whether one prediction matches its reference (see the file comment). */
export function exactMatchPair(prediction: string, reference: string): boolean {
  const p = numpyString(prediction);
  const r = numpyString(reference);
  const pn = withoutPunctuation(p.toLowerCase());
  const rn = withoutPunctuation(r.toLowerCase());
  return pn === rn && (pn !== '' || p === r);
}

/** The mean exact match over pairs (NaN for none, as np.mean of an empty list). */
export function exactMatchScore(predictions: readonly string[], references: readonly string[]): number {
  if (predictions.length !== references.length) throw new Error(`${predictions.length} predictions for ${references.length} references`);
  let matches = 0;
  predictions.forEach((p, i) => {
    if (exactMatchPair(p, references[i]!)) matches++;
  });
  return matches / predictions.length;
}
