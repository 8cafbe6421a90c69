// Grouping TrainingExamples into padded batches.
//
// Order: with `shuffle`, a Fisher-Yates permutation from mulberry32(deriveSeed(seed, "epoch", epoch)), so
// each (seed, epoch) gives one fixed order and different epochs give different orders; without it, the
// examples' own order. Consecutive groups of batchSize form the batches; the last one may be smaller
// unless `dropLast` (then `planBatches(...).leftOver` says how many examples were left out).
// With `groupByLength` (HF Trainer's group_by_length, plus a shuffle of the batch order): the permutation is
// cut into mega-batches of megaBatchSize x batchSize examples, each sorted by length (longest first, stable),
// cut into batches, and the batches' order is shuffled with mulberry32(deriveSeed(seed, "batch-order",
// epoch)); so batches hold similar lengths (little padding) while their order stays random.
// Padding: on the right to the longest example of the batch; input ids = padId, labels = -100,
// attention mask 0 on padding and 1 elsewhere. Tensors are row-major [batchSize, seqLen].
import type { TrainingBatch, TrainingExample } from './types.js';
import { IGNORE_INDEX, countShiftedTargets } from './encode.js';
import { deriveSeed, mulberry32, shuffleInPlace, shuffledIndices } from './seeded-random.js';

export interface BatchOptions {
  batchSize: number;
  padId: number;
  seed: number;
  epoch: number;
  shuffle: boolean;
  /** Leave out a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Batches of similar lengths (see the file comment); needs `lengths` in planBatches. */
  groupByLength?: boolean;
  /** Batches per mega-batch for groupByLength (default 50, as HF). */
  megaBatchSize?: number;
}

export interface BatchPlan {
  /** Example indices of each batch, in order. */
  batches: number[][];
  /** Examples left out by dropLast in this epoch. */
  leftOver: number;
}

/** The epoch's example order: a seeded permutation with `shuffle`, else 0..n-1. */
export function epochOrder(exampleCount: number, options: Pick<BatchOptions, 'shuffle' | 'seed' | 'epoch'>): number[] {
  if (!Number.isInteger(options.epoch) || options.epoch < 0) throw new Error(`epoch must be a non-negative integer, got ${options.epoch}`);
  return options.shuffle
    ? shuffledIndices(exampleCount, mulberry32(deriveSeed(options.seed, 'epoch', options.epoch)))
    : Array.from({ length: exampleCount }, (_, i) => i);
}

function chunks(order: number[], size: number): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < order.length; start += size) out.push(order.slice(start, start + size));
  return out;
}

/** Which examples go into which batch, for one epoch; `lengths` (tokens per example) for groupByLength. */
export function planBatches(exampleCount: number, options: BatchOptions, lengths?: ArrayLike<number>): BatchPlan {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const order = epochOrder(exampleCount, options);
  let batches: number[][];
  if (options.groupByLength) {
    if (!lengths || lengths.length !== exampleCount) throw new Error('groupByLength needs the length of every example');
    const mega = options.megaBatchSize ?? 50;
    if (!Number.isInteger(mega) || mega <= 0) throw new Error(`megaBatchSize must be a positive integer, got ${mega}`);
    batches = chunks(order, mega * batchSize).flatMap((group) => chunks([...group].sort((a, b) => lengths[b]! - lengths[a]!), batchSize));
  } else {
    batches = chunks(order, batchSize);
  }
  let leftOver = 0;
  const short = batches.findIndex((b) => b.length < batchSize);
  if (options.dropLast && short >= 0) {
    leftOver = batches[short]!.length;
    batches.splice(short, 1);
  }
  if (options.groupByLength) shuffleInPlace(batches, mulberry32(deriveSeed(options.seed, 'batch-order', options.epoch)));
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
    targetTokens += countShiftedTargets(ex.labels);
  });
  return { inputIds, labels, attentionMask, batchSize, seqLen, targetTokens, realTokens };
}

/** All batches of one epoch (see the file comment). */
export function makeBatches(examples: readonly TrainingExample[], options: BatchOptions): TrainingBatch[] {
  const lengths = options.groupByLength ? examples.map((e) => e.inputIds.length) : undefined;
  return planBatches(examples.length, options, lengths).batches.map((indices) => collate(indices.map((i) => examples[i]!), options.padId));
}
