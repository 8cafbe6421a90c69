// The SuperNI evaluation as a training-loop evaluator (TrainOptions.evaluator): after the listed steps it
// evaluates the model being trained on a split (usually dev, carved with the same seed and devTasks as the
// run's data) and reports overall exact match / ROUGE-L / ROUGE-1 (x100), which bestMetric can name
// (e.g. { name: 'rougeL', greaterIsBetter: true }, the study's checkpoint choice). With `outDir` (relative to
// the run folder, or absolute) each evaluation's predictions.jsonl and metrics.json go to <outDir>/step-<N>/.
// Under data parallelism the generations are shared out over the ranks and gathered; rank 0 writes the files.
import path from 'node:path';
import type { TrainEvaluator } from '../train/loop.js';
import type { RankCollective } from '../distributed/gather.js';
import { evaluateSuperNI, type SuperNIEvalOptions } from './superni-eval.js';

export interface SuperNITrainEvaluatorOptions extends Omit<SuperNIEvalOptions, 'out' | 'onProgress'> {
  /** 1-based optimizer steps after which to evaluate, or a function of the run's total steps. */
  steps: TrainEvaluator['steps'];
  /** Folder for each evaluation's files (nothing written when absent). */
  outDir?: string;
}

/**
 * Where an in-training evaluation at `step` writes its files: <outDir>/step-<N> (outDir relative to the run
 * folder), on rank 0 only; undefined: write nothing (no outDir, or another rank).
 */
export function stepEvalOut(runDir: string, outDir: string | undefined, step: number, group: RankCollective | null): string | undefined {
  if (outDir === undefined || (group?.rank() ?? 0) !== 0) return undefined;
  return path.join(path.resolve(runDir, outDir), `step-${step}`);
}

export function superniTrainEvaluator(options: SuperNITrainEvaluatorOptions): TrainEvaluator {
  const { steps, outDir, ...evalOptions } = options;
  return {
    steps,
    evaluate: async ({ step, model, tokenizer, runDir, group }) => {
      const out = stepEvalOut(runDir, outDir, step, group);
      const result = await evaluateSuperNI(model, tokenizer, {
        ...evalOptions,
        ...(out !== undefined ? { out } : {}),
        ...(group ? { shard: group } : {}),
        metadata: { ...evalOptions.metadata, step },
      });
      return { exactMatch: result.overall.exactMatch, rougeL: result.overall.rougeL, rouge1: result.overall.rouge1 };
    },
  };
}
