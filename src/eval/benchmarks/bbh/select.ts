// --max_num_examples_per_task as open-instruct applies it (eval/bbh/run_eval.py @c93a41e L23, L31-32):
// random.seed(42), then random.sample(examples, max) for each task in turn from the same generator. Tasks are
// taken in sorted order (load.ts); a task with fewer examples keeps them all (open-instruct would fail).
import { PythonRandom } from '../../../data/python-random.js';
import { pythonSample } from '../common/python-sample.js';
import type { BbhTask } from './load.js';

export function sample(tasks: readonly BbhTask[], maxNumExamplesPerTask: number | undefined, seed = 42): BbhTask[] {
  if (!maxNumExamplesPerTask) return [...tasks];
  const rng = new PythonRandom(seed);
  return tasks.map((t) => (t.examples.length >= maxNumExamplesPerTask ? { ...t, examples: pythonSample(rng, t.examples, maxNumExamplesPerTask) } : t));
}
