// Exact match as the official SuperNI evaluation computes it (natural-instructions
// eval/automatic/evaluation.py, `normalize_answer`: SQuAD v1.1's normalization without removing articles):
// lowercase (Python str.lower), delete every character of Python's string.punctuation (ASCII only), then
// ' '.join(text.split()) (split on Python's str.isspace characters, which collapses and trims whitespace).
import { PY_WHITESPACE, PYTHON_PUNCTUATION } from '../../data/superni/prompt.js';

/** Python's string.punctuation (all of ASCII's punctuation), as one character class. */
const PUNCTUATION_CLASS = new RegExp(`[${[...PYTHON_PUNCTUATION].map(escapeForClass).join('')}]`, 'g');
/** Runs of Python str.isspace() characters: what str.split() with no argument splits on. */
const WHITESPACE_RUNS = new RegExp(`[${[...PY_WHITESPACE].map(escapeForClass).join('')}]+`);

function escapeForClass(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** SuperNI's normalize_answer. */
export function normalizeAnswer(text: string): string {
  const words = text.toLowerCase().replace(PUNCTUATION_CLASS, '').split(WHITESPACE_RUNS);
  // split() leaves an empty piece for leading or trailing whitespace; Python's split() drops those.
  const first = words[0] === '' ? 1 : 0;
  const last = words.length > first && words[words.length - 1] === '' ? words.length - 1 : words.length;
  return words.slice(first, last).join(' ');
}

/** 1 when the normalized prediction equals the normalized reference, else 0. */
export function exactMatch(prediction: string, reference: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(reference) ? 1 : 0;
}
