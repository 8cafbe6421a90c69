// The training loop: resolves options (pure, testable without the addon), loads model + tokenizer + data,
// applies LoRA or full finetuning, runs AdamW steps on the native Trainer with the LR schedule (the next
// batch group is prepared while a step's Promise runs), logs metrics.jsonl, and saves the HF PEFT adapter
// or HF checkpoint plus run_config.json and summary.json into the run folder.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { native, type NativeBatch, type NativeInfo, type NativeModel, type NativeStepResult, type NativeTrainer } from '../native/binding.js';
import { DEVICE_CHOICES_TEXT, isDeviceName, resolveDevice } from '../native/device.js';
import type { DataSummary, TrainingBatch, TrainingExample } from '../data/types.js';
import { DEFAULT_CACHE_DIR, parseDataSpec } from '../data/spec.js';
import type { ChatTemplateChoice, TrainingDataOptions } from '../data/sources.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { getBuiltinPreset, type PresetTrainDefaults } from '../models/builtin.js';
import { CheckpointError, TOKENIZER_FILE_NAMES } from '../models/checkpoint.js';
import { ConfigError } from '../models/config.js';
import { checkModelSpec, loadModel, modelDisplayName, resolveModelSpec, type LoadedModel, type ModelSpec } from '../models/load.js';
import { saveCheckpoint, writeJsonAtomically } from '../models/save.js';
import {
  LoraOptionsError,
  parseTargetModules,
  unmatchedTargets,
  type LoraInit,
  type LoraOptions,
  type LoraTargets,
} from '../peft/lora.js';
import { TRAIN_METHODS, applyMethod, describeMethod, saveAdapter, type MethodSettings, type TrainMethod } from '../peft/methods.js';
import { checkMethodFlags, resolveMethodSettings, type MethodTrainOptions } from './method-options.js';
import { MetricsWriter, type StepMetrics } from './metrics.js';
import { ProgressReporter, type ProgressStream } from './progress.js';
import { SCHEDULE_KINDS, makeSchedule, warmupStepsFor, type ScheduleKind } from './schedule.js';
import { STATE_FILE, findBest, pruneCheckpoints, writeCheckpoint, type BestMetric, type CheckpointRecord, type DataPosition } from './checkpoints.js';
import { RESUME_ADJUSTABLE, findResumePoint, type ResumePoint } from './resume.js';
import { formatSummaryTable } from './summary-table.js';
import { TENSORBOARD_DIR, TensorBoardWriter, trainingScalars } from './tensorboard.js';
import { DEFAULT_DIVERGENCE, DIVERGENCE_POLICIES, DivergenceDetector, type DivergenceEvent, type DivergencePolicy } from './divergence.js';
import { timestamp } from './timestamp.js';

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
  /** TÜLU: the TÜLU chat format (default) or the model's chat_template. */
  chatTemplate?: ChatTemplateChoice;
  /** Pack several examples per row (positions reset per example, no attention across them). */
  packing?: boolean;
  /** Tokens per packed row (default: the longest example). */
  packLength?: number;
  /** Batches of similar lengths in random order (HF group_by_length). */
  groupByLength?: boolean;
  /** Tokenized-data cache folder (default .peft-native-cache/ in the working directory); null: no cache. */
  cacheDir?: string | null;
  /** Fraction of steps with linear warmup (default 0.03 for PEFT, 0 for full finetuning, as the study). */
  warmupRatio?: number;
  /** Default linear for PEFT, constant for full finetuning (the study). */
  schedule?: ScheduleKind;
  /** AdamW weight decay (default 0.01 for PEFT, 0 for full finetuning, as the study); never on biases and norms. */
  weightDecay?: number;
  maxGradNorm?: number;
  /** What a divergence (non-finite loss/gradient norm, loss spike) does: stop the run (default) or flag it and go on. */
  onDivergence?: DivergencePolicy;
  /** A loss above this factor x the running median is a spike (default 4). */
  divergenceFactor?: number;
  /** Steps in the running median (default 25). */
  divergenceWindow?: number;
  seed?: number;
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
  /** Recompute each decoder layer in backward (less memory, same gradients). */
  gradientCheckpointing?: boolean;
  /** Continue the run in this folder from its latest checkpoint, with its recorded options. */
  resume?: string;
  /** Evaluation during training (the hook for `peft-native eval`'s machinery): called after the listed steps. */
  evaluator?: TrainEvaluator;
  /** After a completed run: the best checkpoint's trainable weights are loaded into the model (and saved to
   * <out>/best), then this evaluates it; its metrics go to summary.json as `test`. */
  finalEvaluator?: FinalEvaluator;
  /** Write TensorBoard event files to <out>/tensorboard (default true). */
  tensorboard?: boolean;
  /** Print a plain progress line every this many steps when stdout is not a terminal (default 10). */
  logEvery?: number;
  /** Where progress and messages go (default process.stdout). */
  stdout?: ProgressStream;
  /** Force (true) or suppress (false) the live \r progress line; default: stdout is a TTY. */
  liveProgress?: boolean;
  quiet?: boolean;
  /** Stops after the current step (the adapter is still saved); the CLI wires Ctrl-C to it. */
  signal?: AbortSignal;
  /** Called after every step. */
  onStep?: (metrics: StepMetrics) => void;
  /** Used for the default run folder name. */
  now?: Date;
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
  chatTemplate: ChatTemplateChoice | null;
  packing: boolean;
  packLength: number | null;
  groupByLength: boolean;
  cacheDir: string | null;
  warmupRatio: number;
  schedule: ScheduleKind;
  weightDecay: number;
  maxGradNorm: number;
  divergence: { policy: DivergencePolicy; factor: number; window: number };
  adam: { beta1: number; beta2: number; eps: number };
  seed: number;
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
  gradientCheckpointing: boolean;
}

