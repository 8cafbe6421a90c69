// Training options: what a caller may set (TrainOptions), their defaults (the study's, or a built-in
// preset's) and validation into ResolvedTrainOptions. Pure: needs no addon, so bad flags fail at once.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DistributedEnv } from '../distributed/env.js';
import { DEVICE_CHOICES_TEXT, isDeviceName } from '../native/device.js';
import { DEFAULT_CACHE_DIR, isConversationSpec, isSuperNISpec, parseDataSpec } from '../data/spec.js';
import type { ChatTemplateChoice, TrainingDataOptions } from '../data/sources.js';
import { INSTRUCTION_KINDS, instructionPosExamples, isInstructionKind, type InstructionKind } from '../data/superni/instruction.js';
import { getBuiltinPreset, type PresetTrainDefaults } from '../models/builtin.js';
import { resolveModelSpec, type ModelSpec } from '../models/load.js';
import { LoraOptionsError, parseTargetModules, type LoraInit, type LoraOptions, type LoraTargets } from '../peft/lora.js';
import { TRAIN_METHODS, canonicalMethod, checkMethodFlags, methodSpec, resolveMethodSettings, type MethodSettings, type TrainMethod } from '../peft/methods.js';
import type { MethodTrainOptions } from '../peft/method-spec.js';
import type { ProgressStream } from './progress.js';
import type { StepMetrics } from './metrics.js';
import { SCHEDULE_KINDS, type ScheduleKind } from './schedule.js';
import type { BestMetric } from './checkpoints.js';
import { DEFAULT_DIVERGENCE, DIVERGENCE_POLICIES, type DivergencePolicy } from './divergence.js';
import { timestamp } from './timestamp.js';
import { RECIPES, recipeDefaults, type Recipe } from './recipe.js';
import type { FinalEvaluator, TrainEvaluator } from './loop.js';
import type { Benchmark, ChatFormat } from '../eval/benchmark-run.js';
import { UsageError } from '../util/usage-error.js';

export { TRAIN_METHODS, type TrainMethod };

