// CPython's `random` module, bit for bit, for what the study's data selection uses:
// `random.seed(int)`, `random.getrandbits(k)`, `random._randbelow(n)` and `random.shuffle(list)`.
// The study's released code selects SuperNI training instances with `random.seed(42); random.shuffle(...)`
// (util/ni_dataset.py), so reproducing its data means reproducing this generator exactly:
// - the Mersenne Twister MT19937 (Modules/_randommodule.c: init_genrand, init_by_array, genrand_uint32);
// - seed(int): the absolute value split into 32-bit words, least significant first, fed to init_by_array
//   (a zero seed is the one-word key [0]);
// - getrandbits(k) for 0 < k <= 32: the top k bits of one 32-bit output;
// - _randbelow(n) (Lib/random.py, _randbelow_with_getrandbits): draw getrandbits(n.bit_length()) until < n;
// - shuffle(x): for i from len(x)-1 down to 1, swap x[i] with x[_randbelow(i + 1)].
// Checked against Python itself in test/python-random.test.ts.

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class PythonRandom {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;

  /** `random.Random(seed)` for a non-negative or negative safe integer (Python takes its absolute value). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`seed must be a safe integer, got ${seed}`);
    const a = Math.abs(seed);
    const key = a < 2 ** 32 ? [a >>> 0] : [a % 2 ** 32 >>> 0, Math.floor(a / 2 ** 32) >>> 0];
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.index = N;
  }

  private initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
  }

  /** One 32-bit output (genrand_uint32). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.getrandbits(k)` for 0 <= k <= 32. */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 32) throw new Error(`getrandbits supports 0..32 bits here, got ${k}`);
    if (k === 0) return 0;
    return this.nextUint32() >>> (32 - k);
  }

  /** `random._randbelow(n)`: uniform in [0, n), by rejection on n.bit_length() bits. */
  randbelow(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new Error(`randbelow needs 0 < n <= 2^32, got ${n}`);
    const bits = n === 2 ** 32 ? 32 : 32 - Math.clz32(n); // n.bit_length() (33 for 2^32, whose draws are all < n)
    let r = this.getrandbits(bits);
    while (r >= n) r = this.getrandbits(bits);
    return r;
  }

  /** `random.shuffle(items)`, in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}

/** `random.seed(seed); x = list(range(n)); random.shuffle(x)`: the study's instance order. */
export function pythonShuffledRange(n: number, seed: number): number[] {
  return new PythonRandom(seed).shuffle(Array.from({ length: n }, (_, i) => i));
}
