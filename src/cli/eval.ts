// `peft-native eval`: flags -> EvalRunOptions -> runEvaluation(). Bad flag values fail while parsing (one
// line, exit 2); EvalOptionsError and AdapterError are usage errors too (src/cli/main.ts).
import { Command, Option } from 'commander';
import { builtinModelNames } from '../models/builtin.js';
import { EVAL_SPLITS, type EvalSplit } from '../eval/superni-eval.js';
import { EvalOptionsError, runBenchmarkEvaluation, runEvaluation, type EvalRunOptions } from '../eval/run-eval.js';
import { BENCHMARKS, CHAT_FORMATS, type Benchmark, type BenchmarkOptions } from '../eval/benchmark-run.js';
import type { SuperNIEvalResult } from '../eval/superni-eval.js';
import { parseIntegerFlag, parseNumberFlag } from './train.js';
import { deviceOption } from './device-flag.js';
import { PRECISIONS } from '../train/options.js';

/** The flags as commander parses them: the runner's options, with the task list still one string. */
export interface EvalFlags
  extends Omit<EvalRunOptions, 'split' | 'tasks' | 'log' | 'progressStream'>,
    Pick<BenchmarkOptions, 'chatFormat' | 'shots' | 'cot' | 'samples' | 'temperature' | 'topP' | 'samplingSeed' | 'allowCodeExecution'> {
  split: EvalSplit;
  tasks?: string;
  benchmark?: Benchmark;
  benchData?: string;
}

/** The --benchmark flags the SuperNI evaluation refuses (flag -> EvalFlags key); --no-cot is checked apart. */
const BENCHMARK_ONLY = {
  '--bench-data': 'benchData',
  '--chat-format': 'chatFormat',
  '--shots': 'shots',
  '--samples': 'samples',
  '--temperature': 'temperature',
  '--top-p': 'topP',
  '--sampling-seed': 'samplingSeed',
  '--allow-code-execution': 'allowCodeExecution',
} as const satisfies Record<string, keyof EvalFlags>;

/** SuperNI's flags, which an --benchmark evaluation does not take (flag -> EvalFlags key). */
const SUPERNI_ONLY = {
  '--data': 'data',
  '--split-dir': 'splitDir',
  '--tasks': 'tasks',
  '--max-source-length': 'maxSourceLength',
  '--data-seed': 'dataSeed',
  '--instances-per-task': 'instancesPerTask',
  '--dev-tasks': 'devTasks',
  '--train-tasks': 'trainTasks',
  '--loss': 'loss',
} as const satisfies Record<string, keyof EvalFlags>;

/** The benchmark run of `eval --benchmark`, or a usage error naming the flag that does not fit (the flags that fit
 * one benchmark and not another are checked by runBenchmarkEvaluation). `f.cot` is undefined unless --no-cot was given. */
export function benchmarkOptionsFromFlags(f: EvalFlags, splitGiven: boolean): Parameters<typeof runBenchmarkEvaluation>[0] {
  const { benchmark, benchData, chatFormat, shots, tasks: _tasks, split: _split, ...rest } = f;
  if (benchmark === undefined) throw new EvalOptionsError('--benchmark is missing');
  if (benchData === undefined) throw new EvalOptionsError(`--benchmark ${benchmark} needs --bench-data <dir>: the benchmark's files in open-instruct's layout (data/eval/${benchmark})`);
  const wrong = Object.entries(SUPERNI_ONLY).filter(([, key]) => f[key] !== undefined).map(([flag]) => flag);
  if (splitGiven) wrong.push('--split');
  if (wrong.length > 0) throw new EvalOptionsError(`${wrong.join(', ')} appl${wrong.length > 1 ? 'y' : 'ies'} to the SuperNI evaluation, not to --benchmark ${benchmark}`);
  return { ...rest, benchmark, dir: benchData, ...(chatFormat !== undefined ? { chatFormat } : {}), ...(shots !== undefined ? { shots } : {}) };
}

export function evalOptionsFromFlags(f: EvalFlags): EvalRunOptions {
  for (const [flag, key] of [...Object.entries(BENCHMARK_ONLY), ['--no-cot', 'cot']] as const) {
    if (f[key] !== undefined) throw new EvalOptionsError(`${flag} applies to --benchmark evaluations`);
  }
  const { tasks, benchmark: _b, benchData: _d, chatFormat: _c, shots: _s, cot: _n, samples: _k, temperature: _t, topP: _p, samplingSeed: _e, allowCodeExecution: _a, ...rest } = f;
  return { ...rest, tasks: tasks?.split(',').map((t) => t.trim()).filter((t) => t !== '') };
}