/** What a caller (the CLI or a script) may set; everything left out gets the documented default. */
export interface TrainOptions extends MethodTrainOptions {
  /** HF model folder, `builtin:<name>` or a built-in name. Default `builtin:tiny`. */
  model?: string;
  /** `builtin`, `superni:<dir>` or a task .json path. Default `builtin`. */
  data?: string;
  method?: TrainMethod;
  /** LoRA rank (default 8; built-in presets bring their own). */
  rank?: number;
  /** LoRA alpha (default = rank, as the study). */
  alpha?: number;
  dropout?: number;
  /** Module names, `re:<regex>`, `all-linear`, or parsed targets. Default q_proj,v_proj. */
  targetModules?: string | string[] | LoraTargets;
  rslora?: boolean;
  loraInit?: LoraInit;
  /** Peak learning rate (default LoRA 1e-4, full 1e-5, the study's picks; built-in presets bring their own). */
  lr?: number;
  /** Optimizer steps (exclusive with epochs). */
  steps?: number;
  /** Passes over the data (exclusive with steps). Default 2 for HF models; built-in presets use steps. */
  epochs?: number;
  batchSize?: number;
  /** Batches accumulated per optimizer step (default 1). */
  gradientAccumulation?: number;
  /** Longest tokenized example (prompt + target); default: the data loader's source 1024 + target 128 (presets: their own). */
  maxLength?: number;
  maxSourceLength?: number;
  maxTargetLength?: number;
  /** SuperNI instances per task (default: the data loader's, the study's 100). */
  instancesPerTask?: number;
  /** SuperNI split folder (train_tasks.txt, test_tasks.txt) or a training task list file. */
  splitDir?: string;
  /** SuperNI: dev tasks carved out of the training tasks, and a seeded subset of N training tasks. */
  devTasks?: number;
  trainTasks?: number;
  /** SuperNI: positive demonstration examples in the prompt (default 0, the study; Tk-Instruct: 2). */
  posExamples?: number;
  /** SuperNI: draw the training tasks from this many task categories only (the task-diversity ablation). */
  trainCategories?: number;
  /** SuperNI: the instruction of the training prompts (the instruction-quality ablation; default definition). */
  instruction?: InstructionKind;
  /** TÜLU: the TÜLU chat format (default) or the model's chat_template. */
  chatTemplate?: ChatTemplateChoice;
  /** Pack several examples per row (positions reset per example, no attention across them). */
  packing?: boolean;
  /** Tokens per packed row (default: the longest example). */
  packLength?: number;
  /** Batches of similar lengths in random order (HF group_by_length). */
  groupByLength?: boolean;
  /**
   * Encoder-decoders: what a target shorter than its batch's longest is padded with in the labels: -100
   * (ignore, no loss; default) or the pad id (pad, trained to predict padding, as the study's collator did).
   */
  labelPadding?: LabelPadding;
  /** Tokenized-data cache folder (default .peft-native-cache/ in the working directory); null: no cache. */
  cacheDir?: string | null;
  /** Fraction of steps with linear warmup (default 0.03 for PEFT, 0 for full finetuning, as the study). */
  warmupRatio?: number;
  /** Default linear for PEFT, constant for full finetuning (the study). */
  schedule?: ScheduleKind;
  /** AdamW weight decay (default 0.01 for PEFT, 0 for full finetuning, as the study); never on biases and norms. */
  weightDecay?: number;
  maxGradNorm?: number;
  /** AdamW epsilon (default 1e-8, PyTorch's and HF Trainer's). */
  adamEps?: number;
  /** Which parameters weight decay applies to: matrices (default: not biases and norms) or all (the study's code). */
  weightDecayParams?: WeightDecayParams;
  /** Settings as a named recipe: default (clean, the paper's text) or study (the released code's effective
   * settings, src/train/recipe.ts); options given explicitly win. */
  recipe?: Recipe;
  /** What a divergence (non-finite loss/gradient norm, loss spike) does: stop the run (default) or flag it and go on. */
  onDivergence?: DivergencePolicy;
  /** A loss above this factor x the running median is a spike (default 4). */
  divergenceFactor?: number;
  /** Steps in the running median (default 25). */
  divergenceWindow?: number;
  /** Initialization, method init, data order and dropout (default 42). */
  seed?: number;
  /** SuperNI task split and instance selection (default 42, the study's): the same data whatever `seed`. */
  dataSeed?: number;
  /** libtorch intra-op threads (default: libtorch's). */
  threads?: number;
  /** auto (default: the first CUDA device when there is one, else the CPU), cpu, cuda or cuda:N. */
  device?: string;
  /** Run folder (default runs/<timestamp>-<method>). */
  out?: string;
  /** Allow an existing non-empty run folder (its metrics.jsonl is replaced). */
  overwrite?: boolean;
  /** Save a checkpoint (for --resume) every this many steps, and at the end. Default: no checkpoints. */
  saveSteps?: number;
  /** Keep only the last this many checkpoints, plus the best (default: keep all). */
  saveTotalLimit?: number;
  /** The metric that picks the best checkpoint (default train_loss, the mean training loss since the previous checkpoint, lower is better; an evaluator's metrics may be named). */
  bestMetric?: BestMetric;
  /** fp32 (default) or bf16 autocast with float32 master weights. */
  precision?: Precision;
  /** How the base's frozen matrices are stored: bf16 (the default under precision bf16) or fp32. */
  baseDtype?: Precision;
  /** Recompute each decoder layer in backward (less memory, same gradients). */
  gradientCheckpointing?: boolean;
  /** Continue the run in this folder from its latest checkpoint, with its recorded options. */
  resume?: string;
  /** Evaluation during training (the hook for `peft-native eval`'s machinery): called after the listed steps. */
  evaluator?: TrainEvaluator;
  /** The dev/test evaluation plan behind `evaluator` / `finalEvaluator` (`--eval-times`), recorded in
   * run_config.json so that a resumed run rebuilds them; the caller that sets one sets the other. */
  evaluation?: EvaluationPlan;
  /** After a completed run: the best checkpoint's trainable weights are loaded into the model (and saved to
   * <out>/best), then this evaluates it; its metrics go to summary.json as `test`. */
  finalEvaluator?: FinalEvaluator;
  /** Write TensorBoard event files to <out>/tensorboard (default true). */
  tensorboard?: boolean;
  /** Print a plain progress line every this many steps when stdout is not a terminal (default 10). */
  logEvery?: number;
  /** Where progress and messages go (default process.stdout). */
  stdout?: ProgressStream;
  /** Where errors go, --quiet or not (default process.stderr). */
  stderr?: ProgressStream;
  /** Force (true) or suppress (false) the live \r progress line; default: stdout is a TTY. */
  liveProgress?: boolean;
  quiet?: boolean;
  /** Stops after the current step (the adapter is still saved); the CLI wires Ctrl-C to it. */
  signal?: AbortSignal;
  /** Called after every step. */
  onStep?: (metrics: StepMetrics) => void;
  /** Used for the default run folder name. */
  now?: Date;
  /** One rank of a data-parallel run (torchrun's environment, src/distributed/env.ts); null or absent: one process. */
  distributed?: DistributedEnv | null;
  /** ZeRO stage under data parallelism: 0 (default) every rank keeps all AdamW state; 1 shards it over the ranks
   * (the same numbers, 1/N of the state per rank; checkpoints hold a shard per rank). */
  zeroStage?: ZeroStage;
}

