// Sharded work gathered over ranks (src/distributed/gather.ts), with the ranks simulated in one process: a
// collective whose all-reduce waits for every rank's contribution and hands each the element-wise sum.
import { describe, expect, it } from 'vitest';
import { allGatherIntArrays, indicesOfRank, type RankCollective } from '../src/distributed/gather.js';

function simulatedRanks(worldSize: number): RankCollective[] {
  let pending: Array<{ values: Float64Array; resolve: (sum: Float64Array) => void }> = [];
  return Array.from({ length: worldSize }, (_, rank) => ({
    rank: () => rank,
    worldSize: () => worldSize,
    allReduceSum: (values: Float64Array) =>
      new Promise<Float64Array>((resolve) => {
        pending.push({ values, resolve });
        if (pending.length < worldSize) return;
        const calls = pending;
        pending = [];
        if (new Set(calls.map((c) => c.values.length)).size !== 1) throw new Error('ranks passed different lengths');
        const sum = new Float64Array(calls[0]!.values.length);
        for (const c of calls) c.values.forEach((v, i) => (sum[i]! += v));
        for (const c of calls) c.resolve(Float64Array.from(sum));
      }),
  }));
}

describe('indicesOfRank', () => {
  it('deals the items out round-robin, every item to exactly one rank', () => {
    expect(indicesOfRank(7, 0, 3)).toEqual([0, 3, 6]);
    expect(indicesOfRank(7, 2, 3)).toEqual([2, 5]);
    expect(indicesOfRank(2, 3, 4)).toEqual([]);
  });
});

describe('allGatherIntArrays', () => {
  it('gives every rank every item, in item order, whatever their lengths (empty ones too)', async () => {
    const items = [[5, 1, 2], [], [7], [0, 0, 9, 31999], [], [2 ** 31 - 1]];
    for (const worldSize of [1, 2, 3, 4, 8]) {
      const ranks = simulatedRanks(worldSize);
      const results = await Promise.all(
        ranks.map((g) => allGatherIntArrays(g, items.length, new Map(indicesOfRank(items.length, g.rank(), worldSize).map((i) => [i, items[i]!])))),
      );
      for (const r of results) expect(r).toEqual(items);
    }
  });

  it('refuses values that a float64 sum would not carry exactly', async () => {
    const [only] = simulatedRanks(1);
    await expect(allGatherIntArrays(only!, 1, new Map([[0, [0.5]]]))).rejects.toThrow(/item 0 holds 0.5, not a safe integer/);
  });
});
