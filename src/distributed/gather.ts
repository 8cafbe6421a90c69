// Work shared out over the ranks of a data-parallel run and gathered back: item i belongs to rank
// i mod worldSize, and every rank ends with every item. Built on the one collective the process group offers
// to JavaScript, a float64 sum: each rank fills its items' slots and leaves zeros elsewhere, so the sum is
// everyone's items (integers below 2^53 are exact in float64).

/** The collectives sharded work needs (a NativeProcessGroup is one). */
export interface RankCollective {
  rank(): number;
  worldSize(): number;
  allReduceSum(values: Float64Array): Promise<Float64Array>;
}

/** The indices among `total` items that `rank` works on. */
export function indicesOfRank(total: number, rank: number, worldSize: number): number[] {
  const mine: number[] = [];
  for (let i = rank; i < total; i += worldSize) mine.push(i);
  return mine;
}

/**
 * Every rank passes the integer arrays of its own items (`mine`: item index -> array) and receives all
 * `total` items' arrays, in item order. Two all-reduces: the lengths, then the values.
 */
export async function allGatherIntArrays(group: RankCollective, total: number, mine: ReadonlyMap<number, readonly number[]>): Promise<number[][]> {
  const lengths = new Float64Array(total);
  for (const [i, values] of mine) lengths[i] = values.length;
  const allLengths = await group.allReduceSum(lengths);
  const offsets = new Array<number>(total + 1).fill(0);
  for (let i = 0; i < total; i++) offsets[i + 1] = offsets[i]! + allLengths[i]!;
  if (offsets[total] === 0) return Array.from({ length: total }, () => []);  // the same on every rank: no rank calls
  const flat = new Float64Array(offsets[total]!);
  for (const [i, values] of mine) {
    values.forEach((v, k) => {
      if (!Number.isSafeInteger(v)) throw new Error(`allGatherIntArrays: item ${i} holds ${v}, not a safe integer`);
      flat[offsets[i]! + k] = v;
    });
  }
  const all = await group.allReduceSum(flat);
  return Array.from({ length: total }, (_, i) => Array.from(all.subarray(offsets[i]!, offsets[i + 1]!)));
}
