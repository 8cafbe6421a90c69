// The training loop: train() takes the run folder's lock, then setUpRun (options, model + tokenizer + data,
// the method, the native Trainer, the LR schedule; run_config.json), runSteps (one native call per optimizer
// step, the next batch group prepared while it runs; metrics.jsonl, TensorBoard, evaluations, checkpoints)
// and finishRun (the HF PEFT adapter or HF checkpoint, the final evaluation, summary.json). Where the run
// stands lives in a RunState (run-state.ts), which a resumed run takes from its checkpoint.
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { native, type NativeInfo, type NativeModel, type NativeParameterCount, type NativeProcessGroup, type NativeTrainer } from '../native/binding.js';
import type { BatchSource } from '../data/batch-source.js';
import { resolveDevice } from '../native/device.js';
import { workerDevice } from '../distributed/device.js';
import type { DataSummary, TrainingExample } from '../data/types.js';
import { IGNORE_INDEX } from '../data/encode.js';
import { isConversationSpec, parseDataSpec } from '../data/spec.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { CheckpointError, TOKENIZER_FILE_NAMES } from '../models/checkpoint.js';
import { ConfigError, isEncoderDecoder, maxPositions } from '../models/config.js';
import { checkModelSpec, loadModel, modelDisplayName, type LoadedModel } from '../models/load.js';
import { saveCheckpoint } from '../models/save.js';
import { writeJsonAtomically } from '../util/atomic-file.js';
import { unmatchedTargets } from '../peft/lora.js';
import { applyMethod, describeMethod, methodSpec, saveAdapter, settingsForModel, type MethodSettings, type TrainMethod } from '../peft/methods.js';
import type { MethodSpec } from '../peft/method-spec.js';
import { MetricsWriter, type StepMetrics } from './metrics.js';
import { ProgressReporter, type ProgressStream } from './progress.js';
import { makeSchedule, warmupStepsFor } from './schedule.js';
import { STATE_FILE, checkpointsDir, findBest, listCheckpoints, pruneCheckpoints, readCheckpoint, stateFilesOf, writeCheckpoint } from './checkpoints.js';
import { writeShardedCheckpoint } from './checkpoint-shards.js';
import { RESUME_ADJUSTABLE, findResumePoint, type ResumePoint } from './resume.js';
import { RUN_CONFIG_FILE, RUN_CONFIG_VERSION, recordOptions } from './run-config.js';
import { formatSummaryTable } from './summary-table.js';
import { TENSORBOARD_DIR, TensorBoardWriter, trainingScalars } from './tensorboard.js';
import type { DivergenceEvent } from './divergence.js';
import type { RankCollective } from '../distributed/gather.js';
import { TrainOptionsError, fail, resolveTrainOptions, trainingDataOptions, type ResolvedTrainOptions, type TrainOptions } from './options.js';
import { isNoDecayParameter, runUpdate, shareOfRank, stepBatches, totalUpdates, updateGroups } from './updates.js';
import { DataError } from '../data/errors.js';
import { acquireRunLock, clearPreviousRun, removeStaleCheckpointTemps } from './run-lock.js';
import { RunState } from './run-state.js';


/**
 * Evaluation during training. After each listed step (1-based) the loop calls `evaluate`; its metrics go to
 * metrics.jsonl (as eval_<name>), TensorBoard (eval/<name>) and a checkpoint saved at that step, so the best
 * checkpoint by a dev metric (bestMetric) is kept. Under data parallelism every rank calls it with the group
 * (`group`, null in one process): the work may be shared out, every rank must return the same metrics, and
 * only rank 0 writes files.
 */
export interface TrainEvaluator {
  /** The steps, or a function of the run's total steps (known once the data is loaded). */
  steps: number[] | ((totalSteps: number) => number[]);
  evaluate(context: { step: number; model: NativeModel; tokenizer: TextTokenizer; runDir: string; group: RankCollective | null }): Promise<Record<string, number>>;
}

