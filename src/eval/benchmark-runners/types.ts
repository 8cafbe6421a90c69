// What every benchmark runner of `peft-native eval --benchmark` shares: the benchmark names, the options of a run,
// and what a runner hands back to src/eval/benchmark-run.ts (which writes the files).
import type { NativeModel } from '../../native/binding.js';
import type { TextTokenizer } from '../../tokenizer/types.js';

export const BENCHMARKS = ['mmlu', 'gsm8k', 'truthfulqa', 'bbh', 'tydiqa', 'humaneval', 'alpaca_eval'] as const;
export type Benchmark = (typeof BENCHMARKS)[number];
export const CHAT_FORMATS = ['none', 'tulu', 'model'] as const;
export type ChatFormat = (typeof CHAT_FORMATS)[number];

export interface BenchmarkOptions {
  benchmark: Benchmark;
  /** The benchmark's folder in open-instruct's layout (data/eval/<benchmark>). */
  dir: string;
  /** 'tulu' wraps every prompt as one TÜLU user turn (open-instruct's --use_chat_format); default none. */
  chatFormat?: ChatFormat;
  /** Questions per subject (MMLU), per task (BBH), per language (TyDiQA) or in all (the others), sampled with
   * open-instruct's seed 42 (AlpacaEval, which open-instruct never samples: the first ones). */
  maxInstances?: number;
  /** MMLU shots (default 0), GSM8K exemplars (default 8) or TyDiQA demonstrations per language (default 1). */
  shots?: number;
  /** Generation benchmarks: rows generated together (default 16). */
  batchSize?: number;
  /** Generation benchmarks: new tokens at most (GSM8K, BBH, HumanEval 512; TyDiQA 50; AlpacaEval the model's room). */
  maxNewTokens?: number;
  /** BBH: false drops the demonstrations' reasoning (open-instruct's --no_cot); default true. */
  cot?: boolean;
  /** HumanEval: completions sampled per problem (default 20). */
  samples?: number;
  /** HumanEval: sampling temperature (default 0.1; 0 = greedy). */
  temperature?: number;
  /** HumanEval: nucleus sampling's top_p (default 0.95). */
  topP?: number;
  /** HumanEval: seed of the sampling generators (default 42). */
  samplingSeed?: number;
  /** HumanEval: must be true, since the model's completions are run as Python programs on this machine. */
  allowCodeExecution?: boolean;
  /** AlpacaEval: the evaluated model's name, for the generator "<name>-greedy-long" (default "model"). */
  modelName?: string;
  /** Generation progress (prompts done, total). */
  onProgress?: (done: number, total: number) => void;
  out?: string;
  metadata?: Record<string, unknown>;
}

/** The options a runner may read besides dir, chatFormat, maxInstances and onProgress. */
export type BenchmarkSetting = 'shots' | 'batchSize' | 'maxNewTokens' | 'cot' | 'samples' | 'temperature' | 'topP' | 'samplingSeed' | 'allowCodeExecution';

/** A file a runner adds to --out besides predictions.jsonl and metrics.json. */
export interface ExtraFile {
  name: string;
  /** Writes the file atomically. */
  write(file: string): Promise<void>;
}

/** What a runner found: metrics.json's parts and predictions.jsonl's lines. */
export interface Scored {
  metrics: Record<string, number>;
  predictions: Array<Record<string, unknown>>;
  /** Instances evaluated (default: the number of predictions). */
  instances?: number;
  /** The run's settings as metrics.json records them (chatFormat and maxInstances are added). */
  settings: Record<string, unknown>;
  /** Further facts for metrics.json (e.g. how HumanEval's programs ran). */
  details?: Record<string, unknown>;
  /** What the user should know about the results (printed, and kept in metrics.json). */
  notes: string[];
  extraFile?: ExtraFile;
}

export interface BenchmarkRunner {
  run(model: NativeModel, tokenizer: TextTokenizer, o: BenchmarkOptions): Promise<Scored>;
  /** The settings it reads: any other one given is a usage error (benchmark-run.ts). */
  settings: readonly BenchmarkSetting[];
  /** New tokens unless told, for generation benchmarks with a fixed default. */
  maxNewTokens?: number;
}
