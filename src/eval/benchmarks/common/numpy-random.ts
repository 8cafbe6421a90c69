// What pandas' DataFrame.sample(n, random_state=seed) picks (pandas 1.x/2.x core/sample.py): the row positions
// np.random.RandomState(seed).choice(len, size=n, replace=False), i.e. the first n entries of
// RandomState(seed).permutation(len). open-instruct subsamples MMLU (--n_instances) and TruthfulQA
// (--num_instances) this way. numpy's legacy RandomState is MT19937 seeded with init_genrand (mt19937_seed, not
// Python's init_by_array); its shuffle swaps x[i] with x[random_interval(i)] for i = n-1 .. 1, where
// random_interval draws 32-bit outputs masked to max's bit width until one is <= max.

import { Mt19937 } from '../../../data/mt19937.js';

/** numpy's legacy RandomState: MT19937 seeded by init_genrand, and its random_interval. */
class LegacyRandomState {
  private readonly mt: Mt19937;

  constructor(seed: number) {
    this.mt = Mt19937.fromGenrand(seed);
  }

  /** random_interval(max) for max < 2^32: uniform in [0, max] by masked rejection. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    for (const shift of [1, 2, 4, 8, 16]) mask |= mask >>> shift;
    mask >>>= 0;
    let value = (this.mt.nextUint32() & mask) >>> 0;
    while (value > max) value = (this.mt.nextUint32() & mask) >>> 0;
    return value;
  }
}

/** RandomState(seed).permutation(length). */
export function numpyPermutation(length: number, seed: number): number[] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`a numpy seed is an integer in [0, 2^32), got ${seed}`);
  const rng = new LegacyRandomState(seed);
  const order = Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; i--) {
    const j = rng.interval(i);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/** The row positions DataFrame.sample(n, random_state=seed) takes from `length` rows, in sample order. */
export function pandasSamplePositions(length: number, n: number, seed: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > length) throw new Error(`cannot sample ${n} of ${length} rows without replacement`);
  return numpyPermutation(length, seed).slice(0, n);
}
