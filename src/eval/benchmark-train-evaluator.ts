// An open-instruction benchmark as the training loop's evaluator (`train --eval-times K --eval-benchmark <name>`):
// after the listed steps it runs the benchmark (src/eval/benchmark-run.ts) on the model being trained and reports
// its headline metrics, one of which picks the best checkpoint (the TÜLU experiments' in-training evaluation).
// Per-subject / per-task breakdowns stay in <outDir>/step-N/metrics.json; metrics.jsonl and TensorBoard get the
// headline numbers only. Under data parallelism every rank runs the benchmark (the same numbers) and rank 0
// writes the files.
import { stepEvalOut } from './train-evaluator.js';
import type { TrainEvaluator } from '../train/loop.js';
import { evaluateBenchmark, type Benchmark, type BenchmarkOptions } from './benchmark-run.js';

/** The metrics of each benchmark that can pick the best checkpoint (higher is better), the default first. */
export const BENCHMARK_METRICS: Readonly<Partial<Record<Benchmark, readonly string[]>>> = {
  mmlu: ['average_acc', 'macro_acc'],
  gsm8k: ['exact_match'],
  truthfulqa: ['MC2', 'MC1'],
  bbh: ['average_exact_match'],
  tydiqa: ['average/f1', 'average/exact_match'],
};

/** The metrics of `benchmark` that can pick the best checkpoint, or undefined when it cannot run during training. */
export function headlineMetrics(benchmark: Benchmark): readonly string[] | undefined {
  return BENCHMARK_METRICS[benchmark];
}

export interface BenchmarkTrainEvaluatorOptions extends Omit<BenchmarkOptions, 'out' | 'metadata'> {
  steps: TrainEvaluator['steps'];
  /** Folder for each evaluation's files, relative to the run folder (nothing written when absent). */
  outDir?: string;
}

export function benchmarkTrainEvaluator(options: BenchmarkTrainEvaluatorOptions): TrainEvaluator {
  const { steps, outDir, ...benchmark } = options;
  const headline = headlineMetrics(benchmark.benchmark);
  if (headline === undefined) throw new Error(`--eval-benchmark ${benchmark.benchmark} cannot run during training`);
  return {
    steps,
    evaluate: async ({ step, model, tokenizer, runDir, group }) => {
      const out = stepEvalOut(runDir, outDir, step, group);
      const result = await evaluateBenchmark(model, tokenizer, {
        ...benchmark,
        ...(out !== undefined ? { out } : {}),
        metadata: { step },
      });
      return Object.fromEntries(headline.map((name) => [name, result.metrics[name]!]));
    },
  };
}
