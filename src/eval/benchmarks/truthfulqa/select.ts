// --num_instances as open-instruct applies it (eval/truthfulqa/run_eval.py @09613af main):
// questions.sample(num_instances, random_state=42), the rows numpy's RandomState(42) permutes first, in that
// order (common/numpy-random.ts). Asking for at least every row keeps the file order.
import { pandasSamplePositions } from '../common/numpy-random.js';
import type { TruthfulqaRow } from './load.js';

export function sample(rows: readonly TruthfulqaRow[], numInstances: number | undefined, seed = 42): TruthfulqaRow[] {
  if (numInstances === undefined || numInstances >= rows.length) return [...rows];
  return pandasSamplePositions(rows.length, numInstances, seed).map((i) => rows[i]!);
}
