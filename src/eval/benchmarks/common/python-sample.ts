// CPython's random.sample (Lib/random.py, Python 3.11; unchanged since 3.9 for sequences without `counts`),
// drawn from the project's bit-exact MT19937 (src/data/python-random.ts). open-instruct seeds random with 42
// and samples evaluation instances and few-shot demonstrations with it (GSM8K, BBH, TyDiQA), so reproducing its
// selections means reproducing this function draw for draw.
import type { PythonRandom } from '../../../data/python-random.js';

/** random.sample(population, k) on `rng`: k distinct items in selection order. */
export function pythonSample<T>(rng: PythonRandom, population: readonly T[], k: number): T[] {
  const n = population.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`Sample larger than population or is negative (k=${k}, n=${n})`);
  const result: T[] = [];
  // Below this size a copy of the population is cheaper than a set of chosen indices (both give other draws).
  let setsize = 21;
  if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
  if (n <= setsize) {
    const pool = [...population];
    for (let i = 0; i < k; i++) {
      const j = rng.randbelow(n - i);
      result.push(pool[j]!);
      pool[j] = pool[n - i - 1]!; // the unselected last item moves into the vacancy
    }
  } else {
    const selected = new Set<number>();
    for (let i = 0; i < k; i++) {
      let j = rng.randbelow(n);
      while (selected.has(j)) j = rng.randbelow(n);
      selected.add(j);
      result.push(population[j]!);
    }
  }
  return result;
}
