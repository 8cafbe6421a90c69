// `train --eval-times K [--test]`: K SuperNI dev evaluations evenly spaced over the run (the last at the final
// step), each a checkpoint whose dev metric picks the best one; with `test`, the best checkpoint's weights are
// evaluated on the test split at the end (<run>/test/, summary.json `test`). Builds the TrainOptions pieces
// (evaluator, finalEvaluator, bestMetric) from the run's own data options, so the dev tasks are the ones the
// run carved (same data, split folder, data seed, --dev-tasks).
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { FinalEvaluator } from '../train/loop.js';
import { TrainOptionsError, type EvaluationPlan, type ResolvedTrainOptions, type TrainOptions } from '../train/options.js';
import { evaluateSuperNI, type SuperNIEvalOptions } from './superni-eval.js';
import { isSuperNISpec, parseDataSpec } from '../data/spec.js';
import { benchmarkTrainEvaluator, headlineMetrics } from './benchmark-train-evaluator.js';
import { benchmarkTakes } from './benchmark-run.js';
import { trainedChatFormat } from './benchmark-runners/generation.js';
import { superniTrainEvaluator } from './train-evaluator.js';

export const EVAL_METRICS = ['rougeL', 'exactMatch'] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];

/** Dev evaluations go to <run>/DEV_EVAL_DIR/step-N, the test evaluation to <run>/TEST_EVAL_DIR. */
export const DEV_EVAL_DIR = 'dev';
export const TEST_EVAL_DIR = 'test';

/** The plan of `--eval-times` (recorded in run_config.json as options.evaluation). */
export type EvalTimesOptions = EvaluationPlan;

/** The 1-based steps of `times` evaluations evenly spaced over `totalSteps` (the last is the final step); fewer when times > totalSteps. */
export function evalTimesSteps(totalSteps: number, times: number): number[] {
  const steps = new Set<number>();
  for (let i = 1; i <= times; i++) steps.add(Math.ceil((i * totalSteps) / times));
  return [...steps].filter((s) => s >= 1).sort((a, b) => a - b);
}

/** Refuses what cannot work with --eval-benchmark (any training data: the benchmark has its own files). */
function checkBenchmarkPlan(o: EvalTimesOptions, run: TrainOptions): void {
  const benchmark = o.benchmark!;
  const metrics = headlineMetrics(benchmark);
  if (metrics === undefined) throw new TrainOptionsError(`--eval-benchmark ${benchmark} cannot run during training (it has no metric that picks a checkpoint); evaluate the run folder with \`peft-native eval --run <dir> --benchmark ${benchmark}\``);
  if (o.benchData === undefined) throw new TrainOptionsError(`--eval-benchmark ${benchmark} needs --bench-data <dir>: the benchmark's files in open-instruct's layout`);
  if (!(existsSync(o.benchData) && statSync(o.benchData).isDirectory())) throw new TrainOptionsError(`--bench-data ${o.benchData} is not a folder`);
  if (o.metric !== undefined && !metrics.includes(o.metric)) throw new TrainOptionsError(`--eval-metric ${o.metric} is not a metric of ${benchmark} (expected ${metrics.join(' or ')})`);
  if (o.test) throw new TrainOptionsError('--test evaluates the SuperNI test split; with --eval-benchmark, evaluate the best weights afterwards with `peft-native eval --run <dir> --benchmark ...`');
  if (run.devTasks !== undefined) throw new TrainOptionsError('--dev-tasks carves SuperNI dev tasks; --eval-benchmark evaluates on the benchmark instead');
  for (const [flag, setting, value] of [['--eval-shots', 'shots', o.shots], ['--eval-batch-size', 'batchSize', o.batchSize], ['--max-new-tokens', 'maxNewTokens', o.maxNewTokens]] as const) {
    if (value !== undefined && !benchmarkTakes(benchmark, setting)) throw new TrainOptionsError(`${flag} does not apply to --eval-benchmark ${benchmark}`);
  }
}

/** Refuses what cannot work before anything loads (TrainOptionsError: exit code 2). */
export function checkEvalTimes(o: EvalTimesOptions, run: TrainOptions): void {
  if (!Number.isInteger(o.times) || o.times < 1) throw new TrainOptionsError(`--eval-times must be an integer >= 1, got ${o.times}`);
  if (run.bestMetric !== undefined) throw new TrainOptionsError('--eval-times picks the best checkpoint by --eval-metric; --metric-for-best-model / --greater-is-better cannot be given with it');
  if (run.steps !== undefined && o.times > run.steps) throw new TrainOptionsError(`--eval-times ${o.times} is more than --steps ${run.steps}`);
  if (run.resume !== undefined) throw new TrainOptionsError('--eval-times cannot be given with --resume (a resumed run continues the evaluations it was started with)');
  if (o.benchmark !== undefined) return checkBenchmarkPlan(o, run);
  for (const [flag, value] of [['--bench-data', o.benchData], ['--eval-shots', o.shots], ['--eval-chat-format', o.chatFormat]] as const) {
    if (value !== undefined) throw new TrainOptionsError(`${flag} needs --eval-benchmark`);
  }
  if (o.metric !== undefined && !(EVAL_METRICS as readonly string[]).includes(o.metric)) throw new TrainOptionsError(`--eval-metric ${o.metric} is not a SuperNI metric (expected ${EVAL_METRICS.join(' or ')}; other metrics come with --eval-benchmark)`);
  const data = run.data ?? 'builtin';
  if (!isSuperNISpec(parseDataSpec(data))) throw new TrainOptionsError(`--eval-times evaluates on SuperNI dev tasks; --data ${data} is not SuperNI data (give superni:<dir>, a task .json file or builtin, or --eval-benchmark <name>)`);
  if (run.devTasks === undefined || run.devTasks < 1) throw new TrainOptionsError('--eval-times needs --dev-tasks N (N >= 1): the dev tasks it evaluates on are carved out of the training tasks');
  if (o.test && run.splitDir !== undefined && !(existsSync(run.splitDir) && statSync(run.splitDir).isDirectory() && existsSync(path.join(run.splitDir, 'test_tasks.txt')))) {
    throw new TrainOptionsError(`--test evaluates the tasks of <split-dir>/test_tasks.txt; ${path.join(run.splitDir, 'test_tasks.txt')} does not exist`);
  }
}

