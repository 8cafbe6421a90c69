// Where the training loop gets its batches: per-epoch plans (padded, length-grouped or packed; all seeded
// per epoch, src/data/batching.ts and src/data/packing.ts) collated lazily, one batch at a time, from the
// examples' Int32Array views; and prefetch(), which prepares the next item while the caller awaits its
// step, so a step never waits for collation.
import type { TrainingBatch, TrainingExample } from './types.js';
import { collate, planBatches } from './batching.js';
import { collatePacked, planPackedBatches } from './packing.js';
import { collateSeq2Seq, sourceLengthOf } from './seq2seq.js';

export interface BatchSourceOptions {
  /** Examples per batch; with packing, rows per batch. */
  batchSize: number;
  padId: number;
  seed: number;
  /** Reshuffle every epoch (default true). */
  shuffle?: boolean;
  /** Leave out a batch smaller than batchSize (default false; not with packing). */
  dropLast?: boolean;
  /** Batches of similar lengths, in random order (HF group_by_length). */
  groupByLength?: boolean;
  /** Pack several examples per row of this many tokens. */
  packing?: { maxTokens: number } | null;
  /**
   * Encoder-decoder batches (source and target padded apart; lengths for grouping are source lengths), with
   * what pads the shorter targets' labels (default -100).
   */
  seq2seq?: boolean | { labelPadId: number };
}

export class BatchSource {
  private readonly lengths: Int32Array;
  private cached: { epoch: number; plan: number[][][] } | null = null;

  constructor(
    private readonly examples: readonly TrainingExample[],
    private readonly options: BatchSourceOptions,
  ) {
    if (options.packing && options.groupByLength) throw new Error('packing and groupByLength exclude each other: packed rows are already full');
    if (options.packing && options.dropLast) throw new Error('dropLast does not apply to packed batches');
    if (options.packing && options.seq2seq) throw new Error('packing does not apply to encoder-decoder models');
    this.lengths = Int32Array.from(examples, (e) => (options.seq2seq ? sourceLengthOf(e) : e.inputIds.length));
  }

  get packed(): boolean {
    return Boolean(this.options.packing);
  }

  /** Epoch `epoch`'s batches as rows of example indices (one example per row unless packed). */
  plan(epoch: number): number[][][] {
    if (this.cached?.epoch === epoch) return this.cached.plan;
    const o = this.options;
    const shuffle = o.shuffle ?? true;
    const plan = o.packing
      ? planPackedBatches(this.lengths, { maxTokens: o.packing.maxTokens, batchSize: o.batchSize, seed: o.seed, epoch, shuffle })
      : planBatches(this.examples.length, { batchSize: o.batchSize, padId: o.padId, seed: o.seed, epoch, shuffle, dropLast: o.dropLast ?? false, groupByLength: o.groupByLength ?? false }, this.lengths).batches.map(
          (b) => b.map((i) => [i]),
        );
    this.cached = { epoch, plan };
    return plan;
  }

  batchCount(epoch: number): number {
    return this.plan(epoch).length;
  }

  /** The batches of one epoch, collated as they are asked for. */
  *batches(epoch: number): Generator<TrainingBatch> {
    for (const rows of this.plan(epoch)) {
      const examples = rows.map((row) => row.map((i) => this.examples[i]!));
      const single = examples.map((r) => r[0]!);
      yield this.options.packing
        ? collatePacked(examples, this.options.padId)
        : this.options.seq2seq
          ? collateSeq2Seq(single, this.options.padId, typeof this.options.seq2seq === 'object' ? this.options.seq2seq.labelPadId : undefined)
          : collate(single, this.options.padId);
    }
  }
}

/**
 * An async iterator over `items` with one item of lookahead: when the caller receives item k, item k + 1 is
 * produced on a later turn of the event loop (setImmediate), i.e. after the caller has started the work it
 * awaits on item k (a native step); the caller's next() then finds it ready. Items are produced strictly
 * one after the other; an error from the source is thrown by the next() that would have returned the item.
 */
export function prefetch<T>(items: Iterator<T>): AsyncIterableIterator<T> {
  const later = () => new Promise<void>((resolve) => setImmediate(resolve));
  const produce = (after: Promise<unknown>): Promise<IteratorResult<T>> => after.then(later).then(() => items.next());
  let ahead: Promise<IteratorResult<T>> | null = null;
  let done = false;
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      if (done) return { done: true, value: undefined };
      const current = ahead ?? Promise.resolve(items.next());
      let result: IteratorResult<T>;
      try {
        result = await current;
      } catch (err) {
        done = true;
        throw err;
      }
      if (result.done) {
        done = true;
        ahead = null;
        return result;
      }
      ahead = produce(current);
      ahead.catch(() => undefined); // surfaced by the next call to next()
      return result;
    },
    async return(): Promise<IteratorResult<T>> {
      done = true;
      ahead = null;
      items.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
