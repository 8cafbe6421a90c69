// Encoder-decoder batches. An example (src/data/encode.ts) holds its source ([BOS] + prompt) in
// inputIds[0, sourceLength) and its target (+ EOS) after it; here each is split there and the two are padded
// separately, on the right: the source to the batch's longest source (pad id, attention mask 0) and the
// target labels to the longest target (-100). The decoder reads the labels shifted right behind its start
// token (inside the model), so every target token counts in the loss: no one-token shift as in decoders.
import type { TrainingBatch, TrainingExample } from './types.js';
import { IGNORE_INDEX } from './encode.js';

/** Where `example`'s source ends; an error for examples that have no source/target split (conversations). */
export function sourceLengthOf(example: TrainingExample): number {
  const n = example.sourceLength;
  if (n === undefined) {
    throw new Error(
      `example ${example.task}/${example.id} has no source/target split: an encoder-decoder takes conversations as (context, assistant turn) pairs (TrainingDataOptions.conversationTurns)`,
    );
  }
  return n;
}

/** Target tokens of an example for an encoder-decoder: its labels after the source that are not -100. */
export function countSeq2SeqTargets(example: TrainingExample): number {
  let n = 0;
  for (let t = sourceLengthOf(example); t < example.labels.length; t++) if (example.labels[t] !== IGNORE_INDEX) n++;
  return n;
}

/**
 * One padded encoder-decoder batch (see the file comment). `labelPadId` fills the labels after a shorter
 * target: -100 (no loss, the default) or the pad id (then those positions are trained too, as the study's
 * collator did; targetTokens counts them).
 */
export function collateSeq2Seq(examples: readonly TrainingExample[], padId: number, labelPadId = IGNORE_INDEX): TrainingBatch {
  if (examples.length === 0) throw new Error('collateSeq2Seq: a batch needs at least one example');
  const sources = examples.map(sourceLengthOf);
  const seqLen = Math.max(1, ...sources);
  const labelLen = Math.max(1, ...examples.map((e, i) => e.inputIds.length - sources[i]!));
  const batchSize = examples.length;
  const inputIds = new Int32Array(batchSize * seqLen).fill(padId);
  const attentionMask = new Int32Array(batchSize * seqLen);
  const labels = new Int32Array(batchSize * labelLen).fill(labelPadId);
  let targetTokens = 0;
  let realTokens = 0;
  examples.forEach((ex, row) => {
    const s = sources[row]!;
    inputIds.set(ex.inputIds.subarray(0, s), row * seqLen);
    attentionMask.fill(1, row * seqLen, row * seqLen + s);
    labels.set(ex.labels.subarray(s), row * labelLen);
    targetTokens += countSeq2SeqTargets(ex);
    realTokens += ex.inputIds.length;
  });
  if (labelPadId !== IGNORE_INDEX) targetTokens = labels.reduce((n, l) => n + (l !== IGNORE_INDEX ? 1 : 0), 0);
  return { inputIds, labels, attentionMask, batchSize, seqLen, labelLen, targetTokens, realTokens };
}