/** The evaluation at the end of a completed run, on the best checkpoint's weights (the final ones without a best); every rank calls it, as TrainEvaluator. */
export interface FinalEvaluator {
  evaluate(context: { model: NativeModel; tokenizer: TextTokenizer; runDir: string; best: TrainSummary['best']; group: RankCollective | null }): Promise<Record<string, number>>;
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
async function resumePointFor(options: TrainOptions): Promise<ResumePoint> {
  const adjustable: readonly string[] = RESUME_ADJUSTABLE;
  const fixed = Object.entries(options)
    .filter(([k, v]) => v !== undefined && !adjustable.includes(k))
    .map(([k]) => k);
  if (fixed.length > 0) fail(`--resume continues a run with the options it was started with; ${fixed.join(', ')} cannot be given with it`);
  return findResumePoint(options.resume!, fail, (options.distributed?.rank ?? 0) === 0);
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
  // The run folder's lock comes first, so no two runs read or write one folder at once (src/train/run-lock.ts).
  // A new run's folder is resolved (and the options checked) before anything is created.
  let folder: string | null;
  let withFolder = options;
  if (options.resume !== undefined) {
    const dir = path.resolve(options.resume);
    folder = existsSync(dir) && statSync(dir).isDirectory() ? dir : null; // otherwise the resume check reports it
  } else {
    folder = resolveTrainOptions(options).out;
    withFolder = { ...options, out: folder };
  }
  // A data-parallel run has one writer, rank 0: it alone locks and tidies the folder.
  const writer = (options.distributed?.rank ?? 0) === 0;
  if (options.distributed && options.resume === undefined && options.out === undefined) {
    throw new TrainOptionsError('a distributed run needs --out: every rank must name the same run folder (train --nproc sets it)');
  }
  const release = folder !== null && writer ? await acquireRunLock(folder) : null;
  try {
    if (folder !== null && writer) await removeStaleCheckpointTemps(folder);
    if (folder !== null && writer && options.resume === undefined && options.overwrite) {
      const removed = await clearPreviousRun(folder);
      if (removed > 0 && !options.quiet) (options.stdout ?? process.stdout).write(`--overwrite: removed the earlier run in ${folder} (${removed} entries)\n`);
    }
    return await trainInFolder(withFolder);
  } finally {
    await release?.();
  }
}

/** Everything a run works with once it is set up: options, model, trainer, data and schedule. */
interface Run {
  options: TrainOptions;
  r: ResolvedTrainOptions;
  resume: ResumePoint | null;
  say: (msg: string) => void;
  stdout: ProgressStream;
  stderr: ProgressStream;
  loaded: LoadedModel;
  spec: MethodSpec<MethodSettings>;
  trainer: NativeTrainer;
  count: NativeParameterCount;
  dataSummary: DataSummary;
  batchSource: BatchSource;
  total: number;
  schedule: (step: number) => number;
  maxEpochs: number;
  /** The data-parallel group this rank trains in, or null for one process. */
  group: NativeProcessGroup | null;
  /** Whether this process writes the run folder: rank 0, or the only process. */
  writer: boolean;
  /** ZeRO-1: the AdamW state is sharded over the ranks, so every rank writes its shard of each checkpoint. */
  shardedState: boolean;
}

/** A run in its (locked) folder: set up, the steps, then the results. */
async function trainInFolder(options: TrainOptions): Promise<TrainResult> {
  const run = await setUpRun(options);
  const state = new RunState(run.r.divergence, run.resume?.record);
  if (run.resume) {
    const b = await findBest(run.r.out, run.r.bestMetric);
    state.best = b ? { step: b.step, metric: run.r.bestMetric.name, value: b.value, dir: b.dir } : null;
  }
  await runSteps(run, state);
  return finishRun(run, state);
}

/** Options, model, method, trainer, data and schedule; run_config.json for a new run, the checkpoint's state for a resumed one. */
async function setUpRun(options: TrainOptions): Promise<Run> {
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
  const stderr: ProgressStream = options.stderr ?? process.stderr;
  const distributed = options.distributed ?? null;
  const writer = (distributed?.rank ?? 0) === 0;
  // Ranks other than 0 speak only through errors.
  const say = (msg: string) => {
    if (!options.quiet && writer) stdout.write(msg + '\n');
  };

  // A bad model folder (layout, config.json, tokenizer) is a bad option: report it before anything loads.
  try {
    await checkModelSpec(r.model);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CheckpointError) throw new TrainOptionsError(err.message);
    throw err;
  }
  // The data and model modules load lazily, so option checking (and `--help`) stays quick.
  const [{ prepareDataset }, { BatchSource }] = await Promise.all([import('../data/dataset.js'), import('../data/batch-source.js')]);
  const addon = native();
  if (r.threads !== null) addon.setNumThreads(r.threads);
  addon.manualSeed(r.seed);
  const info: NativeInfo = addon.info();
  // A data-parallel worker on CUDA takes the GPU of its LOCAL_RANK (src/distributed/device.ts).
  const device = resolveDevice(workerDevice(r.device, distributed, { available: info.cudaAvailable, count: info.cudaDeviceCount }));
  say(`peft-native: ${describeMethod(r.methodSettings)} on ${modelDisplayName(r.modelSpec)}, data ${r.data}`);
  say(`  libtorch ${info.torchVersion}, device ${device}${info.cudaAvailable ? ` (CUDA devices: ${info.cudaDevices.join(', ')})` : ''}, ${info.threads} CPU threads`);

