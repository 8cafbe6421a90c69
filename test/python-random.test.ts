// CPython's `random` reproduced bit for bit (src/data/python-random.ts), and the study's SuperNI instance
// selection built on it, both checked against Python itself (scripts/oracles/python_random.py and
// study_selection.py, the latter written as the study's released util/ni_dataset.py selects).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PythonRandom, pythonShuffledRange } from '../src/data/python-random.js';
import { selectTrainingInstances } from '../src/data/superni/splits.js';
import { readSuperNITask } from '../src/data/superni/task.js';
import { runPythonOracle } from './helpers/python-oracle.js';
import { listFilesRecursive, superniTasksDir } from './helpers/real-data.js';

const SEEDS = [0, 1, 42, 127, 894, 2 ** 31 - 1, 2 ** 32, 2 ** 32 + 7, 2 ** 45 + 12345, -5];

describe('PythonRandom equals CPython random', () => {
  it('getrandbits(k) for k = 1, 7, 31, 32 over 700 draws (past one 624-word state refill)', () => {
    const queries = SEEDS.flatMap((seed) => [1, 7, 31, 32].map((k) => ({ op: 'getrandbits', seed, k, count: 700 })));
    const expected = runPythonOracle('scripts/oracles/python_random.py', queries) as number[][];
    queries.forEach((q, i) => {
      const r = new PythonRandom(q.seed);
      expect(Array.from({ length: q.count }, () => r.getrandbits(q.k)), `seed ${q.seed}, k ${q.k}`).toEqual(expected[i]);
    });
  });

  it('_randbelow(n) by rejection, including powers of two and n just above one', () => {
    const ns = [1, 2, 3, 5, 100, 128, 129, 200, 1000, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1];
    const queries = [42, 894].flatMap((seed) => ns.map((n) => ({ op: 'randbelow', seed, n, count: 300 })));
    const expected = runPythonOracle('scripts/oracles/python_random.py', queries) as number[][];
    queries.forEach((q, i) => {
      const r = new PythonRandom(q.seed);
      expect(Array.from({ length: q.count }, () => r.randbelow(q.n)), `seed ${q.seed}, n ${q.n}`).toEqual(expected[i]);
    });
  });

  it('shuffle(list(range(n))) for several sizes and seeds, the study\'s random.seed(42) + shuffle(range(200)) among them', () => {
    const queries = SEEDS.flatMap((seed) => [1, 2, 10, 200, 1414].map((n) => ({ op: 'shuffle', seed, n })));
    const expected = runPythonOracle('scripts/oracles/python_random.py', queries) as number[][];
    queries.forEach((q, i) => expect(pythonShuffledRange(q.n, q.seed), `seed ${q.seed}, n ${q.n}`).toEqual(expected[i]));
  });

  it('refuses what CPython would accept but this port does not cover', () => {
    expect(() => new PythonRandom(2 ** 53)).toThrow(/safe integer/);
    expect(() => new PythonRandom(42).getrandbits(33)).toThrow(/0\.\.32/);
  });
});

describe("the study's SuperNI instance selection", () => {
  const taskFiles = listFilesRecursive(superniTasksDir).filter((f) => f.endsWith('.json'));

  it('chooses the same training and held-out instance ids as the released code, on every real task file', async () => {
    // The fixtures hold tasks of 101 to 237 instances: both branches of the rule (>= 200 shuffled, < 200 in file order).
    const queries = taskFiles.flatMap((file) => [
      { task_file: file, length: 100, seed: 42 },
      { task_file: file, length: 100, seed: 127 },
      { task_file: file, length: 60, seed: 42 },
    ]);
    const expected = runPythonOracle('scripts/oracles/study_selection.py', queries) as Array<{ train: string[]; memorization: string[] }>;
    let shuffledTasks = 0;
    for (const [i, q] of queries.entries()) {
      const task = await readSuperNITask(q.task_file);
      const chosen = selectTrainingInstances(task.instances, { seed: q.seed, instancesPerTask: q.length });
      const label = `${path.basename(q.task_file)} (N ${q.length}, seed ${q.seed})`;
      expect(chosen.train.map((x) => x.id), label).toEqual(expected[i]!.train);
      expect(chosen.memorization.map((x) => x.id), label).toEqual(expected[i]!.memorization);
      if (task.instances.length >= 2 * q.length) shuffledTasks++;
    }
    expect(shuffledTasks).toBeGreaterThan(0);
    expect(shuffledTasks).toBeLessThan(queries.length);
  });
});