export const ZERO_STAGES = [0, 1] as const;
export type ZeroStage = (typeof ZERO_STAGES)[number];

/** `--eval-times` and its settings, as run_config.json records them (built into evaluators by src/eval/eval-times.ts). */
export interface EvaluationPlan {
  /** Evaluations over the run (>= 1). */
  times: number;
  /** The dev metric that picks the best checkpoint (greater is better). Default rougeL, or the benchmark's first
   * headline metric (src/eval/benchmark-train-evaluator.ts). */
  metric?: string;
  /** An open-instruction benchmark instead of the SuperNI dev split, on the files of `benchData`. */
  benchmark?: Benchmark;
  benchData?: string;
  /** The benchmark's shots (MMLU dev rows, GSM8K exemplars) and prompt wrapping (default: tulu for conversation data). */
  shots?: number;
  chatFormat?: ChatFormat;
  maxInstances?: number;
  batchSize?: number;
  maxNewTokens?: number;
  /** Evaluate the best checkpoint on the test split at the end. */
  test?: boolean;
}

/** Every option with its value, as written to run_config.json. */
export interface ResolvedTrainOptions {
  model: string;
  modelSpec: ModelSpec;
  data: string;
  method: TrainMethod;
  /** The method with its options (every method). */
  methodSettings: MethodSettings;
  /** LoRA / DoRA options (null for other methods). */
  lora: LoraOptions | null;
  lr: number;
  steps: number | null;
  epochs: number | null;
  batchSize: number;
  gradientAccumulation: number;
  maxLength: number | null;
  maxSourceLength: number | null;
  maxTargetLength: number | null;
  instancesPerTask: number | null;
  splitDir: string | null;
  devTasks: number | null;
  trainTasks: number | null;
  posExamples: number | null;
  trainCategories: number | null;
  instruction: InstructionKind | null;
  chatTemplate: ChatTemplateChoice | null;
  packing: boolean;
  packLength: number | null;
  groupByLength: boolean;
  labelPadding: LabelPadding;
  cacheDir: string | null;
  warmupRatio: number;
  schedule: ScheduleKind;
  weightDecay: number;
  maxGradNorm: number;
  weightDecayParams: WeightDecayParams;
  recipe: Recipe;
  divergence: { policy: DivergencePolicy; factor: number; window: number };
  adam: { beta1: number; beta2: number; eps: number };
  seed: number;
  dataSeed: number;
  threads: number | null;
  device: string;
  out: string;
  overwrite: boolean;
  tensorboard: boolean;
  logEvery: number;
  saveSteps: number | null;
  saveTotalLimit: number | null;
  bestMetric: BestMetric;
  precision: Precision;
  baseDtype: Precision;
  gradientCheckpointing: boolean;
  /** The evaluation plan (null: no evaluation during training). */
  evaluation: EvaluationPlan | null;
}

