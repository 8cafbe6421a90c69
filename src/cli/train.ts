// `peft-native train`: flags -> TrainOptions -> train(). Flag values are checked while parsing (commander
// reports a bad one in one line); the CLI entry maps those and TrainOptionsError to exit code 2.
import { Command, InvalidArgumentError, Option } from 'commander';
import { builtinModelNames } from '../models/builtin.js';
import { parseTargetModules, validateLoraOptions, DEFAULT_LORA_OPTIONS, LoraOptionsError } from '../peft/lora.js';
import { LLAMA_LINEAR_MODULES } from '../models/module-names.js';
import { SCHEDULE_KINDS } from '../train/schedule.js';
import { DIVERGENCE_POLICIES } from '../train/divergence.js';
import { train, type TrainResult } from '../train/loop.js';
import { LABEL_PADDINGS, PRECISIONS, TRAIN_METHODS, TrainOptionsError, WEIGHT_DECAY_PARAMS, ZERO_STAGES, resolveTrainOptions, type TrainOptions, type ZeroStage } from '../train/options.js';
import { RECIPES } from '../train/recipe.js';
import { allMethodFlags, flagName } from '../peft/methods.js';
import { addDataFlags, type DataFlags } from './data-flags.js';
import { deviceOption } from './device-flag.js';
import { EVAL_METRICS, evalTimesTrainOptions, resumedEvalTimesHooks } from '../eval/eval-times.js';
import { BENCHMARK_METRICS } from '../eval/benchmark-train-evaluator.js';
import { CHAT_FORMATS, type Benchmark, type ChatFormat } from '../eval/benchmark-run.js';
import { readRecordedOptions } from '../train/resume.js';
import { optionsFromRecord } from '../train/run-config.js';
import { withInterrupts } from './interrupt.js';
import { distributedEnvFrom } from '../distributed/env.js';
import { defaultThreadsPerWorker, launchWorkers } from '../distributed/launch.js';
import { checkLocalWorkers } from '../distributed/device.js';
import { native } from '../native/binding.js';
import { resolveDevice } from '../native/device.js';
import { FlagValueError, integerValue, numberValue } from '../util/flag-values.js';

/** A value parser for commander: a FlagValueError becomes its one-line invalid-argument error. */
export function commanderParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof FlagValueError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

export function parseIntegerFlag(min: number, what: string) {
  return commanderParser(integerValue(min, what));
}

export function parseNumberFlag(what: string, check: (n: number) => boolean, rule: string) {
  return commanderParser(numberValue(what, check, rule));
}

function parseTargetsFlag(value: string): string {
  const targets = parseTargetModules(value);
  try {
    validateLoraOptions({ ...DEFAULT_LORA_OPTIONS, targets });
  } catch (err) {
    if (err instanceof LoraOptionsError) throw new InvalidArgumentError(err.message + '.');
    throw err;
  }
  return value;
}

/** Flags whose TrainOptions field has the same name and value: copied as they are. */
const SAME_AS_OPTION = [
  'model', 'data', 'method', 'lr', 'steps', 'epochs',
  'batchSize', 'maxLength', 'instancesPerTask', 'splitDir', 'devTasks', 'trainTasks', 'trainCategories', 'instruction', 'posExamples', 'maxSourceLength',
  'maxTargetLength', 'chatTemplate', 'packing', 'packLength', 'groupByLength', 'labelPadding', 'warmupRatio', 'schedule', 'weightDecay',
  'maxGradNorm', 'adamEps', 'weightDecayParams', 'recipe', 'onDivergence', 'divergenceFactor', 'divergenceWindow', 'seed', 'dataSeed', 'threads', 'device', 'out', 'overwrite',
  'tensorboard', 'saveSteps', 'saveTotalLimit', 'precision', 'baseDtype', 'gradientCheckpointing', 'resume', 'logEvery', 'quiet',
] as const satisfies readonly (keyof TrainOptions)[];

/**
 * The flags as commander parses them: the TrainOptions fields of SAME_AS_OPTION, the flags that are spelled
 * or shaped differently (--target-modules as one string, --grad-accum, the best-metric pair, --no-cache, the
 * --eval-* group), and the methods' own flags (their records', copied by option key).
 */