/** The TrainOptions that run the evaluations: evaluator (dev), bestMetric, and with `test` the finalEvaluator;
 * `evaluation` records the plan in run_config.json so that `--resume` continues it. */
export function evalTimesTrainOptions(o: EvalTimesOptions, run: TrainOptions): Pick<TrainOptions, 'evaluator' | 'finalEvaluator' | 'bestMetric' | 'evaluation'> {
  checkEvalTimes(o, run);
  const metric = o.metric ?? (o.benchmark !== undefined ? headlineMetrics(o.benchmark)![0]! : 'rougeL');
  return { ...evalTimesHooks(o, run), bestMetric: { name: metric, greaterIsBetter: true }, evaluation: { ...o } };
}

/**
 * The evaluator and final evaluator of a resumed run, from the plan and options its run_config.json recorded
 * (null fields there are unset options here). The best-checkpoint metric is already part of those options.
 */
export function resumedEvalTimesHooks(plan: EvalTimesOptions, recorded: ResolvedTrainOptions): Pick<TrainOptions, 'evaluator' | 'finalEvaluator'> {
  const unset = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
  return evalTimesHooks(plan, {
    data: recorded.data,
    chatTemplate: unset(recorded.chatTemplate),
    splitDir: unset(recorded.splitDir),
    dataSeed: recorded.dataSeed,
    instancesPerTask: unset(recorded.instancesPerTask),
    devTasks: unset(recorded.devTasks),
    trainTasks: unset(recorded.trainTasks),
    posExamples: unset(recorded.posExamples),
    maxSourceLength: unset(recorded.maxSourceLength),
  });
}

function evalTimesHooks(o: EvalTimesOptions, run: TrainOptions): Pick<TrainOptions, 'evaluator' | 'finalEvaluator'> {
  const data = run.data ?? 'builtin';
  if (o.benchmark !== undefined) {
    const evaluator = benchmarkTrainEvaluator({
      benchmark: o.benchmark,
      dir: o.benchData!,
      // The benchmark's prompts are wrapped as the run trains its own.
      chatFormat: o.chatFormat ?? trainedChatFormat(data, run.chatTemplate),
      steps: (total) => evalTimesSteps(total, o.times),
      outDir: DEV_EVAL_DIR,
      ...(o.shots !== undefined ? { shots: o.shots } : {}),
      ...(o.maxInstances !== undefined ? { maxInstances: o.maxInstances } : {}),
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.maxNewTokens !== undefined ? { maxNewTokens: o.maxNewTokens } : {}),
    });
    return { evaluator };
  }
  const common: Omit<SuperNIEvalOptions, 'split'> = {
    data,
    ...(run.splitDir !== undefined ? { splitDir: run.splitDir } : {}),
    ...(run.dataSeed !== undefined ? { dataSeed: run.dataSeed } : {}),
    ...(run.instancesPerTask !== undefined ? { instancesPerTask: run.instancesPerTask } : {}),
    devTasks: run.devTasks,
    ...(run.trainTasks !== undefined ? { trainTasks: run.trainTasks } : {}),
    ...(run.posExamples !== undefined ? { posExamples: run.posExamples } : {}),
    ...(run.maxSourceLength !== undefined ? { maxSourceLength: run.maxSourceLength } : {}),
    ...(o.maxInstances !== undefined ? { maxInstances: o.maxInstances } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.maxNewTokens !== undefined ? { maxNewTokens: o.maxNewTokens } : {}),
  };
  const evaluator = superniTrainEvaluator({ ...common, split: 'dev', steps: (total) => evalTimesSteps(total, o.times), outDir: DEV_EVAL_DIR });
  if (!o.test) return { evaluator };
  const finalEvaluator: FinalEvaluator = {
    evaluate: async ({ model, tokenizer, runDir, best, group }) => {
      const result = await evaluateSuperNI(model, tokenizer, {
        ...common,
        split: 'test',
        ...((group?.rank() ?? 0) === 0 ? { out: path.join(runDir, TEST_EVAL_DIR) } : {}),
        ...(group ? { shard: group } : {}),
        metadata: { checkpointStep: best?.step ?? null, bestMetric: best ? { name: best.metric, value: best.value } : null },
      });
      return { exactMatch: result.overall.exactMatch, rougeL: result.overall.rougeL, rouge1: result.overall.rouge1, instances: result.instances };
    },
  };
  return { evaluator, finalEvaluator };
}