  const loaded = await loadModel(r.model, { seed: r.seed });
  const { model, tokenizer, config } = loaded;
  const seq2seq = isEncoderDecoder(config);
  if (seq2seq && r.packing) throw new TrainOptionsError('--packing does not apply to encoder-decoder models (T5): source and target are padded apart');
  if (seq2seq && r.gradientCheckpointing) throw new TrainOptionsError('--gradient-checkpointing is not supported for T5 models yet');
  if (!seq2seq && r.labelPadding === 'pad') {
    say('  note: label padding "pad" applies to encoder-decoder targets; a decoder\'s padding takes no loss (as in the study\'s decoder path)');
  }

  // An encoder-decoder learns conversations as (context, assistant turn) pairs.
  const conversationTurns = seq2seq && isConversationSpec(parseDataSpec(r.data));
  const data = await prepareDataset(r.data, tokenizer, { ...trainingDataOptions(r), ...(conversationTurns ? { conversationTurns } : {}) }, { dir: r.cacheDir });
  const examples: TrainingExample[] = data.examples;
  const ds = data.summary;
  if (data.cache) say(`  tokenized data ${data.cache.hit ? 'loaded from' : 'cached in'} ${data.cache.file}`);
  say(
    `  data: ${ds.source}: ${ds.tasks} task(s), ${ds.examples.toLocaleString('en-US')} examples, ${ds.tokens.toLocaleString('en-US')} tokens` +
      ` (${ds.truncated} truncated, ${ds.dropped} dropped)`,
  );
  for (const note of ds.notes) say(`    ${note}`);
  if (examples.length === 0) {
    // The data summary speaks of the loaders' limits; here they are the flags that set them.
    const limits = [`--max-length ${r.maxLength ?? 'unset'}`, ...(r.maxSourceLength !== null ? [`--max-source-length ${r.maxSourceLength}`, `--max-target-length ${r.maxTargetLength}`] : [])];
    throw new DataError(`the data ${r.data} gave no training examples${ds.notes.length ? `: ${ds.notes.join('; ')}` : ''} (limits: ${limits.join(', ')})`);
  }
  const longest = examples.reduce((m, e) => Math.max(m, e.inputIds.length), 0);
  // Positions past the model's range fail in the first step; say so before anything trains, naming the limit.
  const rowLength = r.packing ? (r.packLength ?? longest) : longest;
  if (rowLength > maxPositions(config)) {
    const where = loaded.source.kind === 'hf' ? `${path.join(loaded.source.dir, 'config.json')}` : modelDisplayName(loaded.source);
    throw new TrainOptionsError(
      `${r.packing ? `--pack-length ${rowLength}` : `the longest training example (${rowLength} tokens)`} exceeds max_position_embeddings ${maxPositions(config)} of ${where}; ` +
        `pass --max-length ${maxPositions(config)} or less`,
    );
  }

