// Which tokens of a benchmark batch are trained: the shape of the data a run trains on decides how much of
// the step is spent where (peft-native computes logits only for trained positions).

/**
 * Which tokens of a benchmark batch are trained. superni: the shape of instruction data, where the prompt
 * (definition, examples, input) is masked and only the answer at the end of each row is trained — the last
 * SUPERNI_TARGET_FRACTION of every row; all: every token (language-model pretraining's shape).
 */
export const BENCH_LABELS = ['superni', 'all'] as const;
export type BenchLabels = (typeof BENCH_LABELS)[number];
export const SUPERNI_TARGET_FRACTION = 0.15;

/** Trained positions per row of a decoder batch of `seqLen` tokens. */
export function trainedTokensPerRow(seqLen: number, labels: BenchLabels): number {
  return labels === 'all' ? seqLen : Math.max(1, Math.ceil(SUPERNI_TARGET_FRACTION * seqLen));
}

/** Labels of a decoder benchmark batch: the inputs, with every position before a row's trained tail -100. */
export function benchLabels(inputIds: Int32Array, batchSize: number, seqLen: number, labels: BenchLabels): Int32Array {
  const out = Int32Array.from(inputIds);
  const masked = seqLen - trainedTokensPerRow(seqLen, labels);
  for (let b = 0; b < batchSize; b++) out.fill(-100, b * seqLen, b * seqLen + masked);
  return out;
}