export interface TrainFlags extends DataFlags, Omit<Pick<TrainOptions, (typeof SAME_AS_OPTION)[number]>, keyof DataFlags> {
  targetModules?: string;
  gradAccum?: number;
  metricForBestModel?: string;
  greaterIsBetter?: boolean;
  evalTimes?: number;
  evalMetric?: string;
  evalBenchmark?: Benchmark;
  benchData?: string;
  evalShots?: number;
  evalChatFormat?: ChatFormat;
  evalMaxInstances?: number;
  evalBatchSize?: number;
  maxNewTokens?: number;
  test?: boolean;
  verbose?: boolean;
  nproc?: number;
  zeroStage?: string;
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** TrainOptions from parsed flags (undefined flags stay undefined: train() documents the defaults). */
export function trainOptionsFromFlags(f: TrainFlags): TrainOptions {
  const o: Record<string, unknown> = {};
  for (const key of SAME_AS_OPTION) if (f[key] !== undefined) o[key] = f[key];
  const options = o as TrainOptions;
  if (f.targetModules !== undefined) options.targetModules = f.targetModules;
  // Method flags: commander names each by its flag (--prefix-hidden: prefixHidden), the record by its option key.
  for (const spec of allMethodFlags()) {
    const value = (f as Record<string, unknown>)[camelCase(flagName(spec.key).slice(2))];
    if (value !== undefined) (options as Record<string, unknown>)[spec.key] = spec.option ? spec.option(value) : value;
  }
  if (f.gradAccum !== undefined) options.gradientAccumulation = f.gradAccum;
  if (f.cache === false) options.cacheDir = null;
  else if (f.cacheDir !== undefined) options.cacheDir = f.cacheDir;
  if (f.metricForBestModel !== undefined || f.greaterIsBetter !== undefined) {
    options.bestMetric = { name: f.metricForBestModel ?? 'train_loss', greaterIsBetter: f.greaterIsBetter ?? false };
  }
  return { ...options, ...evalTimesOptionsFromFlags(f, options) };
}

/** --eval-times and the flags that only make sense with it. */
function evalTimesOptionsFromFlags(f: TrainFlags, o: TrainOptions): Partial<TrainOptions> {
  if (f.evalTimes === undefined) {
    const given = (
      [
        ['--eval-metric', f.evalMetric],
        ['--eval-benchmark', f.evalBenchmark],
        ['--bench-data', f.benchData],
        ['--eval-shots', f.evalShots],
        ['--eval-chat-format', f.evalChatFormat],
        ['--eval-max-instances', f.evalMaxInstances],
        ['--eval-batch-size', f.evalBatchSize],
        ['--max-new-tokens', f.maxNewTokens],
        ['--test', f.test],
      ] as const
    ).filter(([, v]) => v !== undefined && v !== false);
    if (given.length > 0) throw new TrainOptionsError(`${given.map(([flag]) => flag).join(', ')} need${given.length === 1 ? 's' : ''} --eval-times K`);
    return {};
  }
  return evalTimesTrainOptions(
    {
      times: f.evalTimes,
      ...(f.evalMetric !== undefined ? { metric: f.evalMetric } : {}),
      ...(f.evalBenchmark !== undefined ? { benchmark: f.evalBenchmark } : {}),
      ...(f.benchData !== undefined ? { benchData: f.benchData } : {}),
      ...(f.evalShots !== undefined ? { shots: f.evalShots } : {}),
      ...(f.evalChatFormat !== undefined ? { chatFormat: f.evalChatFormat } : {}),
      ...(f.evalMaxInstances !== undefined ? { maxInstances: f.evalMaxInstances } : {}),
      ...(f.evalBatchSize !== undefined ? { batchSize: f.evalBatchSize } : {}),
      ...(f.maxNewTokens !== undefined ? { maxNewTokens: f.maxNewTokens } : {}),
      test: f.test === true,
    },
    o,
  );
}

const EXAMPLES = `
Examples:
  # The embedded demo: LoRA on the built-in tiny Llama with built-in instruction data (CPU, ~2 minutes)
  $ peft-native train

  # LoRA on a Hugging Face checkpoint with SuperNI tasks (the study's setting: r=alpha, q_proj+v_proj)
  $ peft-native train --model ./Llama-3.2-1B --data superni:./natural-instructions --rank 64 --lr 1e-4 --epochs 2

  # Every linear layer, rsLoRA, a regex target, or full finetuning
  $ peft-native train --model ./Qwen2.5-0.5B --target-modules all-linear --rslora
  $ peft-native train --model ./Qwen2.5-0.5B --target-modules 're:.*\\.self_attn\\.(q|v)_proj'
  $ peft-native train --model ./Qwen2.5-0.5B --method full --lr 1e-5 --steps 500

  # The other methods of the study, and DoRA
  $ peft-native train --method dora --rank 16
  $ peft-native train --method adapter --adapter-size 64            # houlsby, SiLU (the study's)
  $ peft-native train --method adapter --adapter-placement pfeiffer --reduction-factor 16 --adapter-activation relu
  $ peft-native train --method ia3                                  # k_proj, v_proj, down_proj (PEFT's defaults)
  $ peft-native train --method prompt --virtual-tokens 32 --prompt-init vocab
  $ peft-native train --method prefix --virtual-tokens 8 --prefix-hidden 512
  $ peft-native train --method prefix --virtual-tokens 128 --prefix-hidden none
  $ peft-native train --method bitfit

  # Combined methods, trained together and saved as one folder (a subfolder per method)
  $ peft-native train --method lora+adapter --rank 8 --adapter-size 64   # the study code's lora_adapter
  $ peft-native train --method lora+bitfit --target-modules q_proj,v_proj  # targets go to both

  # The study's released code as it ran (4 epochs, AdamW eps 1e-6, no clipping, decay on all parameters, ...)
  $ peft-native train --model ./Llama-3.2-1B --data superni:./ni --recipe study --method adapter --adapter-size 256

  # Data parallelism over 4 workers on this machine: on CUDA one GPU each (worker i on cuda:i); the same run as one process's
  $ peft-native train --model ./Llama-3.2-1B --data superni:./ni --nproc 4
  $ CUDA_VISIBLE_DEVICES=4,5 peft-native train --model ./Llama-3.2-1B --data superni:./ni --nproc 2   # on GPUs 4 and 5

Models: an HF folder (config.json + model.safetensors or model.safetensors.index.json + tokenizer.json;
  model_type llama, mistral, qwen2 or qwen3), or a built-in preset: ${builtinModelNames().join(', ')}
  (builtin:<name>; random init with --seed).
Data: builtin | superni:<dir> (a natural-instructions checkout or its tasks/ folder) | tulu:<file.jsonl> | sharegpt:<file> | alpaca:<file> | prompt-completion:<file.jsonl> | <task>.json
  (tokenized once into .peft-native-cache/; \`peft-native data prepare|inspect\` shows what training will see)
Outputs in --out: adapter_config.json + adapter_model.safetensors (LoRA, DoRA, IA3, prompt and prefix
  tuning in the HF PEFT layout, loadable with peft.PeftModel.from_pretrained; adapter and BitFit in the
  layout of docs/ADAPTER_FORMATS.md) or config.json + model.safetensors (full), run_config.json,
  metrics.jsonl (one JSON line per step), tensorboard/ (event files: tensorboard --logdir <out>), summary.json (status: completed | interrupted | diverged).
Checkpoints (--save-steps): <out>/checkpoints/step-N (weights, optimizer, RNG, data position), best.json;
  resume a crashed or stopped run with: peft-native train --resume <out>
Evaluation during training (--eval-times K, SuperNI data with --dev-tasks N): K dev evaluations evenly spaced
  over the run, the last at the final step, each a checkpoint (<out>/dev/step-N, eval_rougeL in metrics.jsonl);
  the best by --eval-metric is kept. --test then loads the best checkpoint's weights (saved to <out>/best),
  evaluates the test split into <out>/test/ (predictions.jsonl, metrics.json) and summary.json "test":
  $ peft-native train --model ./Llama-3.2-1B --data superni:./ni --split-dir ./ni/splits/default --dev-tasks 50 --eval-times 8 --test
Exit codes: 0 done, 1 failure, 2 bad command line, 3 the run diverged (see summary.json), 130 interrupted twice.
Defaults follow the study (arXiv 2411.16775): LoRA lr 1e-4, weight decay 0.01, linear decay with 3% warmup;
  full finetuning lr 1e-5, weight decay 0, constant LR. Built-in presets bring their own lr/steps/rank.
`;

/** A resumed run: the adjustable flags, and the evaluators of the run's recorded --eval-times plan. */
async function resumeOptionsFromFlags(flags: TrainFlags, runDir: string): Promise<TrainOptions> {
  const recorded = await readRecordedOptions(runDir);
  const plan = recorded?.evaluation;
  return {
    resume: runDir,
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    ...(flags.device !== undefined ? { device: flags.device } : {}),
    ...(flags.logEvery !== undefined ? { logEvery: flags.logEvery } : {}),
    ...(flags.quiet ? { quiet: true } : {}),
    ...(plan ? resumedEvalTimesHooks(plan, optionsFromRecord(recorded!, runDir)) : {}),
  };
}

/** The commander options of every method's flags (src/peft/method-spec.ts: MethodFlagSpec). */
function methodFlagOptions(): Option[] {
  return allMethodFlags().map((f) => {
    const option = new Option(`${flagName(f.key)}${f.value ? ` ${f.value}` : ''}`, f.help);
    if (f.choices) option.choices([...f.choices]);
    if (f.parse) option.argParser(commanderParser(f.parse));
    if (f.conflicts) option.conflicts(f.conflicts);
    return option;
  });
}

/**
 * `train --nproc N`: the same command line in N workers (src/distributed/launch.ts), with --nproc left out, one
 * run folder named for all (the default one resolved here), and the cores shared out unless --threads is given.
 */
async function launchTrainWorkers(flags: TrainFlags): Promise<number> {
  const nproc = flags.nproc!;
  // On CUDA worker i takes cuda:i (src/distributed/device.ts): a run that cannot place every worker on its own
  // GPU is refused here, before any worker starts.
  const requested = flags.device ?? (flags.resume !== undefined ? (await readRecordedOptions(flags.resume))?.device : undefined) ?? 'auto';
  checkLocalWorkers(nproc, requested, { available: false, count: 0 }); // an explicit cuda:N, without loading the addon
  if (requested !== 'cpu') {
    const info = native().info();
    checkLocalWorkers(nproc, requested, { available: info.cudaAvailable, count: info.cudaDeviceCount });
    // cuda without CUDA here: the addon's reason, once, instead of every worker's.
    if (requested !== 'auto') resolveDevice(requested);
  }
  const args = withoutFlag(process.argv.slice(1), '--nproc');
  if (flags.resume === undefined && flags.out === undefined) args.push('--out', resolveTrainOptions(trainOptionsFromFlags(flags)).out);
  if (flags.threads === undefined) args.push('--threads', String(defaultThreadsPerWorker(nproc)));
  return launchWorkers({ nproc, workerArgs: args, stdout: process.stdout, stderr: process.stderr });
}

/** A command line without one flag and its value (`--flag v` or `--flag=v`). */
function withoutFlag(argv: string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) {
      i++;
      continue;
    }
    if (argv[i]!.startsWith(`${flag}=`)) continue;
    out.push(argv[i]!);
  }
  return out;
}