  const spec = methodSpec(r.method);
  const targetedModules = applyMethod(model, r.methodSettings, r.seed);
  const targets = spec.targets?.(settingsForModel(r.methodSettings, config));
  const unmatched = targets ? unmatchedTargets(targets, targetedModules) : [];
  if (unmatched.length > 0) say(`  warning: ${spec.title} target(s) ${unmatched.join(', ')} matched no module`);
  if (targetedModules.length > 0) say(`  ${spec.title} on ${targetedModules.length} modules`);
  if (r.gradientCheckpointing) model.setGradientCheckpointing(true);
  // Before the move: the bfloat16 copy is what travels.
  model.setPrecision({ compute: r.precision, base: r.baseDtype });
  await model.moveTo(device);
  const count = model.parameterCount();
  say(
    `  trainable params: ${count.trainable.toLocaleString('en-US')} || all params: ${count.total.toLocaleString('en-US')} || trainable%: ${((100 * count.trainable) / count.total).toFixed(4)}`,
  );

  const trainableNames = model.parameterNames({ trainableOnly: true });
  const trainer = new addon.Trainer(model, {
    weightDecay: r.weightDecay,
    beta1: r.adam.beta1,
    beta2: r.adam.beta2,
    eps: r.adam.eps,
    maxGradNorm: r.maxGradNorm,
    // Runs recorded before --weight-decay-params exist kept biases and norms out of weight decay.
    noDecay: r.weightDecayParams === 'all' ? [] : trainableNames.filter(isNoDecayParameter),
    precision: r.precision,
  });