const EXAMPLES = `
Examples:
  # A trained LoRA adapter on the SuperNI test tasks (greedy, 128 new tokens, first 100 instances per task)
  $ peft-native eval --model ./Llama-3.2-1B --adapter runs/llama-r64 \\
      --data superni:./natural-instructions --split-dir ./natural-instructions/splits/default --split test

  # Held-out instances of the training tasks of a run (model, data, seeds, selection, adapter from its folder)
  $ peft-native eval --run runs/llama-r64 --split memorization

  # HumanEval as open-instruct runs it (20 samples per problem, pass@1/5/10): the model's Python runs here, so opt in
  $ peft-native eval --run runs/tulu-lora --benchmark humaneval --bench-data ./data/eval/codex_humaneval --allow-code-execution

  # A quick look: two tasks, 10 instances each
  $ peft-native eval --model ./Qwen2.5-0.5B --data superni:./ni --tasks task1146_country_capital,task1321_country_continent --max-instances 10

Splits, chosen as training chooses them: test = <split-dir>/test_tasks.txt (every task in the folder without
  --split-dir), dev = the --dev-tasks tasks carved out of the training tasks with --data-seed, both with the first
  --max-instances instances of each task; memorization = the training tasks' held-out instances of the
  study's instance selection (--data-seed). With --run the tasks and instance ids recorded by that training run are used.
Outputs in --out: predictions.jsonl (id, task, category, prompt, prediction, references, scores) and
  metrics.json (overall, per category, per task: exact match, ROUGE-L, ROUGE-1, x100, as the official
  SuperNI evaluation computes them).
`;

