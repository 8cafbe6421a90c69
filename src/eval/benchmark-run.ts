// Open-instruction benchmarks on a loaded model (`peft-native eval --benchmark`): the benchmark modules of
// src/eval/benchmarks (open-instruct's prompts, selection, extraction and metrics) driven by native generation
// (GSM8K, BBH, TydiQA, HumanEval, AlpacaEval) or native log-likelihood scoring (MMLU, TruthfulQA), one runner per
// benchmark in src/eval/benchmark-runners/, with predictions.jsonl and metrics.json (and a runner's own file, e.g.
// AlpacaEval's model outputs) written atomically. Defaults follow open-instruct's scripts (see each runner).
import path from 'node:path';
import type { NativeModel } from '../native/binding.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { writeFileAtomically, writeJsonAtomically } from '../util/atomic-file.js';
import { alpacaEvalRunner } from './benchmark-runners/alpaca-eval.js';
import { bbhRunner } from './benchmark-runners/bbh.js';
import { gsm8kRunner } from './benchmark-runners/gsm8k.js';
import { HUMANEVAL_REFUSAL, humanevalRunner } from './benchmark-runners/humaneval.js';
import { mmluRunner } from './benchmark-runners/mmlu.js';
import { truthfulqaRunner } from './benchmark-runners/truthfulqa.js';
import { tydiqaRunner } from './benchmark-runners/tydiqa.js';
import { BENCHMARKS, type Benchmark, type BenchmarkOptions, type BenchmarkRunner, type BenchmarkSetting } from './benchmark-runners/types.js';

export { BENCHMARKS, CHAT_FORMATS, type Benchmark, type BenchmarkOptions, type ChatFormat } from './benchmark-runners/types.js';

export interface BenchmarkResult {
  benchmark: Benchmark;
  instances: number;
  metrics: Record<string, number>;
  notes: string[];
  /** The files written in `out`; `outputs` is a runner's own file (AlpacaEval's model outputs). */
  files?: { predictions: string; metrics: string; outputs?: string };
}

const RUNNERS: Record<Benchmark, BenchmarkRunner> = {
  mmlu: mmluRunner,
  gsm8k: gsm8kRunner,
  truthfulqa: truthfulqaRunner,
  bbh: bbhRunner,
  tydiqa: tydiqaRunner,
  humaneval: humanevalRunner,
  alpaca_eval: alpacaEvalRunner,
};

/** The command-line flag of each setting, for messages. */
const SETTING_FLAGS: Record<BenchmarkSetting, string> = {
  shots: '--shots',
  batchSize: '--batch-size',
  maxNewTokens: '--max-new-tokens',
  cot: '--no-cot',
  samples: '--samples',
  temperature: '--temperature',
  topP: '--top-p',
  samplingSeed: '--sampling-seed',
  allowCodeExecution: '--allow-code-execution',
};

/** Whether a benchmark reads a setting (the others are refused, as benchmarkOptionProblem does). */
export function benchmarkTakes(benchmark: Benchmark, setting: BenchmarkSetting): boolean {
  return RUNNERS[benchmark].settings.includes(setting);
}

/** The new tokens a generation benchmark uses unless told (undefined: none fixed, or no generation). */
export function defaultMaxNewTokens(benchmark: Benchmark): number | undefined {
  return RUNNERS[benchmark].maxNewTokens;
}

function valueProblem(o: BenchmarkOptions): string | undefined {
  const integer = (v: number | undefined, min: number) => v === undefined || (Number.isSafeInteger(v) && v >= min);
  if (!integer(o.shots, 0)) return `--shots must be an integer >= 0, got ${o.shots}`;
  if (!integer(o.samples, 1)) return `--samples must be an integer >= 1, got ${o.samples}`;
  if (!integer(o.samplingSeed, 0)) return `--sampling-seed must be an integer >= 0, got ${o.samplingSeed}`;
  if (o.temperature !== undefined && !(Number.isFinite(o.temperature) && o.temperature >= 0)) return `--temperature must be a number >= 0, got ${o.temperature}`;
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) return `--top-p must be a number in (0, 1], got ${o.topP}`;
  return undefined;
}

/**
 * What is wrong with a benchmark run's options before anything loads (one line, for a usage error), or undefined:
 * a setting the benchmark does not take, a bad value, HumanEval without the opt-in to run model-written code.
 */
export function benchmarkOptionProblem(o: BenchmarkOptions): string | undefined {
  const runner = RUNNERS[o.benchmark];
  const wrong = (Object.keys(SETTING_FLAGS) as BenchmarkSetting[]).filter((s) => o[s] !== undefined && !runner.settings.includes(s));
  if (wrong.length === 1) {
    const takers = BENCHMARKS.filter((b) => RUNNERS[b].settings.includes(wrong[0]!));
    return `${SETTING_FLAGS[wrong[0]!]} applies to --benchmark ${takers.join(', ')}, not to --benchmark ${o.benchmark}`;
  }
  if (wrong.length > 1) return `${wrong.map((s) => SETTING_FLAGS[s]).join(', ')} do not apply to --benchmark ${o.benchmark}`;
  const bad = valueProblem(o);
  if (bad !== undefined) return bad;
  if (o.benchmark === 'humaneval' && o.allowCodeExecution !== true) return HUMANEVAL_REFUSAL;
  return undefined;
}

export async function evaluateBenchmark(model: NativeModel, tokenizer: TextTokenizer, o: BenchmarkOptions): Promise<BenchmarkResult> {
  const scored = await RUNNERS[o.benchmark].run(model, tokenizer, o);
  const result: BenchmarkResult = { benchmark: o.benchmark, instances: scored.instances ?? scored.predictions.length, metrics: scored.metrics, notes: scored.notes };
  if (o.out !== undefined) {
    const predictions = path.resolve(o.out, 'predictions.jsonl');
    const metrics = path.resolve(o.out, 'metrics.json');
    const outputs = scored.extraFile ? path.resolve(o.out, scored.extraFile.name) : undefined;
    await writeFileAtomically(predictions, scored.predictions.map((p) => JSON.stringify(p)).join('\n') + '\n');
    if (scored.extraFile && outputs) await scored.extraFile.write(outputs);
    await writeJsonAtomically(metrics, {
      benchmark: o.benchmark,
      data: path.resolve(o.dir),
      instances: result.instances,
      metrics: scored.metrics,
      settings: { chatFormat: o.chatFormat ?? 'none', maxInstances: o.maxInstances ?? null, ...scored.settings },
      ...scored.details,
      ...(scored.notes.length > 0 ? { notes: scored.notes } : {}),
      ...o.metadata,
    });
    result.files = { predictions, metrics, ...(outputs !== undefined ? { outputs } : {}) };
  }
  return result;
}