export type Precision = 'fp32' | 'bf16';
/** Label padding of encoder-decoder batches (TrainOptions.labelPadding). */
export const LABEL_PADDINGS = ['ignore', 'pad'] as const;
export type LabelPadding = (typeof LABEL_PADDINGS)[number];

export const WEIGHT_DECAY_PARAMS = ['matrices', 'all'] as const;
export type WeightDecayParams = (typeof WEIGHT_DECAY_PARAMS)[number];
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

/** The lock file of a run folder (src/train/run-lock.ts); a folder holding only it counts as empty. */
export const RUN_LOCK_FILE = '.peft-native.lock';

/** A bad option value: the CLI reports it in one line with exit code 2. */
export class TrainOptionsError extends UsageError {}

const STUDY = {
  loraLr: 1e-4,
  fullLr: 1e-5,
  peftWeightDecay: 0.01,
  fullWeightDecay: 0,
  peftWarmupRatio: 0.03,
  epochs: 2,
  batchSize: 8,
  gradientAccumulation: 2,
  maxSourceLength: 1024,
  maxTargetLength: 128,
};

/** Throws the TrainOptionsError of `message` (a bad option). */
export function fail(message: string): never {
  throw new TrainOptionsError(message);
}

function checkInt(name: string, v: number | undefined, min: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(`${name} must be an integer >= ${min}, got ${String(v)}`);
}

function checkNumber(name: string, v: number | undefined, lo: number, hi: number, loInclusive: boolean): void {
  if (v === undefined) return;
  const ok = typeof v === 'number' && Number.isFinite(v) && (loInclusive ? v >= lo : v > lo) && v <= hi;
  if (!ok) fail(`${name} must be a number ${loInclusive ? '>=' : '>'} ${lo}${hi !== Infinity ? ` and <= ${hi}` : ''}, got ${String(v)}`);
}

function defaultOut(method: TrainMethod, now: Date): string {
  const base = path.join('runs', `${timestamp(now)}-${method}`);
  let candidate = base;
  for (let i = 2; existsSync(candidate); i++) candidate = `${base}-${i}`;
  return candidate;
}

/** Checks a data spec's form and that its path exists, so a typo fails before the model loads. */
export function checkDataSpec(spec: string): void {
  try {
    parseDataSpec(spec);
  } catch (err) {
    fail(`--data: ${(err as Error).message}`);
  }
}

function toTargets(t: TrainOptions['targetModules'], fallback: LoraTargets): LoraTargets {
  if (t === undefined) return fallback;
  if (typeof t === 'string') return parseTargetModules(t);
  if (Array.isArray(t)) return { modules: [...t] };
  return t;
}

