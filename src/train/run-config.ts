// run_config.json: what a run folder records about its run (the options it started with, model, tokenizer,
// data selection, method, schedule, environment) under a versioned schema of its own. The in-memory options
// (ResolvedTrainOptions) may change; the file's fields change only with a new version and a migration here,
// so `train --resume`, `eval --run` and sweeps keep reading folders written by earlier versions.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChatTemplateChoice } from '../data/sources.js';
import type { InstructionKind } from '../data/superni/instruction.js';
import type { ScheduleKind } from './schedule.js';
import type { BestMetric } from './checkpoints.js';
import type { DivergencePolicy } from './divergence.js';
import type { Recipe } from './recipe.js';
import type { EvaluationPlan, LabelPadding, Precision, ResolvedTrainOptions, WeightDecayParams } from './options.js';
import type { MethodSettings, TrainMethod } from '../peft/methods.js';
import type { LoraOptions } from '../peft/lora.js';
import type { ModelSpec } from '../models/load.js';
import { UsageError } from '../util/usage-error.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';

export const RUN_CONFIG_FILE = 'run_config.json';
/** 1: files without a `version` field (before this module); 2: before labelPadding; 3: the schema below. */
export const RUN_CONFIG_VERSION = 3;

/** The options as version 3 records them: on-disk names, mapped from and to ResolvedTrainOptions below. */
export interface RecordedOptions {
  model: string;
  modelSpec: ModelSpec;
  data: string;
  method: TrainMethod;
  methodSettings: MethodSettings;
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
  /** Absent in files written before the ablation flags (read as null). */
  trainCategories?: number | null;
  instruction?: InstructionKind | null;
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
  evaluation: EvaluationPlan | null;
}

/** The whole file (version 3). The parts other than `options` are a record for people and tools. */
export interface RunConfig {
  version: typeof RUN_CONFIG_VERSION;
  options: RecordedOptions;
  [part: string]: unknown;
}

/** ResolvedTrainOptions -> the recorded form, field by field (a renamed option is mapped here). */
export function recordOptions(r: ResolvedTrainOptions): RecordedOptions {
  return {
    model: r.model,
    modelSpec: r.modelSpec,
    data: r.data,
    method: r.method,
    methodSettings: r.methodSettings,
    lora: r.lora,
    lr: r.lr,
    steps: r.steps,
    epochs: r.epochs,
    batchSize: r.batchSize,
    gradientAccumulation: r.gradientAccumulation,
    maxLength: r.maxLength,
    maxSourceLength: r.maxSourceLength,
    maxTargetLength: r.maxTargetLength,
    instancesPerTask: r.instancesPerTask,
    splitDir: r.splitDir,
    devTasks: r.devTasks,
    trainTasks: r.trainTasks,
    posExamples: r.posExamples,
    trainCategories: r.trainCategories,
    instruction: r.instruction,
    chatTemplate: r.chatTemplate,
    packing: r.packing,
    packLength: r.packLength,
    groupByLength: r.groupByLength,
    labelPadding: r.labelPadding,
    cacheDir: r.cacheDir,
    warmupRatio: r.warmupRatio,
    schedule: r.schedule,
    weightDecay: r.weightDecay,
    maxGradNorm: r.maxGradNorm,
    weightDecayParams: r.weightDecayParams,
    recipe: r.recipe,
    divergence: r.divergence,
    adam: r.adam,
    seed: r.seed,
    dataSeed: r.dataSeed,
    threads: r.threads,
    device: r.device,
    out: r.out,
    overwrite: r.overwrite,
    tensorboard: r.tensorboard,
    logEvery: r.logEvery,
    saveSteps: r.saveSteps,
    saveTotalLimit: r.saveTotalLimit,
    bestMetric: r.bestMetric,
    precision: r.precision,
    baseDtype: r.baseDtype,
    gradientCheckpointing: r.gradientCheckpointing,
    evaluation: r.evaluation,
  };
}

/** The recorded form -> ResolvedTrainOptions (the inverse of recordOptions), for a resumed run in `out`. */
export function optionsFromRecord(o: RecordedOptions, out: string): ResolvedTrainOptions {
  return { ...o, trainCategories: o.trainCategories ?? null, instruction: o.instruction ?? null, out };
}

/** A run_config.json that cannot be read: the message names the file and the field. */
export class RunConfigError extends UsageError {}

/** Fields a version 1 file must hold (earlier runs may lack the others, which take their defaults then). */
const V1_REQUIRED = ['model', 'modelSpec', 'data', 'method', 'lr', 'batchSize', 'gradientAccumulation', 'schedule', 'warmupRatio', 'seed', 'dataSeed', 'divergence', 'precision', 'saveSteps'] as const;

