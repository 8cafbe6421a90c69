// Shapes shared by the data pipeline (src/data) and the training loop (src/train).

/** One tokenized training example: prompt + target + EOS, labels -100 where no loss is taken. */
export interface TrainingExample {
  inputIds: Int32Array;
  /** Aligned with inputIds (HF convention, shifted inside the model); -100 = masked. */
  labels: Int32Array;
  task: string;
  id: string;
  /** SuperNI: inputIds[0, sourceLength) is the source ([BOS] + prompt), the rest the target + EOS (for
   *  encoder-decoder models). Absent for conversations (TÜLU). */
  sourceLength?: number;
}

/** A padded batch ready for the native side, plus what the loop needs to know about it. */
export interface TrainingBatch {
  /** A decoder's tokens, or an encoder-decoder's source. */
  inputIds: Int32Array;
  /** [batchSize, seqLen] aligned with inputIds (decoders), or [batchSize, labelLen] targets (encoder-decoders). */
  labels: Int32Array;
  /** Encoder-decoder batches: the length of each labels row (src/data/seq2seq.ts). */
  labelLen?: number;
  attentionMask: Int32Array;
  batchSize: number;
  seqLen: number;
  /** Label positions that count in the loss (after the one-token shift of decoders). */
  targetTokens: number;
  /** Real (non-padding) tokens in the batch. */
  realTokens: number;
  /** Packed batches only, [batchSize * seqLen]: position of each token within its own sequence (0 at each start). */
  positionIds?: Int32Array;
  /** Packed batches only, [batchSize * seqLen]: 1, 2, 3, ... per sequence of a row, 0 on padding. */
  sequenceIds?: Int32Array;
}

/** What loading a data source did: counts shown to the user, nothing dropped silently. */
export interface DataSummary {
  source: string;
  tasks: number;
  examples: number;
  tokens: number;
  truncated: number;
  dropped: number;
  /** Human-readable reasons for every skip/drop, with counts. */
  notes: string[];
}