  const batchSource = new BatchSource(examples, {
    batchSize: r.batchSize,
    padId: tokenizer.padId,
    seed: r.seed,
    groupByLength: r.groupByLength,
    packing: r.packing ? { maxTokens: r.packLength ?? longest } : null,
    seq2seq: seq2seq && { labelPadId: r.labelPadding === 'pad' ? tokenizer.padId : IGNORE_INDEX },
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
  if (writer) await mkdir(r.out, { recursive: true });
  // Data parallelism: every rank joins (the rendezvous waits for all), then trains from rank 0's weights. It
  // joins before a resume loads the checkpoint, so a ZeRO-1 rank copies only the AdamW state it owns.
  let group: NativeProcessGroup | null = null;
  const shardedState = distributed !== null && distributed.worldSize > 1 && (options.zeroStage ?? 0) === 1;
  if (distributed) {
    group = new addon.ProcessGroup(distributed);
    await group.join();
    await trainer.joinProcessGroup(group, { shardOptimizerState: shardedState });
    say(
      `  data parallel: ${distributed.worldSize} ranks (rendezvous ${distributed.masterAddr}:${distributed.masterPort}), each taking 1 of every ${distributed.worldSize} batches of a step` +
        (shardedState ? '; ZeRO-1: AdamW state sharded over the ranks' : ''),
    );
    if (writer && r.gradientAccumulation < distributed.worldSize) {
      stderr.write(
        `warning: --grad-accum ${r.gradientAccumulation} gives each step fewer batches than the ${distributed.worldSize} ranks: some ranks idle every step (the global batch stays batch size x grad accum)\n`,
      );
    }
  }
  if (resume) {
    await trainer.loadState(resume.stateFiles);
    if (writer) await restoreMetrics(resume.checkpoint.dir, r.out);
  }
  const runConfig = {
    version: RUN_CONFIG_VERSION,
    options: recordOptions(r),
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
    worldSize: distributed?.worldSize ?? 1,
    zeroStage: shardedState ? 1 : 0,
    native: info,
    device,
    node: process.version,
    startedAt: new Date().toISOString(),
  };
  if (!resume && writer) await writeJsonAtomically(path.join(r.out, RUN_CONFIG_FILE), runConfig);
  say(`  run folder: ${r.out}`);
  for (const d of writer ? resume?.damaged ?? [] : []) {
    stderr.write(`warning: checkpoint step-${d.step} is damaged (${d.reason}); set aside as ${d.movedTo}, resuming from step-${resume!.record.step}\n`);
  }
  if (resume) say(`  resumed from ${resume.checkpoint.dir} (step ${resume.record.step} of ${total})`);

  return { options, r, resume, say, stdout, stderr, loaded, spec, trainer, count, dataSummary: ds, batchSource, total, schedule, maxEpochs, group, writer, shardedState };
}

/** The trained weights as the run's result: an adapter (HF PEFT layout where there is one) or, for a method that trains the base, an HF checkpoint. */
async function saveWeights(run: Run, dir: string): Promise<string[]> {
  const { loaded, r } = run;
  return run.spec.save
    ? saveAdapter(loaded.model, dir, r.methodSettings, { baseModelNameOrPath: modelDisplayName(loaded.source), config: loaded.config })
    : saveCheckpoint(loaded.model, dir, { hfConfig: loaded.hfConfig, config: loaded.config, tokenizerFiles: await tokenizerFilesOf(loaded) });
}

/**
 * A checkpoint of this moment (trainer state, record, metrics so far); keeps the last K plus the best. Rank 0
 * writes it; under ZeRO-1 every rank calls this, as each holds a shard of the AdamW state (checkpoint-shards.ts).
 */
async function saveCheckpointNow(run: Run, state: RunState, metrics: MetricsWriter | null, extraMetrics: Record<string, number> = {}): Promise<void> {
  const { r } = run;
  const step = state.step;
  const metadata = { step: String(step) };
  const record = state.checkpointRecord(run.total, extraMetrics);
  if (run.shardedState) {
    await writeShardedCheckpoint({ group: run.group!, trainer: run.trainer, runDir: r.out, record, metadata, metricsFile: metrics?.file ?? null });
  } else if (metrics) {
    await writeCheckpoint(r.out, record, async (dir) => {
      await run.trainer.saveState(path.join(dir, STATE_FILE), metadata);
      return [STATE_FILE];
    }, metrics.file);
  } else {
    return;
  }
  state.lastCheckpointStep = step;
  if (!run.writer) return;
  const b = await pruneCheckpoints(r.out, r.saveTotalLimit, r.bestMetric);
  state.best = b ? { step: b.step, metric: r.bestMetric.name, value: b.value, dir: b.dir } : null;
}

/** Whether to stop before the next step: this process's signal, or under data parallelism any rank's. */
async function stopRequested(run: Run, signal: AbortSignal | undefined): Promise<boolean> {
  const mine = signal?.aborted ?? false;
  if (!run.group) return mine;
  const [votes] = await run.group.allReduceSum(Float64Array.of(mine ? 1 : 0));
  return (votes ?? 0) > 0;
}

/** The optimizer steps, from the state's step to the total (or a stop: Ctrl-C, a divergence under --on-divergence stop). */
async function runSteps(run: Run, state: RunState): Promise<void> {
  const { options, r, loaded, trainer, total, schedule } = run;
  const { prefetch } = await import('../data/batch-source.js');
  const metrics = run.writer ? new MetricsWriter(r.out) : null;
  const tensorboard = r.tensorboard && run.writer ? new TensorBoardWriter(path.join(r.out, TENSORBOARD_DIR), run.resume ? { resumeStep: run.resume.record.step + 1 } : {}) : null;
  const quietProgress = (options.quiet ?? false) || !run.writer;
  const progress = new ProgressReporter({
    total,
    stream: run.stdout,
    logEvery: r.logEvery,
    ...(options.liveProgress !== undefined ? { live: options.liveProgress } : {}),
  });
  // Rates leave out the first step: it carries one-time native setup (thread pools, allocator warm-up).
  const firstStep = state.step;
  let firstStepSec = 0;
  let firstStepTokens = 0;
  const plannedEvalSteps = options.evaluator?.steps ?? [];
  const evalSteps = new Set(typeof plannedEvalSteps === 'function' ? plannedEvalSteps(total) : plannedEvalSteps);

  // The next group (a new epoch's plan + collation) is prepared while the native step runs.
  const groups = prefetch(
    updateGroups((e) => run.batchSource.batches(e), { accumulation: r.gradientAccumulation, maxUpdates: total - state.step, maxEpochs: run.maxEpochs, start: state.position }),
  );
  try {
    for await (const group of groups) {
      if (state.step >= total) break;
      // Ranks stop together: a Ctrl-C seen by any rank stops all after the same step.
      if (await stopRequested(run, options.signal)) {
        state.interrupted = true;
        break;
      }
      const lr = schedule(state.step);
      const stepStart = performance.now();
      const batches = stepBatches(group.batches, r.seed, state.step);
      const result = await runUpdate(trainer, run.group ? shareOfRank(batches, run.group.rank(), run.group.worldSize()) : batches, lr);
      const { metrics: record, divergence: event } = state.recordStep(group, lr, result, (performance.now() - stepStart) / 1000);
      const step = state.step;
      metrics?.append(record);
      tensorboard?.scalars(step, trainingScalars(record));
      options.onStep?.(record);
      if (step === firstStep + 1) {
        firstStepSec = record.elapsedSec;
        firstStepTokens = state.realTokens;
      }
      if (!quietProgress) {
        const steadySec = record.elapsedSec - firstStepSec;
        const steady = step > firstStep + 1 && steadySec > 0;
        progress.update({
          step,
          epoch: group.epoch,
          loss: result.loss,
          lr,
          gradNorm: result.gradNorm,
          tokensPerSec: steady ? (state.realTokens - firstStepTokens) / steadySec : record.elapsedSec > 0 ? state.realTokens / record.elapsedSec : 0,
          elapsedSec: record.elapsedSec,
          ...(steady ? { etaSec: (steadySec / (step - firstStep - 1)) * (total - step) } : {}),
        });
      }
      if (event) {
        // Stopping is reported once, after the loop; a flagged step is reported as it happens.
        if (!quietProgress && r.divergence.policy === 'continue') progress.log(`warning: diverged: ${event.message} (continuing: --on-divergence continue)`);
        if (r.divergence.policy === 'stop') {
          state.stoppedAtDivergence = true;
          break;
        }
      }
      let evalMetrics: Record<string, number> | null = null;
      if (options.evaluator && evalSteps.has(step)) {
        try {
          evalMetrics = await options.evaluator.evaluate({ step, model: loaded.model, tokenizer: loaded.tokenizer, runDir: r.out, group: run.group });
        } catch (err) {
          // An evaluation that fails must not lose the training done so far: save the weights, then report.
          if (run.writer) await saveWeights(run, r.out);
          throw new Error(`evaluation at step ${step} failed: ${err instanceof Error ? err.message : String(err)} (the weights trained so far are saved in ${r.out})`);
        }
        metrics?.append({ step, epoch: group.epoch, ...Object.fromEntries(Object.entries(evalMetrics).map(([k, v]) => [`eval_${k}`, v])) });
        tensorboard?.scalars(step, Object.fromEntries(Object.entries(evalMetrics).map(([k, v]) => [`eval/${k}`, v])));
      }
      if (evalMetrics !== null || (r.saveSteps !== null && step % r.saveSteps === 0)) await saveCheckpointNow(run, state, metrics, evalMetrics ?? {});
    }
    // The end of the run (or a Ctrl-C stop) is a checkpoint too, so an interrupted run can be resumed.
    if (r.saveSteps !== null && !state.stoppedAtDivergence && state.step > state.lastCheckpointStep) await saveCheckpointNow(run, state, metrics);
  } finally {
    metrics?.close();
    tensorboard?.close();
    if (!quietProgress) progress.finish();
  }
}

/**
 * The best checkpoint as rank 0 (which alone prunes and ranks checkpoints) knows it, on every rank. The
 * all-reduce also waits for rank 0 to have written its last checkpoint.
 */
async function bestOfRankZero(run: Run, mine: TrainSummary['best']): Promise<TrainSummary['best']> {
  const [has = 0, step = 0, value = 0] = await run.group!.allReduceSum(run.writer && mine ? Float64Array.of(1, mine.step, mine.value) : new Float64Array(3));
  if (has === 0) return null;
  return { step, metric: run.r.bestMetric.name, value, dir: path.join(checkpointsDir(run.r.out), `step-${step}`) };
}

/** The run's results: its weights (unless it stopped at a divergence), the final evaluation, summary.json and the summary table. */
async function finishRun(run: Run, state: RunState): Promise<TrainResult> {
  const { options, r, loaded, trainer, say, spec } = run;
  const elapsedSec = state.elapsedSec();
  const step = state.step;
  const divergence = state.divergence;

  let saved: string | null = null;
  let savedFiles: string[] = [];
  if (state.stoppedAtDivergence) {
    // An error: stderr, and printed with --quiet too.
    run.stderr.write(`error: the run diverged: ${divergence!.message} (lr ${run.schedule(step - 1).toExponential(2)}); the final weights were not saved. Try a lower --lr.\n`);
  } else if (step > 0 && run.writer) {
    savedFiles = await saveWeights(run, r.out);
    saved = r.out;
  }

  // The final evaluation of a run that was not interrupted. The model takes the best checkpoint's trainable
  // weights, else the final ones. A diverged run is scored too: with --on-divergence continue like any other;
  // stopped at the divergence, its final weights are not usable, so the best checkpoint or else the last one
  // before the divergence is evaluated (none: no evaluation, said so).
  const best = run.group ? await bestOfRankZero(run, state.best) : state.best;
  let test: TrainSummary['test'] = null;
  if (options.finalEvaluator && !state.interrupted && step > 0) {
    const lastGood = state.stoppedAtDivergence ? listCheckpoints(r.out).filter((c) => c.step < divergence!.step).pop() ?? null : null;
    const source = best ?? (lastGood ? { step: lastGood.step, dir: lastGood.dir } : null);
    if (state.stoppedAtDivergence && source === null) {
      say('  no final evaluation: the run diverged before any checkpoint was saved (use --save-steps or --eval-times)');
    } else {
      let weights: string | null = null;
      if (source !== null) {
        await trainer.loadState(stateFilesOf(source.dir, await readCheckpoint(source.dir)));
        weights = path.join(r.out, BEST_WEIGHTS_DIR);
        if (run.writer) {
          await mkdir(weights, { recursive: true });
          await saveWeights(run, weights);
        }
        const why = best !== null ? `the best checkpoint (step ${best.step}, ${best.metric} ${best.value})` : `the last checkpoint before the divergence (step ${source.step})`;
        say(`  final evaluation with ${why}; its weights saved to ${weights}`);
      } else {
        say('  final evaluation with the final weights (no checkpoint has the best-checkpoint metric)');
      }
      const metrics = await options.finalEvaluator.evaluate({ model: loaded.model, tokenizer: loaded.tokenizer, runDir: r.out, best, group: run.group });
      test = { step: source?.step ?? step, weights, metrics };
    }
  } else if (options.finalEvaluator) {
    say('  no final evaluation: the run did not complete');
  }

  const summary: TrainSummary = {
    method: r.method,
    model: modelDisplayName(loaded.source),
    data: r.data,
    steps: step,
    totalSteps: run.total,
    epochs: step === 0 ? 0 : state.epoch + 1,
    ...lossSummary(state.losses),
    targetTokens: state.targetTokens,
    realTokens: state.realTokens,
    elapsedSec,
    tokensPerSec: elapsedSec > 0 ? state.realTokens / elapsedSec : 0,
    trainableParameters: run.count.trainable,
    totalParameters: run.count.total,
    status: divergence !== null ? 'diverged' : state.interrupted ? 'interrupted' : 'completed',
    diverged: divergence !== null,
    divergence,
    divergedSteps: state.divergedSteps,
    lastGood: state.lastGood,
    interrupted: state.interrupted,
    saved,
    resumedFrom: state.resumedFrom,
    best,
    ...(options.finalEvaluator ? { test } : {}),
  };
  if (!run.writer) return { ...summary, out: r.out, losses: state.losses, options: r, savedFiles, dataSummary: run.dataSummary };
  await writeJsonAtomically(path.join(r.out, 'summary.json'), summary);

  say(formatSummaryTable({ ...summary, out: r.out }));
  const peftLayout = spec.capabilities.hfPeftLayout;
  if (saved && spec.save) {
    const layout = 'parts' in r.methodSettings ? `a folder per method: ${r.methodSettings.parts.map((p) => `${p.method}/`).join(', ')}` : 'adapter_config.json + adapter_model.safetensors';
    say(`${r.method} adapter (${peftLayout ? 'HF PEFT format' : 'peft-native format'}: ${layout}) saved to ${saved}`);
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

  return { ...summary, out: r.out, losses: state.losses, options: r, savedFiles, dataSummary: run.dataSummary };
}