/** Fills in defaults and validates every option; throws TrainOptionsError. Needs no addon. */
export function resolveTrainOptions(given: TrainOptions = {}): ResolvedTrainOptions {
  let method: TrainMethod;
  try {
    // One name per combination: `adapter+lora` is `lora+adapter`.
    method = canonicalMethod(String(given.method ?? 'lora'));
  } catch (err) {
    if (err instanceof LoraOptionsError) fail(err.message);
    throw err;
  }
  const recipe = given.recipe ?? 'default';
  if (!RECIPES.includes(recipe)) fail(`unknown recipe "${String(recipe)}" (expected ${RECIPES.join(' or ')})`);
  // The recipe's settings where the caller left an option unset.
  const o: TrainOptions = { ...recipeDefaults(recipe, method, given), ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  const model = o.model ?? 'builtin:tiny';
  let modelSpec: ModelSpec;
  try {
    modelSpec = resolveModelSpec(model);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const data = o.data ?? 'builtin';
  checkDataSpec(data);
  const spec = parseDataSpec(data);
  const superni = isSuperNISpec(spec);
  const superniOnly = (['splitDir', 'devTasks', 'trainTasks', 'trainCategories', 'instruction', 'posExamples', 'instancesPerTask', 'maxSourceLength', 'maxTargetLength'] as const).filter((k) => o[k] !== undefined);
  if (!superni && superniOnly.length > 0) fail(`${superniOnly.map(flagName).join(', ')} apply to SuperNI data, not to ${data}`);
  if (!isConversationSpec(spec) && o.chatTemplate !== undefined) fail(`--chat-template applies to conversation data (tulu:<file>, sharegpt:<file>), not to ${data}`);
  if (o.splitDir !== undefined && !data.trim().startsWith('superni:')) fail(`--split-dir applies to superni:<dir> data, not to ${data}`);
  if (o.splitDir !== undefined && !existsSync(o.splitDir)) fail(`--split-dir ${o.splitDir} does not exist`);
  if (o.chatTemplate !== undefined && !['tulu', 'model'].includes(o.chatTemplate)) fail(`unknown chat template "${String(o.chatTemplate)}" (expected tulu or model)`);
  if (o.packing && o.groupByLength) fail('--packing and --group-by-length exclude each other (packed rows are already full)');
  if (o.packLength !== undefined && !o.packing) fail('--pack-length needs --packing');

  if (o.steps !== undefined && o.epochs !== undefined) fail('give either steps or epochs, not both');
  checkInt('steps', o.steps, 1);
  checkInt('epochs', o.epochs, 1);
  checkInt('batch size', o.batchSize, 1);
  checkInt('gradient accumulation', o.gradientAccumulation, 1);
  checkInt('max length', o.maxLength, 2);
  checkInt('max source length', o.maxSourceLength, 1);
  checkInt('max target length', o.maxTargetLength, 1);
  checkInt('instances per task', o.instancesPerTask, 1);
  checkInt('dev tasks', o.devTasks, 0);
  checkInt('train tasks', o.trainTasks, 1);
  checkInt('positive examples', o.posExamples, 0);
  checkInt('train categories', o.trainCategories, 1);
  if (o.instruction !== undefined && !isInstructionKind(o.instruction)) fail(`unknown --instruction "${String(o.instruction)}" (expected ${INSTRUCTION_KINDS.join(', ')})`);
  if (o.instruction === 'definition+examples' && o.posExamples !== undefined) {
    try {
      instructionPosExamples(o.instruction, o.posExamples);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  checkInt('pack length', o.packLength, 2);
  checkInt('seed', o.seed, 0);
  checkInt('data seed', o.dataSeed, 0);
  checkInt('threads', o.threads, 1);
  if (o.device !== undefined && !isDeviceName(o.device)) fail(`unknown device "${o.device}" (expected ${DEVICE_CHOICES_TEXT})`);
  checkInt('log every', o.logEvery, 1);
  checkNumber('learning rate', o.lr, 0, Infinity, false);
  checkNumber('warmup ratio', o.warmupRatio, 0, 1, true);
  checkNumber('weight decay', o.weightDecay, 0, Infinity, true);
  checkNumber('max grad norm', o.maxGradNorm, 0, Infinity, true);
  checkNumber('AdamW epsilon', o.adamEps, 0, 1, false);
  if (o.weightDecayParams !== undefined && !WEIGHT_DECAY_PARAMS.includes(o.weightDecayParams)) fail(`unknown --weight-decay-params "${String(o.weightDecayParams)}" (expected ${WEIGHT_DECAY_PARAMS.join(' or ')})`);
  checkNumber('divergence factor', o.divergenceFactor, 1, Infinity, false);
  checkInt('divergence window', o.divergenceWindow, 1);
  checkInt('save steps', o.saveSteps, 1);
  checkInt('save total limit', o.saveTotalLimit, 1);
  if (o.labelPadding !== undefined && !LABEL_PADDINGS.includes(o.labelPadding)) fail(`unknown --label-padding "${String(o.labelPadding)}" (expected ${LABEL_PADDINGS.join(' or ')})`);
  if (o.precision !== undefined && !PRECISIONS.includes(o.precision)) fail(`unknown precision "${String(o.precision)}" (expected ${PRECISIONS.join(' or ')})`);
  if (o.baseDtype !== undefined && !PRECISIONS.includes(o.baseDtype)) fail(`unknown --base-dtype "${String(o.baseDtype)}" (expected ${PRECISIONS.join(' or ')})`);
  if (o.baseDtype === 'bf16' && (o.precision ?? 'fp32') !== 'bf16') fail('--base-dtype bf16 needs --precision bf16 (a bfloat16 base computes in bfloat16)');
  if (o.bestMetric !== undefined && (typeof o.bestMetric.name !== 'string' || o.bestMetric.name === '')) fail('the best-checkpoint metric needs a name');
  if (o.onDivergence !== undefined && !DIVERGENCE_POLICIES.includes(o.onDivergence)) fail(`unknown --on-divergence "${String(o.onDivergence)}" (expected ${DIVERGENCE_POLICIES.join(' or ')})`);
  if (o.schedule !== undefined && !SCHEDULE_KINDS.includes(o.schedule)) fail(`unknown schedule "${String(o.schedule)}" (expected ${SCHEDULE_KINDS.join(', ')})`);

  const preset: PresetTrainDefaults | null = modelSpec.kind === 'builtin' ? getBuiltinPreset(modelSpec.name).trainDefaults : null;

  try {
    checkMethodFlags(method, o as Record<string, unknown>);
  } catch (err) {
    if (err instanceof LoraOptionsError) fail(err.message);
    throw err;
  }
  let methodSettings: MethodSettings;
  try {
    methodSettings = resolveMethodSettings(method, o, o.targetModules === undefined ? undefined : toTargets(o.targetModules, { modules: [] }), preset ?? {});
  } catch (err) {
    if (err instanceof LoraOptionsError) fail(err.message);
    throw err;
  }
  const capabilities = methodSpec(method).capabilities;
  // The study's PEFT and full-finetuning defaults differ (learning rate, warmup, schedule, weight decay).
  const isPeft = !capabilities.trainsBase;
  if (!capabilities.packing && o.packing) fail(`--packing cannot be used with --method ${method} (virtual tokens need one sequence per row)`);

  const lr = o.lr ?? (isPeft ? (preset?.lr ?? STUDY.loraLr) : (preset?.fullLr ?? STUDY.fullLr));
  let steps: number | null = o.steps ?? null;
  let epochs: number | null = o.epochs ?? null;
  if (steps === null && epochs === null) {
    if (preset?.steps !== undefined) steps = preset.steps;
    else epochs = STUDY.epochs;
  }
  const now = o.now ?? new Date();
  const out = path.resolve(o.out ?? defaultOut(method, now));
  const overwrite = o.overwrite ?? false;
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) fail(`--out ${out} is a file`);
    if (!overwrite && readdirSync(out).some((n) => n !== RUN_LOCK_FILE)) fail(`--out ${out} already exists and is not empty; choose another folder or pass --overwrite`);
  }

  return {
    model,
    modelSpec,
    data,
    method,
    methodSettings,
    lora: 'lora' in methodSettings ? methodSettings.lora : null,
    lr,
    steps,
    epochs,
    batchSize: o.batchSize ?? preset?.batchSize ?? STUDY.batchSize,
    gradientAccumulation: o.gradientAccumulation ?? (preset ? 1 : STUDY.gradientAccumulation),
    maxLength: o.maxLength ?? preset?.maxLength ?? null,
    maxSourceLength: o.maxSourceLength ?? (preset || !superni ? null : STUDY.maxSourceLength),
    maxTargetLength: o.maxTargetLength ?? (preset || !superni ? null : STUDY.maxTargetLength),
    instancesPerTask: o.instancesPerTask ?? null,
    splitDir: o.splitDir ?? null,
    devTasks: o.devTasks ?? null,
    trainTasks: o.trainTasks ?? null,
    posExamples: o.posExamples ?? null,
    trainCategories: o.trainCategories ?? null,
    instruction: o.instruction ?? null,
    chatTemplate: o.chatTemplate ?? null,
    packing: o.packing ?? false,
    packLength: o.packLength ?? null,
    groupByLength: o.groupByLength ?? false,
    labelPadding: o.labelPadding ?? 'ignore',
    cacheDir: o.cacheDir === null ? null : path.resolve(o.cacheDir ?? DEFAULT_CACHE_DIR),
    warmupRatio: o.warmupRatio ?? (isPeft ? STUDY.peftWarmupRatio : 0),
    schedule: o.schedule ?? (isPeft ? 'linear' : 'constant'),
    weightDecay: o.weightDecay ?? (isPeft ? STUDY.peftWeightDecay : STUDY.fullWeightDecay),
    maxGradNorm: o.maxGradNorm ?? 1.0,
    weightDecayParams: o.weightDecayParams ?? 'matrices',
    recipe,
    divergence: {
      policy: o.onDivergence ?? 'stop',
      factor: o.divergenceFactor ?? DEFAULT_DIVERGENCE.factor,
      window: o.divergenceWindow ?? DEFAULT_DIVERGENCE.window,
    },
    adam: { beta1: 0.9, beta2: 0.999, eps: o.adamEps ?? 1e-8 },
    seed: o.seed ?? 42,
    dataSeed: o.dataSeed ?? 42,
    threads: o.threads ?? null,
    device: o.device ?? 'auto',
    out,
    overwrite,
    tensorboard: o.tensorboard ?? true,
    saveSteps: o.saveSteps ?? null,
    saveTotalLimit: o.saveTotalLimit ?? null,
    bestMetric: o.bestMetric ?? { name: 'train_loss', greaterIsBetter: false },
    precision: o.precision ?? 'fp32',
    baseDtype: o.baseDtype ?? o.precision ?? 'fp32',
    gradientCheckpointing: o.gradientCheckpointing ?? false,
    evaluation: o.evaluation ?? null,
    logEvery: o.logEvery ?? 10,
  };
}

/** `splitDir` -> `--split-dir`. */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** What the data loader gets from the resolved options (unset ones keep the loader's defaults). */
export function trainingDataOptions(r: ResolvedTrainOptions): TrainingDataOptions {
  const o: TrainingDataOptions = { seed: r.dataSeed };
  if (r.maxLength !== null) o.maxLength = r.maxLength;
  if (r.maxSourceLength !== null) o.maxSourceLength = r.maxSourceLength;
  if (r.maxTargetLength !== null) o.maxTargetLength = r.maxTargetLength;
  if (r.instancesPerTask !== null) o.instancesPerTask = r.instancesPerTask;
  if (r.splitDir !== null) o.splitDir = r.splitDir;
  if (r.devTasks !== null) o.devTasks = r.devTasks;
  if (r.trainTasks !== null) o.trainTasks = r.trainTasks;
  if (r.posExamples !== null) o.posExamples = r.posExamples;
  // Run folders written before these options lack them (undefined, not null).
  if (r.trainCategories != null) o.trainCategories = r.trainCategories;
  if (r.instruction != null) o.instruction = r.instruction;
  if (r.chatTemplate !== null) o.chatTemplate = r.chatTemplate;
  return o;
}