export type Precision = 'fp32' | 'bf16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

/**
 * Evaluation during training. After each listed step (1-based) the loop calls `evaluate`; its metrics go to
 * metrics.jsonl (as eval_<name>), TensorBoard (eval/<name>) and a checkpoint saved at that step, so the best
 * checkpoint by a dev metric (bestMetric) is kept.
 */
export interface TrainEvaluator {
  /** The steps, or a function of the run's total steps (known once the data is loaded). */
  steps: number[] | ((totalSteps: number) => number[]);
  evaluate(context: { step: number; model: NativeModel; tokenizer: TextTokenizer; runDir: string }): Promise<Record<string, number>>;
}

/** The evaluation at the end of a completed run, on the best checkpoint's weights (the final ones without a best). */
export interface FinalEvaluator {
  evaluate(context: { model: NativeModel; tokenizer: TextTokenizer; runDir: string; best: TrainSummary['best'] }): Promise<Record<string, number>>;
}

/** Where the best checkpoint's weights are saved (adapter or full checkpoint) when a final evaluation runs. */
export const BEST_WEIGHTS_DIR = 'best';

export interface TrainSummary {
  method: TrainMethod;
  model: string;
  data: string;
  steps: number;
  totalSteps: number;
  epochs: number;
  firstLoss: number | null;
  lastLoss: number | null;
  meanFirst10: number | null;
  meanLast10: number | null;
  targetTokens: number;
  realTokens: number;
  elapsedSec: number;
  tokensPerSec: number;
  trainableParameters: number;
  totalParameters: number;
  /** completed; interrupted (Ctrl-C / abort); diverged (stopped at a divergence, or flagged with --on-divergence continue). */
  status: RunStatus;
  diverged: boolean;
  /** The first divergence, or null. */
  divergence: DivergenceEvent | null;
  /** Steps flagged as diverged (with --on-divergence continue there may be several). */
  divergedSteps: number;
  /** The metrics of the last step before the first divergence (or the last step when none). */
  lastGood: StepMetrics | null;
  interrupted: boolean;
  saved: string | null;
  /** The step the run was resumed from, or null. */
  resumedFrom: number | null;
  /** The best checkpoint by the chosen metric, or null (no checkpoints). */
  best: { step: number; metric: string; value: number; dir: string } | null;
  /** The final evaluation (TrainOptions.finalEvaluator): the weights it saw (the best checkpoint's step, or the
   * last step without one), where they were saved, and its metrics; absent without a final evaluator. */
  test?: { step: number; weights: string | null; metrics: Record<string, number> } | null;
}

export type RunStatus = 'completed' | 'interrupted' | 'diverged';

export interface TrainResult extends TrainSummary {
  out: string;
  losses: number[];
  options: ResolvedTrainOptions;
  /** Files of the adapter (LoRA) or checkpoint (full), empty when nothing was saved. */
  savedFiles: string[];
  dataSummary: DataSummary;
}

/** A bad option value: the CLI reports it in one line with exit code 2. */
export class TrainOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainOptionsError';
  }
}

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

