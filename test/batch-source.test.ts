// Length-grouped and packed batches, the per-epoch batch source, and the one-batch-lookahead prefetcher.
import { describe, expect, it } from 'vitest';
import { planBatches } from '../src/data/batching.js';
import { collatePacked, planPackedBatches } from '../src/data/packing.js';
import { BatchSource, prefetch } from '../src/data/batch-source.js';
import { IGNORE_INDEX, countShiftedTargets } from '../src/data/encode.js';
import type { TrainingExample } from '../src/data/types.js';

const M = IGNORE_INDEX;
const ex = (inputIds: number[], labels: number[], id = 'x'): TrainingExample => ({ inputIds: Int32Array.from(inputIds), labels: Int32Array.from(labels), task: 't', id });

/** n examples of pseudo-random lengths 3..40, prompt half masked. */
function examples(n: number): TrainingExample[] {
  return Array.from({ length: n }, (_, i) => {
    const len = 3 + ((i * 7919) % 38);
    const ids = Array.from({ length: len }, (_, k) => 100 + i + k);
    return ex(ids, ids.map((v, k) => (k < len / 2 ? M : v)), `e${i}`);
  });
}

describe('group by length', () => {
  it('sorts within mega-batches, shuffles batch order per (seed, epoch), and covers every example once', () => {
    const lengths = examples(230).map((e) => e.inputIds.length);
    const options = { batchSize: 4, padId: 0, seed: 5, epoch: 0, shuffle: true, groupByLength: true, megaBatchSize: 5 };
    const plan = planBatches(230, options, lengths).batches;
    expect(plan.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 230 }, (_, i) => i));
    expect(planBatches(230, options, lengths).batches).toEqual(plan);
    expect(planBatches(230, { ...options, epoch: 1 }, lengths).batches).not.toEqual(plan);
    // Each batch comes from one mega-batch (20 consecutive examples of the epoch permutation) sorted by length,
    // so within a batch lengths are non-increasing, and a batch's lengths span less than the whole range.
    const ungrouped = planBatches(230, { ...options, groupByLength: false }, lengths).batches;
    const spread = (batches: number[][]) => batches.reduce((s, b) => s + Math.max(...b.map((i) => lengths[i]!)) - Math.min(...b.map((i) => lengths[i]!)), 0);
    for (const b of plan) expect(b.map((i) => lengths[i]!)).toEqual([...b.map((i) => lengths[i]!)].sort((x, y) => y - x));
    expect(spread(plan)).toBeLessThan(spread(ungrouped) / 2);
    // Mega-batches partition the permutation: the set of examples in each run of 5 sorted batches is one
    // 20-example slice of the ungrouped order.
    const slices = Array.from({ length: 12 }, (_, k) => JSON.stringify(ungrouped.flat().slice(k * 20, k * 20 + 20).sort((a, b) => a - b)));
    const groups = new Map<string, number[]>();
    const sliceOfBatch: number[] = [];
    for (const b of plan) {
      const k = slices.findIndex((s) => b.every((i) => (JSON.parse(s) as number[]).includes(i)));
      expect(k).toBeGreaterThanOrEqual(0);
      sliceOfBatch.push(k);
      groups.set(slices[k]!, [...(groups.get(slices[k]!) ?? []), ...b]);
    }
    for (const [slice, members] of groups) expect(members.sort((a, b) => a - b)).toEqual(JSON.parse(slice));
    // The batch order is shuffled: batches do not come mega-batch after mega-batch.
    expect(sliceOfBatch).not.toEqual([...sliceOfBatch].sort((a, b) => a - b));
    // dropLast removes the one short batch, wherever it ended up.
    const dropped = planBatches(230, { ...options, dropLast: true }, lengths);
    expect(dropped.leftOver).toBe(2);
    expect(dropped.batches.every((b) => b.length === 4)).toBe(true);
    expect(() => planBatches(230, options)).toThrow(/needs the length of every example/);
  });
});

