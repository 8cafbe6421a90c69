// ROUGE-L and ROUGE-1 F-measures as Google's rouge_score computes them with
// `RougeScorer(['rougeL', 'rouge1'], use_stemmer=True)`, the scorer of the official SuperNI evaluation
// (natural-instructions eval/automatic/evaluation.py). From rouge_score's source (rouge/tokenize.py,
// rouge/rouge_scorer.py, rouge/scoring.py; the package itself is not installable here):
//
//   tokenize:  text.lower() -> re.sub("[^a-z0-9]+", " ") -> re.split("\s+") -> stem tokens with len > 3
//              (NLTK PorterStemmer) -> keep tokens matching ^[a-z0-9]+$ (drops the empty edge tokens)
//   rougeL:    0 (P = R = F = 0) when either token list is empty; else lcs = LCS length,
//              P = lcs / len(prediction), R = lcs / len(target)
//   rouge1:    overlap = sum over target unigrams of min(count in target, count in prediction),
//              P = overlap / max(len(prediction), 1), R = overlap / max(len(target), 1)
//   fmeasure:  2 * P * R / (P + R) when P + R > 0, else 0
//
// The arithmetic is done in the same order as Python's, so results are bit-identical doubles.
import { porterStem } from './porter-stemmer.js';

/** Stems by token; the vocabulary of an evaluation is small, the number of tokens large. */
const stemCache = new Map<string, string>();
const STEM_CACHE_LIMIT = 1_000_000;

function cachedStem(token: string): string {
  let stem = stemCache.get(token);
  if (stem === undefined) {
    stem = porterStem(token);
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(token, stem);
  }
  return stem;
}

const NON_ALPHANUMERIC = /[^a-z0-9]+/g;
const VALID_TOKEN = /^[a-z0-9]+$/;

/** rouge_score's default tokenizer with use_stemmer=True. */
export function rougeTokenize(text: string): string[] {
  const pieces = text.toLowerCase().replace(NON_ALPHANUMERIC, ' ').split(' ');
  const tokens: string[] = [];
  for (const piece of pieces) {
    const token = piece.length > 3 ? cachedStem(piece) : piece;
    if (VALID_TOKEN.test(token)) tokens.push(token);
  }
  return tokens;
}

/** scoring.fmeasure. */
export function fMeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/** Length of the longest common subsequence (two rolling rows over the shorter list). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const [outer, inner] = a.length >= b.length ? [a, b] : [b, a];
  if (inner.length === 0) return 0;
  let previous = new Int32Array(inner.length + 1);
  let current = new Int32Array(inner.length + 1);
  for (let i = 0; i < outer.length; i++) {
    const token = outer[i];
    for (let j = 1; j <= inner.length; j++) {
      current[j] = token === inner[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[inner.length]!;
}

/** ROUGE-L F-measure of prediction tokens against target (reference) tokens. */
export function rougeLFromTokens(target: readonly string[], prediction: readonly string[]): number {
  if (target.length === 0 || prediction.length === 0) return 0;
  const lcs = lcsLength(target, prediction);
  return fMeasure(lcs / prediction.length, lcs / target.length);
}

/** ROUGE-1 F-measure (unigram overlap with counts) of prediction tokens against target tokens. */
export function rouge1FromTokens(target: readonly string[], prediction: readonly string[]): number {
  const predictionCounts = new Map<string, number>();
  for (const token of prediction) predictionCounts.set(token, (predictionCounts.get(token) ?? 0) + 1);
  const targetCounts = new Map<string, number>();
  for (const token of target) targetCounts.set(token, (targetCounts.get(token) ?? 0) + 1);
  let overlap = 0;
  for (const [token, count] of targetCounts) overlap += Math.min(count, predictionCounts.get(token) ?? 0);
  return fMeasure(overlap / Math.max(prediction.length, 1), overlap / Math.max(target.length, 1));
}

/** ROUGE-L F-measure of `prediction` against one `reference`, in 0..1. */
export function rougeL(prediction: string, reference: string): number {
  return rougeLFromTokens(rougeTokenize(reference), rougeTokenize(prediction));
}

/** ROUGE-1 F-measure of `prediction` against one `reference`, in 0..1. */
export function rouge1(prediction: string, reference: string): number {
  return rouge1FromTokens(rougeTokenize(reference), rougeTokenize(prediction));
}