/** Exit code of a run that diverged (stopped, or flagged with --on-divergence continue); summary.json says where. */
export const EXIT_DIVERGED = 3;

/** What `train --nproc n` (n > 1) does with its flags: by default, starts the workers and takes their exit code. */
export type TrainLauncher = (flags: TrainFlags) => Promise<void>;

const launchAndExit: TrainLauncher = async (flags) => {
  process.exitCode = await launchTrainWorkers(flags);
};

export function trainCommand(run: (options: TrainOptions) => Promise<TrainResult> = train, launch: TrainLauncher = launchAndExit): Command {
  const cmd = new Command('train')
    .description(`Finetune a Llama-family or T5 model with one method (--method: ${TRAIN_METHODS.join(', ')}; LoRA by default) or several combined (lora+adapter); writes an HF PEFT adapter, the method's trained weights, or for full finetuning an HF checkpoint.`)
    .option('--model <dir|name>', `HF model folder, or a built-in model (${builtinModelNames().join(', ')})`, 'builtin:tiny')
    .option('--data <spec>', 'training data: builtin, superni:<dir>, tulu:<file.jsonl>, sharegpt:<file>, alpaca:<file>, prompt-completion:<file.jsonl>, or a task .json file', 'builtin')
    .addOption(new Option('--method <method>', `the training method: ${TRAIN_METHODS.join(', ')} (full finetuning), or PEFT methods that live in different places of the model joined by + (lora+adapter, lora+bitfit, prompt+lora)`).default('lora'))
    .option(
      '--target-modules <list>',
      `modules to adapt: comma list (default q_proj,v_proj; tiny/small presets: all-linear), all-linear (${LLAMA_LINEAR_MODULES.join(',')}), or re:<regex> matching the full module name; on T5 the Llama names mean their T5 counterparts (q_proj = q, down_proj = wo, ...)`,
      parseTargetsFlag,
    )
    .option('--lr <lr>', 'peak learning rate (default: LoRA 1e-4, full 1e-5, the study\'s; tiny preset: 2e-3 / 1e-3)', parseNumberFlag('learning rate', (n) => n > 0, 'a positive number'))
    .addOption(new Option('--steps <n>', 'optimizer steps (default for built-in models: their preset, tiny: 400)').argParser(parseIntegerFlag(1, 'steps')).conflicts('epochs'))
    .addOption(new Option('--epochs <n>', 'passes over the data (default 2 for HF models)').argParser(parseIntegerFlag(1, 'epochs')).conflicts('steps'))
    .option('--batch-size <n>', 'examples per batch (default 8; tiny preset: 16)', parseIntegerFlag(1, 'batch size'))
    .option('--grad-accum <n>', 'batches accumulated per optimizer step (default 2 for HF models, 1 for built-ins)', parseIntegerFlag(1, 'gradient accumulation'))
    .option('--max-length <n>', 'longest tokenized example in tokens (default: source 1024 + target 128; tiny: 256)', parseIntegerFlag(2, 'max length'))
    .option('--packing', 'pack several examples per row (positions restart per example; no attention across examples)')
    .option('--pack-length <n>', 'tokens per packed row (default: the longest example)', parseIntegerFlag(2, 'pack length'))
    .option('--group-by-length', 'batches of similar lengths, in random order (less padding; HF group_by_length)')
    .addOption(new Option('--label-padding <how>', 'encoder-decoders (T5): pad the shorter targets of a batch with -100 (ignore, no loss; default) or the pad id (pad: trained, as the study\'s collator)').choices([...LABEL_PADDINGS]))
    .option('--warmup-ratio <x>', 'fraction of steps with linear warmup (default 0.03 LoRA, 0 full)', parseNumberFlag('warmup ratio', (n) => n >= 0 && n <= 1, 'in [0, 1]'))
    .addOption(new Option('--schedule <kind>', 'LR schedule after warmup (default linear for LoRA, constant for full)').choices([...SCHEDULE_KINDS]))
    .option('--weight-decay <x>', 'AdamW weight decay, not on biases/norms (default 0.01 LoRA, 0 full)', parseNumberFlag('weight decay', (n) => n >= 0, '>= 0'))
    .option('--max-grad-norm <x>', 'clip the global gradient norm; 0 disables (default 1.0)', parseNumberFlag('max grad norm', (n) => n >= 0, '>= 0'))
    .option('--adam-eps <x>', 'AdamW epsilon (default 1e-8)', parseNumberFlag('AdamW epsilon', (n) => n > 0 && n <= 1, 'in (0, 1]'))
    .addOption(new Option('--weight-decay-params <which>', 'weight decay on matrices only (default: not on biases and norms) or on all trainable parameters').choices([...WEIGHT_DECAY_PARAMS]))
    .addOption(new Option('--recipe <name>', "default (clean settings, the paper's text) or study (the released code's effective settings: 4 epochs, AdamW eps, no clipping for PEFT, decay on all parameters, the adapter's double SiLU, BitFit on q/k/v; docs/RECIPES.md); flags given win").choices([...RECIPES]))
    .addOption(
      new Option('--on-divergence <policy>', 'on a non-finite loss/gradient norm or a loss spike: stop (exit code 3) or continue (flag it; exit code 3 at the end)').choices([
        ...DIVERGENCE_POLICIES,
      ]),
    )
    .option('--divergence-factor <x>', 'a loss above x times the running median is a spike (default 4)', parseNumberFlag('divergence factor', (n) => n > 1, '> 1'))
    .option('--divergence-window <n>', 'steps in the running median of the loss (default 25)', parseIntegerFlag(1, 'divergence window'))
    .option('--seed <n>', 'seed for init, LoRA init, data order and dropout (default 42); --data-seed chooses the data', parseIntegerFlag(0, 'seed'))
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores)', parseIntegerFlag(1, 'threads'))
    .addOption(deviceOption(/* none here: TrainOptions' default is auto */))
    .option('--out <dir>', 'run folder (default runs/<timestamp>-<method>)')
    .option('--overwrite', 'use an existing, non-empty --out folder; an earlier run in it is removed first')
    .addOption(new Option('--precision <p>', 'fp32, or bf16 autocast with float32 master weights (default fp32)').choices([...PRECISIONS]))
    .addOption(new Option('--base-dtype <p>', "how the frozen base weights are stored: bf16 (default under --precision bf16: half the memory, no cast per step) or fp32").choices([...PRECISIONS]))
    .option('--gradient-checkpointing', 'recompute each decoder layer in backward: less memory, same gradients, slower')
    .option('--save-steps <n>', 'save a checkpoint (for --resume) every n steps and at the end (default: none)', parseIntegerFlag(1, 'save steps'))
    .option('--save-total-limit <k>', 'keep the last k checkpoints plus the best (default: all)', parseIntegerFlag(1, 'save total limit'))
    .option('--metric-for-best-model <name>', 'metric that picks the best checkpoint (default train_loss: mean training loss since the previous checkpoint)')
    .option('--greater-is-better', 'a higher --metric-for-best-model is better (default: lower)')
    .option('--eval-times <k>', 'evaluate on the --dev-tasks dev split k times, evenly spaced (the last at the final step); each is a checkpoint (the study: 8)', parseIntegerFlag(1, 'eval times'))
    .option('--eval-metric <metric>', `with --eval-times: the dev metric that picks the best checkpoint, higher is better: ${EVAL_METRICS.join(' or ')} (default rougeL), or with --eval-benchmark one of its metrics (${Object.entries(BENCHMARK_METRICS).map(([b, m]) => `${b}: ${m!.join('/')}`).join('; ')}; default the first)`)
    .addOption(new Option('--eval-benchmark <name>', 'with --eval-times: evaluate on an open-instruction benchmark instead of SuperNI dev tasks (any training data, e.g. tulu:)').choices(Object.keys(BENCHMARK_METRICS)))
    .option('--bench-data <dir>', "with --eval-benchmark: the benchmark's files in open-instruct's layout (data/eval/<benchmark>)")
    .option('--eval-shots <n>', 'with --eval-benchmark: MMLU shots (default 0) or GSM8K exemplars (default 8)', parseIntegerFlag(0, 'eval shots'))
    .addOption(new Option('--eval-chat-format <format>', 'with --eval-benchmark: wrap prompts as a TÜLU user turn (the default for tulu:/sharegpt: data), a user turn of the model\'s chat template (the default with --chat-template model), or not (none; the default for other data)').choices([...CHAT_FORMATS]))
    .option('--eval-max-instances <n>', 'with --eval-times: instances per dev/test task at most (default 100)', parseIntegerFlag(1, 'eval max instances'))
    .option('--eval-batch-size <n>', 'with --eval-times: prompts generated together (default 16)', parseIntegerFlag(1, 'eval batch size'))
    .option('--max-new-tokens <n>', 'with --eval-times: new tokens per prediction at most (default 128)', parseIntegerFlag(1, 'max new tokens'))
    .option('--test', "with --eval-times: at the end, evaluate the best checkpoint on the test split (<split-dir>/test_tasks.txt) into <out>/test/")
    .option('--resume <run dir>', 'continue an interrupted run from its latest checkpoint, with its recorded options')
    .option(
      '--nproc <n>',
      "data parallelism: start n worker processes on this machine (CPU threads shared out between them; on CUDA, with --device cuda or auto, worker i takes cuda:i, one GPU each: choose the GPUs with CUDA_VISIBLE_DEVICES); each step's batches are split between them, so the run equals one process's. Workers started by hand or by a launcher use torchrun's RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT instead (on CUDA each takes cuda:<LOCAL_RANK> unless --device names cuda:N)",
      parseIntegerFlag(1, 'nproc'),
    )
    .addOption(
      new Option(
        '--zero-stage <stage>',
        'with data parallelism: 1 shards the AdamW state over the ranks (ZeRO stage 1: each rank keeps and updates 1/n of it; the same numbers as 0, the default, where every rank keeps all of it)',
      ).choices(ZERO_STAGES.map(String)),
    )
    .option('--no-tensorboard', 'do not write TensorBoard event files (default: <out>/tensorboard)')
    .option('--log-every <n>', 'without a terminal, print progress every n steps (default 10)', parseIntegerFlag(1, 'log every'))
    .option('--quiet', 'print nothing but errors')
    .option('--verbose', 'show stack traces on errors');
  // Each method's own flags, as its record declares them (src/peft/<method>.ts).
  for (const option of methodFlagOptions()) cmd.addOption(option);
  addDataFlags(cmd)
    .addHelpText('after', EXAMPLES)
    .action(async (flags: TrainFlags, command: Command) => {
      if (flags.resume !== undefined) {
        // The resumed run takes its options from run_config.json; only settings that leave the numbers alone may change.
        const adjustable = new Set(['resume', 'threads', 'device', 'logEvery', 'quiet', 'verbose', 'nproc', 'zeroStage']);
        const given = command.options
          .map((opt) => ({ flag: opt.long ?? opt.flags, key: opt.attributeName() }))
          .filter((o) => command.getOptionValueSource(o.key) === 'cli' && !adjustable.has(o.key));
        if (given.length > 0) {
          throw new TrainOptionsError(`--resume continues a run with the options it was started with; ${given.map((o) => o.flag).join(', ')} cannot be given with it`);
        }
      }
      const distributed = distributedEnvFrom(process.env);
      if (flags.nproc !== undefined && flags.nproc > 1) {
        if (distributed) throw new TrainOptionsError(`--nproc starts its own workers; this process already is rank ${distributed.rank} of ${distributed.worldSize} (WORLD_SIZE is set)`);
        await launch(flags);
        return;
      }
      const zeroStage = flags.zeroStage === undefined ? undefined : (Number(flags.zeroStage) as ZeroStage);
      if (zeroStage === 1 && !distributed) {
        throw new TrainOptionsError('--zero-stage 1 shards the optimizer state over data-parallel ranks: give --nproc n (n >= 2), or start the workers with torchrun\'s WORLD_SIZE');
      }
      await withInterrupts('stopping after this step and saving', ['SIGINT'], async (signal) => {
        const options: TrainOptions = flags.resume !== undefined ? await resumeOptionsFromFlags(flags, flags.resume) : trainOptionsFromFlags(flags);
        const result = await run({ ...options, signal, ...(distributed ? { distributed } : {}), ...(zeroStage !== undefined ? { zeroStage } : {}) });
        if (result.diverged) process.exitCode = EXIT_DIVERGED;
      });
    });
  return cmd;
}