describe('packing', () => {
  it('lays out sequences with reset positions, sequence ids, and no label at a sequence start', () => {
    const a = ex([5, 6, 7], [M, 6, 7]);
    const b = ex([8, 9], [8, 9]); // its first label cannot count (nothing in its own sequence predicts it)
    const c = ex([10, 11, 12, 13], [M, M, 12, 13]);
    const batch = collatePacked([[a, b], [c]], 0);
    expect([batch.batchSize, batch.seqLen]).toEqual([2, 5]);
    expect(Array.from(batch.inputIds)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 0]);
    expect(Array.from(batch.labels)).toEqual([M, 6, 7, M, 9, M, M, 12, 13, M]);
    expect(Array.from(batch.positionIds!)).toEqual([0, 1, 2, 0, 1, 0, 1, 2, 3, 0]);
    expect(Array.from(batch.sequenceIds!)).toEqual([1, 1, 1, 2, 2, 1, 1, 1, 1, 0]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    // Target tokens = the sum over sequences of what each would count alone.
    expect(batch.targetTokens).toBe(countShiftedTargets(a.labels) + countShiftedTargets(b.labels) + countShiftedTargets(c.labels));
    expect(batch.targetTokens).toBe(5);
    expect(batch.realTokens).toBe(9);
  });

  it('fills rows in the seeded epoch order up to the budget, and refuses examples longer than it', () => {
    const data = examples(100);
    const lengths = data.map((e) => e.inputIds.length);
    const options = { maxTokens: 64, batchSize: 3, seed: 1, epoch: 0, shuffle: true };
    const batches = planPackedBatches(lengths, options);
    const rows = batches.flat();
    expect(rows.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const row of rows) expect(row.reduce((s, i) => s + lengths[i]!, 0)).toBeLessThanOrEqual(64);
    // Next-fit: each row was closed because the next example did not fit.
    for (let r = 0; r + 1 < rows.length; r++) {
      expect(rows[r]!.reduce((s, i) => s + lengths[i]!, 0) + lengths[rows[r + 1]![0]!]!).toBeGreaterThan(64);
    }
    expect(batches.slice(0, -1).every((b) => b.length === 3)).toBe(true);
    expect(planPackedBatches(lengths, options)).toEqual(batches);
    expect(planPackedBatches(lengths, { ...options, epoch: 1 })).not.toEqual(batches);
    expect(() => planPackedBatches(lengths, { ...options, maxTokens: 39 })).toThrow(/packing length 39 is shorter than the longest example \(40 tokens\)/);
  });
});

describe('BatchSource', () => {
  it('yields the planned batches lazily, packed or padded, with the same tokens either way', () => {
    const data = examples(50);
    const padded = new BatchSource(data, { batchSize: 4, padId: 0, seed: 9 });
    const packed = new BatchSource(data, { batchSize: 2, padId: 0, seed: 9, packing: { maxTokens: 80 } });
    for (const source of [padded, packed]) {
      const batches = [...source.batches(0)];
      expect(batches).toHaveLength(source.batchCount(0));
      const total = batches.reduce((s, b) => s + b.realTokens, 0);
      expect(total).toBe(data.reduce((s, e) => s + e.inputIds.length, 0));
      expect(batches.reduce((s, b) => s + b.targetTokens, 0)).toBe(data.reduce((s, e) => s + countShiftedTargets(e.labels), 0));
    }
    expect([...packed.batches(0)].every((b) => b.positionIds && b.sequenceIds)).toBe(true);
    expect([...padded.batches(0)].every((b) => !b.positionIds && !b.sequenceIds)).toBe(true);
    expect(packed.plan(0).flat().length).toBeLessThan(data.length / 2); // rows hold about 3-4 examples each
    expect(() => new BatchSource(data, { batchSize: 2, padId: 0, seed: 1, packing: { maxTokens: 80 }, groupByLength: true })).toThrow(/exclude each other/);
  });
});

describe('prefetch', () => {
  it('prepares item k + 1 after item k is handed out and before the caller asks for it', async () => {
    const log: string[] = [];
    function* items() {
      for (let i = 0; i < 3; i++) {
        log.push(`make ${i}`);
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const item of prefetch(items())) {
      log.push(`step ${item} started`);
      await new Promise((resolve) => setTimeout(resolve, 5)); // the native step
      log.push(`step ${item} done`);
      seen.push(item);
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(log).toEqual(['make 0', 'step 0 started', 'make 1', 'step 0 done', 'step 1 started', 'make 2', 'step 1 done', 'step 2 started', 'step 2 done']);
  });

  it('passes a source error to the next() that would have returned the item', async () => {
    function* failing() {
      yield 1;
      throw new Error('bad batch');
    }
    const it = prefetch(failing());
    expect(await it.next()).toEqual({ value: 1, done: false });
    await expect(it.next()).rejects.toThrow('bad batch');
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });
});
