// Which problems open-instruct's HumanEval run evaluates (eval/codex_humaneval/run_eval.py
// @ d8a922becfadd6646033a69b6acd62a9937e7420, L18-25): random.seed(42), then with --max_num_examples below the
// number of problems, random.sample(test_data, max_num_examples). Unlike GSM8K's `if args.max_num_examples`, the
// test is `is not None`, so 0 selects no problem.
import { PythonRandom } from '../../../data/python-random.js';
import { pythonSample } from '../common/python-sample.js';
import type { HumanEvalProblem } from './load.js';

export interface HumanEvalSelectOptions {
  /** --max_num_examples: evaluate this many sampled problems (all when absent or not smaller). */
  maxNumExamples?: number;
  /** random.seed (default 42). */
  seed?: number;
}

export function select(problems: readonly HumanEvalProblem[], options: HumanEvalSelectOptions = {}): HumanEvalProblem[] {
  const max = options.maxNumExamples;
  if (max === undefined) return [...problems];
  if (!Number.isInteger(max) || max < 0) throw new Error(`max_num_examples must be an integer >= 0, got ${max}`);
  if (problems.length <= max) return [...problems];
  return pythonSample(new PythonRandom(options.seed ?? 42), problems, max);
}