function fail(message: string): never {
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
export function resolveTrainOptions(o: TrainOptions = {}): ResolvedTrainOptions {
  const method = o.method ?? 'lora';
  if (!TRAIN_METHODS.includes(method)) fail(`unknown method "${String(method)}" (expected ${TRAIN_METHODS.join(' or ')})`);
  const model = o.model ?? 'builtin:tiny';
  let modelSpec: ModelSpec;
  try {
    modelSpec = resolveModelSpec(model);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const data = o.data ?? 'builtin';
  checkDataSpec(data);
  const tulu = parseDataSpec(data).kind === 'tulu';
  const superniOnly = (['splitDir', 'devTasks', 'trainTasks', 'posExamples', 'instancesPerTask', 'maxSourceLength', 'maxTargetLength'] as const).filter((k) => o[k] !== undefined);
  if (tulu && superniOnly.length > 0) fail(`${superniOnly.map(flagName).join(', ')} apply to SuperNI data, not to ${data}`);
  if (!tulu && o.chatTemplate !== undefined) fail(`--chat-template applies to tulu:<file> data, not to ${data}`);
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
  checkInt('pack length', o.packLength, 2);
  checkInt('seed', o.seed, 0);
  checkInt('threads', o.threads, 1);
  if (o.device !== undefined && !isDeviceName(o.device)) fail(`unknown device "${o.device}" (expected ${DEVICE_CHOICES_TEXT})`);
  checkInt('log every', o.logEvery, 1);
  checkNumber('learning rate', o.lr, 0, Infinity, false);
  checkNumber('warmup ratio', o.warmupRatio, 0, 1, true);
  checkNumber('weight decay', o.weightDecay, 0, Infinity, true);
  checkNumber('max grad norm', o.maxGradNorm, 0, Infinity, true);
  checkNumber('divergence factor', o.divergenceFactor, 1, Infinity, false);
  checkInt('divergence window', o.divergenceWindow, 1);
  checkInt('save steps', o.saveSteps, 1);
  checkInt('save total limit', o.saveTotalLimit, 1);
  if (o.precision !== undefined && !PRECISIONS.includes(o.precision)) fail(`unknown precision "${String(o.precision)}" (expected ${PRECISIONS.join(' or ')})`);
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
  const isPeft = method !== 'full';
  if ((method === 'prompt' || method === 'prefix') && o.packing) {
    // Virtual tokens belong to one sequence per row; packed rows hold several.
    fail(`--packing cannot be used with --method ${method} (virtual tokens need one sequence per row)`);
  }

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
    if (!overwrite && readdirSync(out).length > 0) fail(`--out ${out} already exists and is not empty; choose another folder or pass --overwrite`);
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
    maxSourceLength: o.maxSourceLength ?? (preset || tulu ? null : STUDY.maxSourceLength),
    maxTargetLength: o.maxTargetLength ?? (preset || tulu ? null : STUDY.maxTargetLength),
    instancesPerTask: o.instancesPerTask ?? null,
    splitDir: o.splitDir ?? null,
    devTasks: o.devTasks ?? null,
    trainTasks: o.trainTasks ?? null,
    posExamples: o.posExamples ?? null,
    chatTemplate: o.chatTemplate ?? null,
    packing: o.packing ?? false,
    packLength: o.packLength ?? null,
    groupByLength: o.groupByLength ?? false,
    cacheDir: o.cacheDir === null ? null : path.resolve(o.cacheDir ?? DEFAULT_CACHE_DIR),
    warmupRatio: o.warmupRatio ?? (isPeft ? STUDY.peftWarmupRatio : 0),
    schedule: o.schedule ?? (isPeft ? 'linear' : 'constant'),
    weightDecay: o.weightDecay ?? (isPeft ? STUDY.peftWeightDecay : STUDY.fullWeightDecay),
    maxGradNorm: o.maxGradNorm ?? 1.0,
    divergence: {
      policy: o.onDivergence ?? 'stop',
      factor: o.divergenceFactor ?? DEFAULT_DIVERGENCE.factor,
      window: o.divergenceWindow ?? DEFAULT_DIVERGENCE.window,
    },
    adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    seed: o.seed ?? 42,
    threads: o.threads ?? null,
    device: o.device ?? 'auto',
    out,
    overwrite,
    tensorboard: o.tensorboard ?? true,
    saveSteps: o.saveSteps ?? null,
    saveTotalLimit: o.saveTotalLimit ?? null,
    bestMetric: o.bestMetric ?? { name: 'train_loss', greaterIsBetter: false },
    precision: o.precision ?? 'fp32',
    gradientCheckpointing: o.gradientCheckpointing ?? false,
    logEvery: o.logEvery ?? 10,
  };
}

/** `splitDir` -> `--split-dir`. */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** What the data loader gets from the resolved options (unset ones keep the loader's defaults). */
export function trainingDataOptions(r: ResolvedTrainOptions): TrainingDataOptions {
  const o: TrainingDataOptions = { seed: r.seed };
  if (r.maxLength !== null) o.maxLength = r.maxLength;
  if (r.maxSourceLength !== null) o.maxSourceLength = r.maxSourceLength;
  if (r.maxTargetLength !== null) o.maxTargetLength = r.maxTargetLength;
  if (r.instancesPerTask !== null) o.instancesPerTask = r.instancesPerTask;
  if (r.splitDir !== null) o.splitDir = r.splitDir;
  if (r.devTasks !== null) o.devTasks = r.devTasks;
  if (r.trainTasks !== null) o.trainTasks = r.trainTasks;
  if (r.posExamples !== null) o.posExamples = r.posExamples;
  if (r.chatTemplate !== null) o.chatTemplate = r.chatTemplate;
  return o;
}

/** Parameters that get no weight decay: biases and norm weights (RMSNorm, q/k norms). */
export function isNoDecayParameter(name: string): boolean {
  return name.endsWith('.bias') || /(^|\.)[a-z_]*norm[a-z_]*\.weight$/i.test(name);
}

/** A TrainingBatch as the native side takes it (same buffers, no copy). */
export function toNativeBatch(b: TrainingBatch): NativeBatch {
  const batch: NativeBatch = { inputIds: b.inputIds, labels: b.labels, attentionMask: b.attentionMask, batchSize: b.batchSize, seqLen: b.seqLen };
  if (b.positionIds) batch.positionIds = b.positionIds;
  if (b.sequenceIds) batch.sequenceIds = b.sequenceIds;
  return batch;
}

export interface UpdateGroup {
  epoch: number;
  batches: TrainingBatch[];
  /** Where the following group starts (a checkpoint's data position). */
  next: DataPosition;
}

/**
 * The optimizer updates as groups of `accumulation` consecutive batches, epoch after epoch (batches reshuffled
 * per epoch; the last group of an epoch may be smaller), until `maxUpdates` groups or the epochs run out.
 * Groups without target tokens are skipped (they would divide by zero).
 */
export function* updateGroups(
  batchesForEpoch: (epoch: number) => Iterable<TrainingBatch>,
  o: { accumulation: number; maxUpdates: number; maxEpochs: number; start?: DataPosition },
): Generator<UpdateGroup> {
  let produced = 0;
  for (let epoch = o.start?.epoch ?? 0; epoch < o.maxEpochs && produced < o.maxUpdates; epoch++) {
    const batches = batchesForEpoch(epoch)[Symbol.iterator]();
    let current = batches.next();
    if (current.done) return; // an epoch without batches: nothing more will come
    // On resume, skip the batches of the start epoch that earlier groups used.
    const skip = epoch === o.start?.epoch ? o.start.batch : 0;
    let index = 0;
    for (; index < skip && !current.done; index++) current = batches.next();
    while (!current.done && produced < o.maxUpdates) {
      const group: TrainingBatch[] = [];
      for (; group.length < o.accumulation && !current.done; index++) {
        group.push(current.value);
        current = batches.next();
      }
      if (group.reduce((s, b) => s + b.targetTokens, 0) === 0) continue;
      produced++;
      // One batch of lookahead tells whether the epoch is over.
      yield { epoch, batches: group, next: current.done ? { epoch: epoch + 1, batch: 0 } : { epoch, batch: index } };
    }
  }
}

/** Total optimizer updates for a run: `steps`, or epochs x ceil(batches per epoch / accumulation). */
export function totalUpdates(o: { steps: number | null; epochs: number | null; batchesPerEpoch: number; accumulation: number }): number {
  if (o.steps !== null) return o.steps;
  return (o.epochs ?? 1) * Math.ceil(o.batchesPerEpoch / o.accumulation);
}

/** One optimizer update over a group: a plain step, or accumulation normalized by the group's target tokens. */
export async function runUpdate(trainer: NativeTrainer, group: TrainingBatch[], lr: number): Promise<NativeStepResult> {
  if (group.length === 1) return trainer.step(toNativeBatch(group[0]!), lr);
  const normalizer = group.reduce((s, b) => s + b.targetTokens, 0);
  for (const b of group) await trainer.accumulate(toNativeBatch(b), normalizer);
  return trainer.update(lr);
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** first/last loss and the means of the first and last 10 (for summary.json). */
export function lossSummary(losses: number[]): Pick<TrainSummary, 'firstLoss' | 'lastLoss' | 'meanFirst10' | 'meanLast10'> {
  return {
    firstLoss: losses[0] ?? null,
    lastLoss: losses.length > 0 ? losses[losses.length - 1]! : null,
    meanFirst10: mean(losses.slice(0, 10)),
    meanLast10: mean(losses.slice(-10)),
  };
}

async function tokenizerFilesOf(loaded: LoadedModel): Promise<string[]> {
  if (loaded.source.kind === 'hf') return loaded.source.checkpoint.tokenizerFiles;
  // Built-in models: the shipped tokenizer files, so the saved checkpoint is complete for transformers.
  const { builtinAssetsDir } = await import('../builtin/index.js');
  const dir = builtinAssetsDir();
  return TOKENIZER_FILE_NAMES.map((n) => path.join(dir, n)).filter((f) => existsSync(f));
}

/** The resume point of options.resume; other options that would change the numbers are refused. */
async function resumePointFor(options: TrainOptions): Promise<ResumePoint<ResolvedTrainOptions>> {
  const adjustable: readonly string[] = RESUME_ADJUSTABLE;
  const fixed = Object.entries(options)
    .filter(([k, v]) => v !== undefined && !adjustable.includes(k))
    .map(([k]) => k);
  if (fixed.length > 0) fail(`--resume continues a run with the options it was started with; ${fixed.join(', ')} cannot be given with it`);
  return findResumePoint<ResolvedTrainOptions>(options.resume!, fail);
}

/** metrics.jsonl as the checkpoint saw it: steps after the checkpoint (run again now) are dropped. */
async function restoreMetrics(checkpointDir: string, runDir: string): Promise<void> {
  const target = path.join(runDir, 'metrics.jsonl');
  const tmp = `${target}.tmp-${process.pid}`;
  await copyFile(path.join(checkpointDir, 'metrics.jsonl'), tmp);
  await rename(tmp, target);
}

/** Trains per the options; see TrainOptions for the defaults. */
export async function train(options: TrainOptions = {}): Promise<TrainResult> {
  const resume = options.resume !== undefined ? await resumePointFor(options) : null;
  const r: ResolvedTrainOptions = resume
    ? {
        ...resume.options,
        threads: options.threads ?? resume.options.threads,
        // Runs recorded before --device existed trained on the CPU.
        device: options.device ?? resume.options.device ?? 'cpu',
        logEvery: options.logEvery ?? resume.options.logEvery,
      }
    : resolveTrainOptions(options);
  const stdout: ProgressStream = options.stdout ?? process.stdout;
  const say = (msg: string) => {
    if (!options.quiet) stdout.write(msg + '\n');
  };

  // A bad model folder (layout, config.json, tokenizer) is a bad option: report it before anything loads.
  try {
    await checkModelSpec(r.model);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CheckpointError) throw new TrainOptionsError(err.message);
    throw err;
  }
  // The data and model modules load lazily, so option checking (and `--help`) stays quick.
  const [{ prepareDataset }, { BatchSource, prefetch }] = await Promise.all([import('../data/dataset.js'), import('../data/batch-source.js')]);
  const addon = native();
  if (r.threads !== null) addon.setNumThreads(r.threads);
  addon.manualSeed(r.seed);
  const info: NativeInfo = addon.info();
  const device = resolveDevice(r.device);
  say(`peft-native: ${describeMethod(r.methodSettings)} on ${modelDisplayName(r.modelSpec)}, data ${r.data}`);
  say(`  libtorch ${info.torchVersion}, device ${device}${info.cudaAvailable ? ` (CUDA devices: ${info.cudaDevices.join(', ')})` : ''}, ${info.threads} CPU threads`);

  const loaded = await loadModel(r.model, { seed: r.seed });
  const { model, tokenizer, config } = loaded;

  const data = await prepareDataset(r.data, tokenizer, trainingDataOptions(r), { dir: r.cacheDir });
  const examples: TrainingExample[] = data.examples;
  const ds = data.summary;
  if (data.cache) say(`  tokenized data ${data.cache.hit ? 'loaded from' : 'cached in'} ${data.cache.file}`);
  say(
    `  data: ${ds.source}: ${ds.tasks} task(s), ${ds.examples.toLocaleString('en-US')} examples, ${ds.tokens.toLocaleString('en-US')} tokens` +
      ` (${ds.truncated} truncated, ${ds.dropped} dropped)`,
  );
  for (const note of ds.notes) say(`    ${note}`);
  if (examples.length === 0) throw new Error(`the data ${r.data} gave no training examples${ds.notes.length ? `: ${ds.notes.join('; ')}` : ''}`);
  const longest = examples.reduce((m, e) => Math.max(m, e.inputIds.length), 0);
  if (longest > config.maxPositionEmbeddings) {
    say(`  warning: the longest example has ${longest} tokens, more than the model's max_position_embeddings (${config.maxPositionEmbeddings})`);
  }

  let targetedModules: string[] = [];
  if (r.lora) {
    targetedModules = applyMethod(model, r.methodSettings, config, r.seed);
    const unmatched = unmatchedTargets(r.lora.targets, targetedModules);
    if (unmatched.length > 0) say(`  warning: LoRA target(s) ${unmatched.join(', ')} matched no module`);
    say(`  ${r.method === 'dora' ? 'DoRA' : 'LoRA'} on ${targetedModules.length} modules`);
  } else {
    targetedModules = applyMethod(model, r.methodSettings, config, r.seed);
    if (targetedModules.length > 0) say(`  ${r.method} on ${targetedModules.length} modules`);
  }
  if (r.gradientCheckpointing) model.setGradientCheckpointing(true);
  await model.moveTo(device);
  const count = model.parameterCount();
  say(
    `  trainable params: ${count.trainable.toLocaleString('en-US')} || all params: ${count.total.toLocaleString('en-US')} || trainable%: ${((100 * count.trainable) / count.total).toFixed(4)}`,
  );

  const trainableNames = model.parameterNames({ trainableOnly: true });
  const trainer = new addon.Trainer(model, {
    lr: r.lr,
    weightDecay: r.weightDecay,
    beta1: r.adam.beta1,
    beta2: r.adam.beta2,
    eps: r.adam.eps,
    maxGradNorm: r.maxGradNorm,
    noDecay: trainableNames.filter(isNoDecayParameter),
    precision: r.precision,
  });

  const batchSource = new BatchSource(examples, {
    batchSize: r.batchSize,
    padId: tokenizer.padId,
    seed: r.seed,
    groupByLength: r.groupByLength,
    packing: r.packing ? { maxTokens: r.packLength ?? longest } : null,
  });
  const batchesPerEpoch = batchSource.batchCount(0);
  const total = totalUpdates({ steps: r.steps, epochs: r.epochs, batchesPerEpoch, accumulation: r.gradientAccumulation });
  const warmupSteps = warmupStepsFor(total, r.warmupRatio);
  const schedule = makeSchedule({ kind: r.schedule, baseLr: r.lr, totalSteps: total, warmupSteps });
  const updatesPerEpoch = Math.ceil(batchesPerEpoch / r.gradientAccumulation);
  const maxEpochs = r.epochs ?? Math.ceil(total / Math.max(1, updatesPerEpoch)) + 1;
  say(
    `  ${total} steps (${batchesPerEpoch} batches of ${r.batchSize}${r.packing ? ` packed rows of ${r.packLength ?? longest} tokens` : ''} per epoch${r.groupByLength ? ', grouped by length' : ''}` +
      `${r.gradientAccumulation > 1 ? `, ${r.gradientAccumulation} batches per step: effective batch ${r.batchSize * r.gradientAccumulation}` : ''}), ` +
      `lr ${r.lr} ${r.schedule}${warmupSteps > 0 ? ` with ${warmupSteps} warmup steps` : ''}, weight decay ${r.weightDecay}, max grad norm ${r.maxGradNorm}`,
  );

  if (resume && resume.record.totalSteps !== total) {
    throw new Error(`${resume.checkpoint.dir}: the checkpoint is of a run with ${resume.record.totalSteps} steps, this one has ${total} (the data changed?)`);
  }
  await mkdir(r.out, { recursive: true });
  if (r.overwrite) await rm(path.join(r.out, 'metrics.jsonl'), { force: true });
  if (resume) {
    await trainer.loadState(resume.stateFile);
    await restoreMetrics(resume.checkpoint.dir, r.out);
  }
  const runConfig = {
    options: r,
    model: {
      source: loaded.source.kind === 'hf' ? { kind: 'hf', dir: loaded.source.dir, weightFiles: loaded.source.checkpoint.weightFiles } : loaded.source,
      config,
    },
    tokenizer: { source: tokenizer.source, vocabSize: tokenizer.vocabSize, eosId: tokenizer.eosId, padId: tokenizer.padId, bosId: tokenizer.bosId },
    data: { summary: ds, selection: data.selection, cache: data.cache },
    lora: r.lora ? { targetedModules } : null,
    method: { settings: r.methodSettings, targetedModules },
    parameters: count,
    schedule: { kind: r.schedule, totalSteps: total, warmupSteps, batchesPerEpoch },
    native: info,
    device,
    node: process.version,
    startedAt: new Date().toISOString(),
  };
  if (!resume) await writeJsonAtomically(path.join(r.out, 'run_config.json'), runConfig);
  say(`  run folder: ${r.out}`);
  if (resume) say(`  resumed from ${resume.checkpoint.dir} (step ${resume.record.step} of ${total})`);

  const metrics = new MetricsWriter(r.out);
  const tensorboard = r.tensorboard
    ? new TensorBoardWriter(path.join(r.out, TENSORBOARD_DIR), resume ? { resumeStep: resume.record.step + 1 } : {})
    : null;
  const progress = new ProgressReporter({
    total,
    stream: stdout,
    logEvery: r.logEvery,
    ...(options.liveProgress !== undefined ? { live: options.liveProgress } : {}),
  });
  const quietProgress = options.quiet ?? false;

  const from = resume?.record;
  const losses: number[] = from ? [...from.losses] : [];
  let step = from?.step ?? 0;
  let lastEpoch = from?.epoch ?? 0;
  let targetTokens = from?.targetTokens ?? 0;
  let realTokens = from?.realTokens ?? 0;
  const detector = new DivergenceDetector({ factor: r.divergence.factor, window: r.divergence.window });
  if (from) detector.restore(from.divergence.history);
  let divergence: DivergenceEvent | null = from?.divergence.first ?? null;
  let divergedSteps = from?.divergence.divergedSteps ?? 0;
  let stoppedAtDivergence = false;
  let lastGood: StepMetrics | null = from?.divergence.lastGood ?? null;
  let interrupted = false;
  const firstStep = step;
  let firstStepSec = 0;
  let firstStepTokens = 0;
  const start = performance.now();
  const priorSec = from?.elapsedSec ?? 0;
  let position: DataPosition = from?.position ?? { epoch: 0, batch: 0 };
  let lastCheckpointStep = step;
  let best: TrainSummary['best'] = null;
  if (resume) {
    const b = await findBest(r.out, r.bestMetric);
    best = b ? { step: b.step, metric: r.bestMetric.name, value: b.value, dir: b.dir } : null;
  }

  const saveCheckpointNow = async (extraMetrics: Record<string, number> = {}): Promise<void> => {
    const sinceLast = losses.slice(lastCheckpointStep).filter((x) => Number.isFinite(x));
    const trainLoss = mean(sinceLast);
    const record: CheckpointRecord = {
      format: 1,
      step,
      totalSteps: total,
      position,
      epoch: lastEpoch,
      targetTokens,
      realTokens,
      elapsedSec: priorSec + (performance.now() - start) / 1000,
      losses,
      divergence: { history: detector.history(), first: divergence, divergedSteps, lastGood },
      metrics: { ...(trainLoss !== null ? { train_loss: trainLoss } : {}), ...extraMetrics },
      savedAt: new Date().toISOString(),
    };
    await writeCheckpoint(r.out, record, (file) => trainer.saveState(file, { step: String(step) }), metrics.file);
    lastCheckpointStep = step;
    const b = await pruneCheckpoints(r.out, r.saveTotalLimit, r.bestMetric);
    best = b ? { step: b.step, metric: r.bestMetric.name, value: b.value, dir: b.dir } : null;
  };
  const plannedEvalSteps = options.evaluator?.steps ?? [];
  const evalSteps = new Set(typeof plannedEvalSteps === 'function' ? plannedEvalSteps(total) : plannedEvalSteps);

  // The next group (a new epoch's plan + collation) is prepared while the native step runs.
  const groups = prefetch(
    updateGroups((e) => batchSource.batches(e), { accumulation: r.gradientAccumulation, maxUpdates: total - step, maxEpochs, start: position }),
  );
  try {
    for await (const group of groups) {
      if (step >= total) break;
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const lr = schedule(step);
      const stepStart = performance.now();
      const result = await runUpdate(trainer, group.batches, lr);
      const stepSec = (performance.now() - stepStart) / 1000;
      step++;
      lastEpoch = group.epoch;
      position = group.next;
      const groupReal = group.batches.reduce((s, b) => s + b.realTokens, 0);
      targetTokens += result.targetTokens;
      realTokens += groupReal;
      const elapsedSec = priorSec + (performance.now() - start) / 1000;
      losses.push(result.loss);
      const record: StepMetrics = {
        step,
        epoch: group.epoch,
        loss: result.loss,
        lr,
        gradNorm: result.gradNorm,
        targetTokens: result.targetTokens,
        tokensPerSec: stepSec > 0 ? groupReal / stepSec : 0,
        elapsedSec,
      };
      const event = detector.check(step, result.loss, result.gradNorm);
      if (event) {
        record.divergence = event.reason;
        divergedSteps++;
        divergence ??= event;
      } else if (divergence === null) {
        lastGood = record;
      }
      metrics.append(record);
      tensorboard?.scalars(step, trainingScalars(record));
      options.onStep?.(record);
      if (step === firstStep + 1) {
        firstStepSec = elapsedSec;
        firstStepTokens = realTokens;
      }
      if (!quietProgress) {
        // Rates leave out the first step: it carries one-time native setup (thread pools, allocator warm-up).
        const steadySec = elapsedSec - firstStepSec;
        const steady = step > firstStep + 1 && steadySec > 0;
        progress.update({
          step,
          epoch: group.epoch,
          loss: result.loss,
          lr,
          gradNorm: result.gradNorm,
          tokensPerSec: steady ? (realTokens - firstStepTokens) / steadySec : elapsedSec > 0 ? realTokens / elapsedSec : 0,
          elapsedSec,
          ...(steady ? { etaSec: (steadySec / (step - firstStep - 1)) * (total - step) } : {}),
        });
      }
      if (event) {
        // Stopping is reported once, after the loop; a flagged step is reported as it happens.
        if (!quietProgress && r.divergence.policy === 'continue') progress.log(`warning: diverged: ${event.message} (continuing: --on-divergence continue)`);
        if (r.divergence.policy === 'stop') {
          stoppedAtDivergence = true;
          break;
        }
      }
      let evalMetrics: Record<string, number> | null = null;
      if (options.evaluator && evalSteps.has(step)) {
        evalMetrics = await options.evaluator.evaluate({ step, model, tokenizer, runDir: r.out });
        metrics.append({ step, epoch: group.epoch, ...Object.fromEntries(Object.entries(evalMetrics).map(([k, v]) => [`eval_${k}`, v])) });
        tensorboard?.scalars(step, Object.fromEntries(Object.entries(evalMetrics).map(([k, v]) => [`eval/${k}`, v])));
      }
      if (evalMetrics !== null || (r.saveSteps !== null && step % r.saveSteps === 0)) await saveCheckpointNow(evalMetrics ?? {});
    }
    // The end of the run (or a Ctrl-C stop) is a checkpoint too, so an interrupted run can be resumed.
    if (r.saveSteps !== null && !stoppedAtDivergence && step > lastCheckpointStep) await saveCheckpointNow();
  } finally {
    metrics.close();
    tensorboard?.close();
    if (!quietProgress) progress.finish();
  }
  const elapsedSec = priorSec + (performance.now() - start) / 1000;

  let saved: string | null = null;
  let savedFiles: string[] = [];
  const saveWeights = async (dir: string): Promise<string[]> =>
    r.method !== 'full'
      ? saveAdapter(model, dir, r.methodSettings, { baseModelNameOrPath: modelDisplayName(loaded.source), config })
      : saveCheckpoint(model, dir, { hfConfig: loaded.hfConfig, config, tokenizerFiles: await tokenizerFilesOf(loaded) });
  if (stoppedAtDivergence) {
    say(`error: the run diverged: ${divergence!.message} (lr ${schedule(step - 1).toExponential(2)}); the final weights were not saved. Try a lower --lr.`);
  } else if (step > 0) {
    savedFiles = await saveWeights(r.out);
    saved = r.out;
  }

  // The final evaluation: only a completed run; the model takes the best checkpoint's trainable weights.
  let test: TrainSummary['test'] = null;
  if (options.finalEvaluator && divergence === null && !interrupted && step > 0) {
    let weights: string | null = null;
    if (best !== null) {
      await trainer.loadState(path.join(best.dir, STATE_FILE));
      weights = path.join(r.out, BEST_WEIGHTS_DIR);
      await mkdir(weights, { recursive: true });
      await saveWeights(weights);
      say(`  final evaluation with the best checkpoint (step ${best.step}, ${best.metric} ${best.value}); its weights saved to ${weights}`);
    } else {
      say('  final evaluation with the final weights (no checkpoint has the best-checkpoint metric)');
    }
    test = { step: best?.step ?? step, weights, metrics: await options.finalEvaluator.evaluate({ model, tokenizer, runDir: r.out, best }) };
  } else if (options.finalEvaluator) {
    say('  no final evaluation: the run did not complete');
  }

  const summary: TrainSummary = {
    method: r.method,
    model: modelDisplayName(loaded.source),
    data: r.data,
    steps: step,
    totalSteps: total,
    epochs: step === 0 ? 0 : lastEpoch + 1,
    ...lossSummary(losses),
    targetTokens,
    realTokens,
    elapsedSec,
    tokensPerSec: elapsedSec > 0 ? realTokens / elapsedSec : 0,
    trainableParameters: count.trainable,
    totalParameters: count.total,
    status: divergence !== null ? 'diverged' : interrupted ? 'interrupted' : 'completed',
    diverged: divergence !== null,
    divergence,
    divergedSteps,
    lastGood,
    interrupted,
    saved,
    resumedFrom: from?.step ?? null,
    best,
    ...(options.finalEvaluator ? { test } : {}),
  };
  await writeJsonAtomically(path.join(r.out, 'summary.json'), summary);

  say(formatSummaryTable({ ...summary, out: r.out }));
  const peftLayout = ['lora', 'dora', 'ia3', 'prompt', 'prefix'].includes(r.method);
  if (saved && r.method !== 'full') {
    say(`${r.method} adapter (${peftLayout ? 'HF PEFT format' : 'peft-native format'}: adapter_config.json + adapter_model.safetensors) saved to ${saved}`);
    if (loaded.source.kind === 'hf' && peftLayout) {
      say(`  load it in Python: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("${loaded.source.dir}"), "${saved}")`);
    }
  } else if (saved) {
    say(`checkpoint (HF format: config.json + model.safetensors) saved to ${saved}`);
  }
  say(`metrics: ${path.join(r.out, 'metrics.jsonl')}, summary: ${path.join(r.out, 'summary.json')}`);
  if (loaded.source.kind === 'builtin') {
    say('To train on a real Hugging Face checkpoint and SuperNI data:');
    say('  peft-native train --model <hf model dir> --data superni:<natural-instructions dir>');
  }

  return { ...summary, out: r.out, losses, options: r, savedFiles, dataSummary: ds };
}
