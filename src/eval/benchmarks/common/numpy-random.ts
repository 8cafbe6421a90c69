// What pandas' DataFrame.sample(n, random_state=seed) picks (pandas 1.x/2.x core/sample.py): the row positions
// np.random.RandomState(seed).choice(len, size=n, replace=False), i.e. the first n entries of
// RandomState(seed).permutation(len). open-instruct subsamples MMLU (--n_instances) and TruthfulQA
// (--num_instances) this way. numpy's legacy RandomState is MT19937 seeded with init_genrand (mt19937_seed, not
// Python's init_by_array); its shuffle swaps x[i] with x[random_interval(i)] for i = n-1 .. 1, where
// random_interval draws 32-bit outputs masked to max's bit width until one is <= max.

const N = 624;
const M = 397;

class LegacyMt19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1]!;
      this.mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  }

  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
        mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random_interval(max) for max < 2^32: uniform in [0, max] by masked rejection. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    for (const shift of [1, 2, 4, 8, 16]) mask |= mask >>> shift;
    mask >>>= 0;
    let value = (this.nextUint32() & mask) >>> 0;
    while (value > max) value = (this.nextUint32() & mask) >>> 0;
    return value;
  }
}

/** RandomState(seed).permutation(length). */
export function numpyPermutation(length: number, seed: number): number[] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`a numpy seed is an integer in [0, 2^32), got ${seed}`);
  const rng = new LegacyMt19937(seed);
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
