// Packing: several examples per row, up to a token budget per row, so that short examples do not pay for
// padding. Each packed row carries, besides input ids / labels / attention mask:
//   positionIds  0, 1, 2, ... restarting at each sequence start (RoPE positions as if the sequence were alone)
//   sequenceIds  1, 2, 3, ... for the row's sequences, 0 on padding (the native side attends only within
//                one sequence: causal AND same sequence id AND attention mask)
// The label at each sequence start is -100: it would otherwise be predicted from the previous sequence's
// last token. (A sequence's own first label never counts after the shift either, so a packed row's loss
// is exactly the sum of its sequences' losses.)
//
// Rows: the epoch order (src/data/batching.ts epochOrder: seeded per epoch) filled greedily in that order
// (next-fit: a sequence that does not fit closes the row). Batches: consecutive groups of batchSize rows.
import type { TrainingBatch, TrainingExample } from './types.js';
import { IGNORE_INDEX, countShiftedTargets } from './encode.js';
import { epochOrder } from './batching.js';

export interface PackOptions {
  /** Tokens per row. */
  maxTokens: number;
  /** Rows per batch. */
  batchSize: number;
  seed: number;
  epoch: number;
  shuffle: boolean;
}

/** Rows of example indices for one epoch, in order; then batches of rows. */
export function planPackedBatches(lengths: ArrayLike<number>, options: PackOptions): number[][][] {
  const { maxTokens, batchSize } = options;
  if (!Number.isInteger(maxTokens) || maxTokens <= 0) throw new Error(`packing length must be a positive integer, got ${maxTokens}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  let longest = 0;
  for (let i = 0; i < lengths.length; i++) longest = Math.max(longest, lengths[i]!);
  if (longest > maxTokens) throw new Error(`packing length ${maxTokens} is shorter than the longest example (${longest} tokens)`);
  const rows: number[][] = [];
  let row: number[] = [];
  let used = 0;
  for (const i of epochOrder(lengths.length, options)) {
    const n = lengths[i]!;
    if (used + n > maxTokens && row.length > 0) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(i);
    used += n;
  }
  if (row.length > 0) rows.push(row);
  const batches: number[][][] = [];
  for (let start = 0; start < rows.length; start += batchSize) batches.push(rows.slice(start, start + batchSize));
  return batches;
}

/** One packed batch: rows of examples, padded on the right to the longest row. */
export function collatePacked(rows: ReadonlyArray<readonly TrainingExample[]>, padId: number): TrainingBatch {
  if (rows.length === 0 || rows.some((r) => r.length === 0)) throw new Error('collatePacked: every row needs at least one example');
  const rowLength = (r: readonly TrainingExample[]) => r.reduce((s, e) => s + e.inputIds.length, 0);
  const seqLen = Math.max(...rows.map(rowLength));
  const batchSize = rows.length;
  const size = batchSize * seqLen;
  const inputIds = new Int32Array(size).fill(padId);
  const labels = new Int32Array(size).fill(IGNORE_INDEX);
  const attentionMask = new Int32Array(size);
  const positionIds = new Int32Array(size);
  const sequenceIds = new Int32Array(size);
  let targetTokens = 0;
  let realTokens = 0;
  rows.forEach((row, r) => {
    let offset = r * seqLen;
    row.forEach((ex, k) => {
      const n = ex.inputIds.length;
      if (ex.labels.length !== n) throw new Error(`example ${ex.task}/${ex.id}: labels (${ex.labels.length}) and inputIds (${n}) differ in length`);
      inputIds.set(ex.inputIds, offset);
      labels.set(ex.labels, offset);
      labels[offset] = IGNORE_INDEX;
      attentionMask.fill(1, offset, offset + n);
      sequenceIds.fill(k + 1, offset, offset + n);
      for (let t = 0; t < n; t++) positionIds[offset + t] = t;
      targetTokens += countShiftedTargets(ex.labels);
      realTokens += n;
      offset += n;
    });
  });
  return { inputIds, labels, attentionMask, positionIds, sequenceIds, batchSize, seqLen, targetTokens, realTokens };
}
