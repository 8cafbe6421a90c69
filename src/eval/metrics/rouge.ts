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

/** Maximal runs of [a-z0-9]: what re.split leaves non-empty after re.sub("[^a-z0-9]+", " "). */
const ALPHANUMERIC_RUN = /[a-z0-9]+/g;

/**
 * rouge_score's default tokenizer with use_stemmer=True. Its final ^[a-z0-9]+$ filter only drops the empty
 * pieces at the edges of the split: the runs matched here are never empty, and stemming a run of [a-z0-9]
 * only removes characters or appends lowercase ASCII letters, and never empties a token longer than 3.
 */
export function rougeTokenize(text: string): string[] {
  const runs = text.toLowerCase().match(ALPHANUMERIC_RUN);
  if (runs === null) return [];
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    if (run.length > 3) runs[i] = cachedStem(run);
  }
  return runs;
}

/** scoring.fmeasure. */
export function fMeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/**
 * Length of the longest common subsequence: the classic table, one rolling row over the shorter list, with
 * tokens replaced by small integers first (string comparison dominated the run time).
 */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const [outer, inner] = a.length >= b.length ? [a, b] : [b, a];
  const m = inner.length;
  if (m === 0) return 0;
  const ids = new Map<string, number>();
  const innerIds = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const token = inner[j]!;
    let id = ids.get(token);
    if (id === undefined) ids.set(token, (id = ids.size));
    innerIds[j] = id;
  }
  // row[j] = LCS(outer[0..i), inner[0..j)); `diagonal` carries the previous row's row[j - 1].
  const row = new Int32Array(m + 1);
  for (let i = 0; i < outer.length; i++) {
    const id = ids.get(outer[i]!) ?? -1;
    if (id < 0) continue; // a token absent from `inner` leaves the row unchanged
    let diagonal = 0;
    for (let j = 1; j <= m; j++) {
      const above = row[j]!;
      if (innerIds[j - 1] === id) row[j] = diagonal + 1;
      else if (row[j - 1]! > above) row[j] = row[j - 1]!;
      diagonal = above;
    }
  }
  return row[m]!;
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
