// Which questions and demonstrations open-instruct's GSM8K run uses (eval/gsm/run_eval.py @c93a41e): random.seed(42)
// (L22); with --max_num_examples below the test set's size, random.sample(test_data, max_num_examples) (L39-40);
// then, with --n_shot below 8, random.sample(EXAMPLARS, n_shot) from the same generator (L47-49). --n_shot 0 means
// no demonstrations (L61-62).
import { PythonRandom } from '../../../data/python-random.js';
import { pythonSample } from '../common/python-sample.js';
import { GSM_EXEMPLARS, type GsmExemplar } from './exemplars.js';
import type { GsmInstance } from './load.js';

export interface GsmSelectOptions {
  /** --max_num_examples: evaluate this many sampled questions (all when absent or not smaller). */
  maxNumExamples?: number;
  /** --n_shot (default 8). */
  nShot?: number;
  /** random.seed (default 42). */
  seed?: number;
}

export interface GsmSelection {
  instances: GsmInstance[];
  exemplars: GsmExemplar[];
}

export function select(instances: readonly GsmInstance[], options: GsmSelectOptions = {}): GsmSelection {
  const nShot = options.nShot ?? 8;
  if (!Number.isInteger(nShot) || nShot < 0) throw new Error(`n_shot must be an integer >= 0, got ${nShot}`);
  const rng = new PythonRandom(options.seed ?? 42);
  const max = options.maxNumExamples;
  const chosen = max !== undefined && max > 0 && instances.length > max ? pythonSample(rng, instances, max) : [...instances];
  if (nShot === 0) return { instances: chosen, exemplars: [] };
  const exemplars = GSM_EXEMPLARS.length > nShot ? pythonSample(rng, GSM_EXEMPLARS, nShot) : [...GSM_EXEMPLARS];
  return { instances: chosen, exemplars };
}
