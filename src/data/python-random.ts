// CPython's `random` module, bit for bit, for what the study's data selection uses:
// `random.seed(int)`, `random.getrandbits(k)`, `random._randbelow(n)` and `random.shuffle(list)`.
// The study's released code selects SuperNI training instances with `random.seed(42); random.shuffle(...)`
// (util/ni_dataset.py), so reproducing its data means reproducing this generator exactly:
// - the Mersenne Twister MT19937 (src/data/mt19937.ts);
// - seed(int): the absolute value split into 32-bit words, least significant first, fed to init_by_array
//   (a zero seed is the one-word key [0]);
// - getrandbits(k) for 0 < k <= 32: the top k bits of one 32-bit output;
// - _randbelow(n) (Lib/random.py, _randbelow_with_getrandbits): draw getrandbits(n.bit_length()) until < n;
// - shuffle(x): for i from len(x)-1 down to 1, swap x[i] with x[_randbelow(i + 1)].
// Checked against Python itself in test/python-random.test.ts.

import { Mt19937 } from './mt19937.js';

export class PythonRandom {
  private readonly mt: Mt19937;

  /** `random.Random(seed)` for a non-negative or negative safe integer (Python takes its absolute value). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`seed must be a safe integer, got ${seed}`);
    const a = Math.abs(seed);
    const key = a < 2 ** 32 ? [a >>> 0] : [a % 2 ** 32 >>> 0, Math.floor(a / 2 ** 32) >>> 0];
    this.mt = Mt19937.fromArray(key);
  }

  /** One 32-bit output (genrand_uint32). */
  nextUint32(): number {
    return this.mt.nextUint32();
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
