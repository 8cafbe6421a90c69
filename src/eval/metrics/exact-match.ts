// Exact match as the official SuperNI evaluation computes it (natural-instructions
// eval/automatic/evaluation.py, `normalize_answer`: SQuAD v1.1's normalization without removing articles):
// lowercase (Python str.lower), delete every character of Python's string.punctuation (ASCII only), then
// ' '.join(text.split()) (split on Python's str.isspace characters, which collapses and trims whitespace).
import { PY_WHITESPACE, PYTHON_PUNCTUATION } from '../../data/superni/prompt.js';

/** SuperNI's normalize_answer. */
export function normalizeAnswer(text: string): string {
  const words: string[] = [];
  let word = '';
  for (const ch of text.toLowerCase()) {
    if (PYTHON_PUNCTUATION.has(ch)) continue;
    if (PY_WHITESPACE.has(ch)) {
      if (word !== '') words.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word !== '') words.push(word);
  return words.join(' ');
}

/** 1 when the normalized prediction equals the normalized reference, else 0. */
export function exactMatch(prediction: string, reference: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(reference) ? 1 : 0;
}
