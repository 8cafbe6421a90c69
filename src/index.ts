// The public JS API of peft-native: the same functions the CLI uses.
//
//   import { train } from 'peft-native';
//   const result = await train({ model: './Llama-3.2-1B', data: 'superni:./natural-instructions', rank: 64 });

// Training
export { train, type TrainResult, type TrainSummary, type TrainEvaluator, type FinalEvaluator } from './train/loop.js';
export { resolveTrainOptions, TrainOptionsError, TRAIN_METHODS, type TrainOptions, type ResolvedTrainOptions, type TrainMethod } from './train/options.js';
export { isNoDecayParameter } from './train/updates.js';
export { learningRate, lrMultiplier, makeSchedule, warmupStepsFor, SCHEDULE_KINDS, type ScheduleKind, type ScheduleOptions } from './train/schedule.js';
export { MetricsWriter, readMetrics, METRICS_FILE, type StepMetrics } from './train/metrics.js';
export { ProgressReporter, formatProgressLine, type ProgressUpdate } from './train/progress.js';

// Models
export { loadModel, loadModelWeights, checkModelSpec, resolveModelSpec, modelDisplayName, type LoadedModel, type LoadedWeights, type LoadModelOptions, type ModelSource, type ModelSpec } from './models/load.js';
export { parseModelConfig, readModelConfig, toHfConfig, countParameters, ConfigError, SUPPORTED_MODEL_TYPES, DECODER_MODEL_TYPES } from './models/config.js';
export { resolveCheckpoint, readShardIndex, CheckpointError, TOKENIZER_FILE_NAMES, type ResolvedCheckpoint } from './models/checkpoint.js';
export { BUILTIN_PRESETS, builtinModelConfig, builtinModelNames, getBuiltinPreset, DEFAULT_BUILTIN_MODEL, type BuiltinPreset } from './models/builtin.js';
export { saveCheckpoint, writeFolderAtomically } from './models/save.js';

// LoRA
export {
  DEFAULT_LORA_OPTIONS,
  LoraOptionsError,
  adapterConfig,
  loraSaveEntries,
  loraScaling,
  matchesTarget,
  parseTargetModules,
  peftKey,
  saveLoraAdapter,
  toNativeLoraOptions,
  validateLoraOptions,
  type LoraOptions,
  type LoraTargets,
  type LoraInit,
} from './peft/lora.js';
export { LLAMA_LINEAR_MODULES, linearModuleNames, moduleNameFor, peftTaskType } from './models/module-names.js';

// Every method: apply, save, load (HF PEFT layout for LoRA/DoRA/IA3/prompt/prefix), merge
export { applyMethod, describeMethod, loadAdapter, methodSpec, resolveMethodSettings, saveAdapter, SUPPORTED_PEFT_TYPES, type LoadAdapterChecks, type MethodSettings } from './peft/methods.js';
export type { MethodSpec, MethodTrainOptions, SaveAdapterContext } from './peft/method-spec.js';
export { AdapterError, readAdapterFolder } from './peft/adapter-files.js';
export { mergeAdapter, MERGEABLE_METHODS, type MergeOptions, type MergeResult } from './peft/merge.js';
export type { Ia3Options } from './peft/ia3.js';
export type { BottleneckOptions } from './peft/bottleneck.js';
export type { PromptTuningOptions } from './peft/prompt.js';
export type { PrefixTuningOptions } from './peft/prefix.js';

// Tokenizers and data
export { loadTokenizer } from './tokenizer/load.js';
export type { TextTokenizer } from './tokenizer/types.js';
export { builtinTokenizer, builtinTasks } from './builtin/index.js';
export { loadTrainingData, type TrainingDataOptions, type DataSelection } from './data/sources.js';
export { prepareDataset, datasetCacheKey, type PreparedDataset } from './data/dataset.js';
export { makeBatches } from './data/batching.js';
export { collatePacked } from './data/packing.js';
export { BatchSource, prefetch, type BatchSourceOptions } from './data/batch-source.js';
export { DataError } from './data/errors.js';
export type { TrainingExample, TrainingBatch, DataSummary } from './data/types.js';

// Evaluation metrics (the official SuperNI exact match / ROUGE-L / ROUGE-1)
export {
  scoreInstance,
  aggregateScores,
  taskCategory,
  SUPERNI_TEST_CATEGORIES,
  porterStem,
  rougeTokenize,
  rougeL,
  rouge1,
  normalizeAnswer,
  exactMatch,
  type InstanceScores,
  type MeanScores,
  type ScoredInstance,
  type AggregateScores,
  type HeadlineMetric,
} from './eval/metrics/index.js';

// Generation and evaluation
export { generateTexts, generateTokens, encodePrompts, leftPad, type Generation, type GenerateTextOptions, type GenerateTokensOptions, type TokenGeneration } from './eval/generate.js';
export {
  evaluateSuperNI,
  buildEvalInstances,
  EVAL_SPLITS,
  PREDICTIONS_FILE,
  EVAL_METRICS_FILE,
  type EvalSplit,
  type EvalInstance,
  type Prediction,
  type SuperNIEvalOptions,
  type SuperNIEvalResult,
} from './eval/superni-eval.js';
export { evaluateLoss, type LossEvaluation } from './eval/loss.js';
export { superniTrainEvaluator, type SuperNITrainEvaluatorOptions } from './eval/train-evaluator.js';
export { evalTimesSteps, evalTimesTrainOptions, EVAL_METRICS, type EvalMetric, type EvalTimesOptions } from './eval/eval-times.js';
export { runEvaluation, EvalOptionsError, type EvalRunOptions } from './eval/run-eval.js';

// Native addon
import { native, type NativeInfo } from './native/binding.js';
export { native };
export type {
  NativeAddon,
  NativeAdapterOptions,
  NativeBatch,
  NativeBitfitOptions,
  NativeDeviceMemory,
  NativeForwardResult,
  NativeGenerateOptions,
  NativeGeneratePrompts,
  NativeGenerateResult,
  NativeIa3Options,
  NativeInfo,
  NativeLoraOptions,
  NativeLoraResult,
  NativeModel,
  NativeModelConfig,
  NativeDecoderConfig,
  NativeT5Config,
  NativeParameterCount,
  NativePeftMethod,
  NativePrefixTuningOptions,
  NativePromptTuningOptions,
  NativeStepResult,
  NativeTensorInfo,
  NativeTrainer,
  NativeTrainerOptions,
} from './native/binding.js';

/** libtorch version, CUDA availability and devices, threads (loads the addon). */
export function nativeInfo(): NativeInfo {
  return native().info();
}
