// Optimizer updates: batches grouped for gradient accumulation (resumable at a data position), the
// number of updates a run makes, one update on the native Trainer, and which parameters skip weight decay.
import type { NativeBatch, NativeStepResult, NativeTrainer } from '../native/binding.js';
import type { TrainingBatch } from '../data/types.js';
import type { DataPosition } from './checkpoints.js';
import { deriveSeed } from '../data/seeded-random.js';

/** Parameters that get no weight decay: biases and norm weights (RMSNorm, q/k norms). */
export function isNoDecayParameter(name: string): boolean {
  return name.endsWith('.bias') || /(^|\.)[a-z_]*norm[a-z_]*\.weight$/i.test(name);
}

/** A TrainingBatch as the native side takes it (same buffers, no copy). */
export function toNativeBatch(b: TrainingBatch): NativeBatch {
  const batch: NativeBatch = { inputIds: b.inputIds, labels: b.labels, attentionMask: b.attentionMask, batchSize: b.batchSize, seqLen: b.seqLen };
  if (b.labelLen !== undefined) batch.labelLen = b.labelLen;
  if (b.positionIds) batch.positionIds = b.positionIds;
  if (b.sequenceIds) batch.sequenceIds = b.sequenceIds;
  return batch;
}

export interface UpdateGroup {
  epoch: number;
  batches: TrainingBatch[];
  /** Where the following group starts (a checkpoint's data position). */
  next: DataPosition;
}

/**
 * The optimizer updates as groups of `accumulation` consecutive batches, epoch after epoch (batches reshuffled
 * per epoch; the last group of an epoch may be smaller), until `maxUpdates` groups or the epochs run out.
 * Groups without target tokens are skipped (they would divide by zero).
 */
export function* updateGroups(
  batchesForEpoch: (epoch: number) => Iterable<TrainingBatch>,
  o: { accumulation: number; maxUpdates: number; maxEpochs: number; start?: DataPosition },
): Generator<UpdateGroup> {
  let produced = 0;
  for (let epoch = o.start?.epoch ?? 0; epoch < o.maxEpochs && produced < o.maxUpdates; epoch++) {
    const batches = batchesForEpoch(epoch)[Symbol.iterator]();
    let current = batches.next();
    if (current.done) return; // an epoch without batches: nothing more will come
    // On resume, skip the batches of the start epoch that earlier groups used.
    const skip = epoch === o.start?.epoch ? o.start.batch : 0;
    let index = 0;
    for (; index < skip && !current.done; index++) current = batches.next();
    while (!current.done && produced < o.maxUpdates) {
      const group: TrainingBatch[] = [];
      for (; group.length < o.accumulation && !current.done; index++) {
        group.push(current.value);
        current = batches.next();
      }
      if (group.reduce((s, b) => s + b.targetTokens, 0) === 0) continue;
      produced++;
      // One batch of lookahead tells whether the epoch is over.
      yield { epoch, batches: group, next: current.done ? { epoch: epoch + 1, batch: 0 } : { epoch, batch: index } };
    }
  }
}

/** Total optimizer updates for a run: `steps`, or epochs x ceil(batches per epoch / accumulation). */
export function totalUpdates(o: { steps: number | null; epochs: number | null; batchesPerEpoch: number; accumulation: number }): number {
  if (o.steps !== null) return o.steps;
  return (o.epochs ?? 1) * Math.ceil(o.batchesPerEpoch / o.accumulation);
}

/**
 * A rank's share of a step's batches under data parallelism: every worldSize-th, starting at its rank. Together
 * the ranks cover the group once, so the step is the same whatever the world size (the trainer sums gradients
 * and target tokens over the ranks); a rank may get none.
 */
export function shareOfRank<T>(batches: readonly T[], rank: number, worldSize: number): T[] {
  return batches.filter((_, i) => i % worldSize === rank);
}

/**
 * The seed of the dropout masks of batch `index` of update `step` (0-based): a function of the run's seed and
 * the batch's place in the run alone, so that a data-parallel rank draws the masks one process draws for the
 * same batch, and a resumed run the masks of an uninterrupted one.
 */
export function dropoutSeedOf(runSeed: number, step: number, index: number): number {
  return deriveSeed(runSeed, 'dropout', step, index);
}

/** The native batches of update `step`, each with its dropout seed (dropoutSeedOf). */
export function stepBatches(group: readonly TrainingBatch[], runSeed: number, step: number): NativeBatch[] {
  return group.map((b, index) => ({ ...toNativeBatch(b), dropoutSeed: dropoutSeedOf(runSeed, step, index) }));
}

/** One optimizer update over a group (gradient accumulation normalized by the group's target tokens): one native call. */
export function runUpdate(trainer: NativeTrainer, batches: NativeBatch[], lr: number): Promise<NativeStepResult> {
  return trainer.step(batches, lr);
}
