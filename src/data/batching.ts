// Grouping TrainingExamples into padded batches.
//
// Order: with `shuffle`, a Fisher-Yates permutation from mulberry32(deriveSeed(seed, "epoch", epoch)), so
// each (seed, epoch) gives one fixed order and different epochs give different orders; without it, the
// examples' own order. Consecutive groups of batchSize form the batches; the last one may be smaller
// unless `dropLast` (then `planBatches(...).leftOver` says how many examples were left out).
// Padding: on the right to the longest example of the batch; input ids = padId, labels = -100,
// attention mask 0 on padding and 1 elsewhere. Tensors are row-major [batchSize, seqLen].
import type { TrainingBatch, TrainingExample } from './types.js';
import { IGNORE_INDEX } from './encode.js';
import { deriveSeed, mulberry32, shuffledIndices } from './seeded-random.js';

export interface BatchOptions {
  batchSize: number;
  padId: number;
  seed: number;
  epoch: number;
  shuffle: boolean;
  /** Leave out a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

export interface BatchPlan {
  /** Example indices of each batch, in order. */
  batches: number[][];
  /** Examples left out by dropLast in this epoch. */
  leftOver: number;
}

/** Which examples go into which batch, for one epoch. */
export function planBatches(exampleCount: number, options: BatchOptions): BatchPlan {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(options.epoch) || options.epoch < 0) throw new Error(`epoch must be a non-negative integer, got ${options.epoch}`);
  const order = options.shuffle
    ? shuffledIndices(exampleCount, mulberry32(deriveSeed(options.seed, 'epoch', options.epoch)))
    : Array.from({ length: exampleCount }, (_, i) => i);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  let leftOver = 0;
  const last = batches[batches.length - 1];
  if (options.dropLast && last && last.length < batchSize) {
    leftOver = last.length;
    batches.pop();
  }
  return { batches, leftOver };
}

/** One padded batch from the given examples. */
export function collate(examples: readonly TrainingExample[], padId: number): TrainingBatch {
  if (examples.length === 0) throw new Error('collate: a batch needs at least one example');
  const seqLen = Math.max(...examples.map((e) => e.inputIds.length));
  const batchSize = examples.length;
  const inputIds = new Int32Array(batchSize * seqLen).fill(padId);
  const labels = new Int32Array(batchSize * seqLen).fill(IGNORE_INDEX);
  const attentionMask = new Int32Array(batchSize * seqLen);
  let targetTokens = 0;
  let realTokens = 0;
  examples.forEach((ex, row) => {
    if (ex.labels.length !== ex.inputIds.length) {
      throw new Error(`example ${ex.task}/${ex.id}: labels (${ex.labels.length}) and inputIds (${ex.inputIds.length}) differ in length`);
    }
    const offset = row * seqLen;
    inputIds.set(ex.inputIds, offset);
    labels.set(ex.labels, offset);
    attentionMask.fill(1, offset, offset + ex.inputIds.length);
    realTokens += ex.inputIds.length;
    for (let t = 1; t < ex.labels.length; t++) if (ex.labels[t] !== IGNORE_INDEX) targetTokens++;
  });
  return { inputIds, labels, attentionMask, batchSize, seqLen, targetTokens, realTokens };
}

/** All batches of one epoch (see the file comment). */
export function makeBatches(examples: readonly TrainingExample[], options: BatchOptions): TrainingBatch[] {
  return planBatches(examples.length, options).batches.map((indices) => collate(indices.map((i) => examples[i]!), options.padId));
}