export function evalCommand(run: (options: EvalRunOptions) => Promise<SuperNIEvalResult> = runEvaluation, runBenchmark: typeof runBenchmarkEvaluation = runBenchmarkEvaluation): Command {
  return new Command('eval')
    .description('Evaluate a model (optionally with an adapter: LoRA, DoRA, IA3, bottleneck adapter, prompt or prefix tuning, BitFit) on SuperNI: greedy generation, exact match and ROUGE-L.')
    .option('--run <dir>', "a training run folder: model, data, seeds, the recorded task/instance selection and its trained weights (<run>/best when saved, else the final ones) come from it")
    .option('--model <dir|name>', `HF model folder, or a built-in model (${builtinModelNames().join(', ')}); default builtin:tiny`)
    .option('--adapter <dir>', 'adapter folder of any method (adapter_config.json + adapter_model.safetensors)')
    .option('--ignore-base-name', "load the adapter although its base_model_name_or_path names another model")
    .option('--data <spec>', 'evaluation data: superni:<dir>, a task .json file, or builtin (default builtin)')
    .option('--split-dir <dir>', 'split folder with train_tasks.txt and test_tasks.txt (or a training task list file)')
    .addOption(new Option('--split <split>', 'which instances').choices([...EVAL_SPLITS]).default('test'))
    .option('--tasks <list>', 'only these tasks (comma list)')
    .option('--max-instances <n>', 'instances per task at most (default 100; --benchmark: per subject for mmlu, per task for bbh, per language for tydiqa, else in all; default all)', parseIntegerFlag(1, 'max instances'))
    .option('--batch-size <n>', 'rows generated together (default 16; decoder-only models: continuous batching, a finished row replaced at once by the next prompt)', parseIntegerFlag(1, 'batch size'))
    .option('--max-new-tokens <n>', 'new tokens per prediction at most (default 128; --benchmark gsm8k, bbh, humaneval: 512, tydiqa: 50, alpaca_eval: what the model\'s positions leave after the longest prompt, at most 8192)', parseIntegerFlag(1, 'max new tokens'))
    .option('--max-source-length <n>', 'prompt tokens kept (default 1024)', parseIntegerFlag(1, 'max source length'))
    .option('--seed <n>', "training's --seed: a built-in model's random initialization (default 42)", parseIntegerFlag(0, 'seed'))
    .option('--data-seed <n>', "training's --data-seed: dev carving and the memorization split's selection (default 42)", parseIntegerFlag(0, 'data seed'))
    .option('--instances-per-task <n>', "training's instances per task, for the memorization split (default 100)", parseIntegerFlag(1, 'instances per task'))
    .option('--dev-tasks <k>', "training's --dev-tasks: dev tasks carved (seeded) out of the training tasks; needed for --split dev", parseIntegerFlag(0, 'dev tasks'))
    .option('--train-tasks <n>', "training's --train-tasks: the seeded training subset (memorization split)", parseIntegerFlag(1, 'train tasks'))
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores)', parseIntegerFlag(1, 'threads'))
    .addOption(deviceOption(/* none here: EvalRunOptions' default is auto */))
    .addOption(new Option('--precision <p>', "fp32, or bf16 (bfloat16 compute, base stored in bfloat16); default: the --run's training precision, else fp32").choices([...PRECISIONS]))
    .option('--loss', "also the loss and perplexity of each instance's first reference (teacher forcing, training's encoding)")
    .option('--out <dir>', 'folder for predictions.jsonl and metrics.json (default runs/<timestamp>-eval-<split>)')
    .option('--overwrite', 'replace an evaluation already in --out')
    .addOption(new Option('--benchmark <name>', 'an open-instruction benchmark instead of SuperNI, as open-instruct evaluates it: mmlu (log-likelihood of the answer letter), gsm8k (8-shot chain of thought, last number), truthfulqa (MC1/MC2), bbh (3-shot chain of thought per task, exact match), tydiqa (GoldP one-shot per language, F1/EM), humaneval (sampled completions run against the tests, pass@k; needs --allow-code-execution), alpaca_eval (greedy outputs for AlpacaEval\'s judge, which does not run here)').choices([...BENCHMARKS]))
    .option('--bench-data <dir>', "with --benchmark: the benchmark's files in open-instruct's layout (data/eval/<benchmark>: mmlu/{dev,test}/*.csv, gsm/test.jsonl, truthfulqa/TruthfulQA.csv, bbh/{bbh/*.json,cot-prompts/*.txt}, tydiqa/tydiqa-goldp-v1.1-{dev,train}.json, HumanEval.jsonl(.gz), alpaca_eval.json)")
    .addOption(new Option('--chat-format <format>', 'with --benchmark: wrap every prompt as a TÜLU user turn (tulu, open-instruct\'s --use_chat_format), as a user turn of the model\'s own chat template (model: tokenizer_config.json chat_template, with the generation prompt), or not (none, default)').choices([...CHAT_FORMATS]))
    .option('--shots <n>', 'with --benchmark: MMLU shots from the dev rows (default 0), GSM8K exemplars (default 8), TyDiQA demonstrations per language (default 1)', parseIntegerFlag(0, 'shots'))
    .option('--no-cot', 'with --benchmark bbh: demonstrations without their reasoning (open-instruct\'s --no_cot)')
    .option('--samples <n>', 'with --benchmark humaneval: completions sampled per problem (default 20)', parseIntegerFlag(1, 'samples'))
    .option('--temperature <t>', 'with --benchmark humaneval: sampling temperature (default 0.1; 0 = greedy)', parseNumberFlag('temperature', (n) => n >= 0, '>= 0'))
    .option('--top-p <p>', 'with --benchmark humaneval: nucleus sampling top_p (default 0.95)', parseNumberFlag('top-p', (n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('--sampling-seed <n>', 'with --benchmark humaneval: seed of the sampling (default 42; --seed stays the built-in model\'s initialization)', parseIntegerFlag(0, 'sampling seed'))
    .option('--allow-code-execution', 'with --benchmark humaneval: run the model-written Python against the tests on this machine (own process per sample, time and memory limits, no network where unshare allows; not a sandbox)')
    .option('--quiet', 'print nothing but errors')
    .option('--verbose', 'show stack traces on errors')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: EvalFlags, command: Command) => {
      // --no-cot makes commander default `cot` to true; only a given --no-cot counts.
      if (command.getOptionValueSource('cot') !== 'cli') delete flags.cot;
      if (flags.benchmark !== undefined) {
        await runBenchmark(benchmarkOptionsFromFlags(flags, command.getOptionValueSource('split') === 'cli'));
        return;
      }
      await run(evalOptionsFromFlags(flags));
    });
}
