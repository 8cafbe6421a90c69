// --n_instances as open-instruct applies it (eval/mmlu/run_eval.py @0ddab2b L188-189): when smaller than a
// subject's test set, test_df.sample(n_instances, random_state=42), i.e. the rows numpy's RandomState(42) permutes
// first, in that order (common/numpy-random.ts).
import { pandasSamplePositions } from '../common/numpy-random.js';
import type { MmluSubject } from './load.js';

export function sampleTest(subject: MmluSubject, nInstances: number | undefined, seed = 42): MmluSubject {
  if (!nInstances || nInstances >= subject.test.length) return subject;
  return { ...subject, test: pandasSamplePositions(subject.test.length, nInstances, seed).map((i) => subject.test[i]!) };
}