/**
 * Version 1 -> 2. Version 1 recorded ResolvedTrainOptions as they were; options added since it began take
 * the value that those runs used: the CPU, biases and norms out of weight decay, the default recipe, no
 * evaluation plan, no packing, and the method's settings rebuilt from `lora` for runs before --method.
 */
function migrateV1(file: string, raw: Record<string, unknown>): RunConfig {
  const options = raw.options as Record<string, unknown>;
  const missing = V1_REQUIRED.filter((k) => !(k in options));
  if (missing.length > 0) throw new RunConfigError(`${file}: options lack ${missing.join(', ')} (written by an older peft-native?); this run cannot be used`);
  const lora = (options.lora ?? null) as LoraOptions | null;
  const methodSettings = options.methodSettings ?? (lora ? { method: options.method, lora } : { method: options.method });
  const defaults: Partial<RecordedOptions> = {
    device: 'cpu',
    weightDecayParams: 'matrices',
    recipe: 'default',
    evaluation: null,
    packing: false,
    packLength: null,
    groupByLength: false,
    gradientCheckpointing: false,
    labelPadding: 'ignore',
  };
  const filled = { ...defaults, ...options, methodSettings, lora } as RecordedOptions;
  return { ...raw, version: RUN_CONFIG_VERSION, options: filled };
}

/** Reads and migrates `<runDir>/run_config.json` to the current version. */
export async function readRunConfig(runDir: string): Promise<RunConfig> {
  const file = path.join(runDir, RUN_CONFIG_FILE);
  if (!existsSync(file)) throw new RunConfigError(`${runDir}: no ${RUN_CONFIG_FILE} (not a peft-native run folder)`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new RunConfigError(`${file}: not valid JSON (${jsonSyntaxProblem(err)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RunConfigError(`${file}: not a JSON object`);
  const record = raw as Record<string, unknown>;
  if (typeof record.options !== 'object' || record.options === null) throw new RunConfigError(`${file}: no "options" object`);
  const version = record.version ?? 1;
  let config: RunConfig;
  if (version === 1) config = migrateV1(file, record);
  // Version 2 -> 3: labelPadding, which those runs did not have: their targets were padded with -100.
  else if (version === 2) config = { ...record, version: RUN_CONFIG_VERSION, options: { labelPadding: 'ignore', ...(record.options as object) } } as RunConfig;
  else if (version === RUN_CONFIG_VERSION) config = record as RunConfig;
  else throw new RunConfigError(`${file}: version ${JSON.stringify(version)} is not one this peft-native reads (1 to ${RUN_CONFIG_VERSION}); a newer peft-native wrote it`);
  // Runs before --base-dtype kept the base in float32 whatever their precision.
  config.options = { ...config.options, baseDtype: config.options.baseDtype ?? 'fp32' };
  checkRecordedTypes(file, config.options);
  return config;
}

/** The JSON type of each scalar recorded option (null allowed where the option may be unset). */
const RECORDED_TYPES: Partial<Record<keyof RecordedOptions, 'number' | 'number?' | 'string' | 'string?' | 'boolean'>> = {
  baseDtype: 'string',
  model: 'string', data: 'string', method: 'string', lr: 'number', steps: 'number?', epochs: 'number?', batchSize: 'number',
  gradientAccumulation: 'number', maxLength: 'number?', maxSourceLength: 'number?', maxTargetLength: 'number?',
  instancesPerTask: 'number?', splitDir: 'string?', devTasks: 'number?', trainTasks: 'number?', posExamples: 'number?',
  trainCategories: 'number?', instruction: 'string?', packing: 'boolean', packLength: 'number?', groupByLength: 'boolean', cacheDir: 'string?', warmupRatio: 'number',
  schedule: 'string', weightDecay: 'number', maxGradNorm: 'number', seed: 'number', dataSeed: 'number', threads: 'number?',
  out: 'string', overwrite: 'boolean', tensorboard: 'boolean', logEvery: 'number', saveSteps: 'number?', saveTotalLimit: 'number?',
  gradientCheckpointing: 'boolean',
};

/** A hand-edited or damaged record fails here, naming the file and the field, not later inside the run. */
function checkRecordedTypes(file: string, options: RecordedOptions): void {
  for (const [key, type] of Object.entries(RECORDED_TYPES) as Array<[keyof RecordedOptions, string]>) {
    const value = (options as unknown as Record<string, unknown>)[key];
    if (value === undefined || (value === null && type.endsWith('?'))) continue;
    const base = type.replace('?', '');
    const ok = base === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === base;
    if (!ok) throw new RunConfigError(`${file}: options.${key} must be a ${base}${type.endsWith('?') ? ' or null' : ''}, got ${JSON.stringify(value)?.slice(0, 40)}`);
  }
}
