// One benchmarked method: load the model, attach the method, move it to the device, time `warmup + steps`
// optimizer steps on a fixed random batch (on CUDA each step ends with a device synchronization).
// `peft-native bench` runs each job in its own process (worker-main.ts) so the peak
// memory it reports is that method's alone.
import { native, type NativeBatch, type NativeModel } from '../native/binding.js';
import { loadModel, loadModelWeights } from '../models/load.js';
import { dataBatches } from './data-batches.js';
import { mulberry32 } from '../data/seeded-random.js';
import { applyBenchMethod } from './apply-method.js';
import { trainingFlopsPerToken, type ParameterInfo } from './flops.js';
import type { BenchMethod } from './method-spec.js';
import { summarizeTimes, type TimeSummary } from './stats.js';
import { isEncoderDecoder, maxPositions } from '../models/config.js';
import { benchLabels, trainedTokensPerRow, type BenchLabels } from './labels.js';

/** What every method of one bench run shares. */
export interface BenchSettings {
  model: string;
  batchSize: number;
  seqLen: number;
  steps: number;
  warmup: number;
  threads: number | null;
  seed: number;
  lr: number;
  precision: 'fp32' | 'bf16';
  /** Canonical device: "cpu" or "cuda:N". */
  device: string;
  /** Which tokens are trained (decoders; an encoder-decoder trains its whole target). */
  labels: BenchLabels;
  /** Batches from this data spec (the training pipeline's, seqLen the longest example) instead of random tokens. */
  data?: string;
  /** How the frozen base is stored under bf16 (default: bf16 with precision bf16). */
  baseDtype?: 'fp32' | 'bf16';
}

export interface BenchWorkerJob extends BenchSettings {
  method: BenchMethod;
}

export interface BenchWorkerResult {
  label: string;
  stepTimesMs: number[];
  time: TimeSummary;
  tokensPerStep: number;
  tokensPerSec: number;
  /** Peak resident memory of the worker process (host memory; on CUDA mostly the runtime and the staging copy). */
  peakRssBytes: number;
  /** CUDA: the caching allocator's peak allocated and reserved bytes over the whole job; null on the CPU. */
  peakCudaAllocatedBytes: number | null;
  peakCudaReservedBytes: number | null;
  trainableParameters: number;
  totalParameters: number;
  flopsPerToken: number;
  achievedFlopsPerSecond: number;
  firstLoss: number;
  lastLoss: number;
}

/** Deterministic token ids in [0, vocab) (mulberry32), so every method trains on the same batch. */
export function randomTokens(count: number, vocab: number, seed: number): Int32Array {
  const next = mulberry32(seed + 1);
  return Int32Array.from({ length: count }, () => Math.floor(next() * vocab));
}

export interface TimedSteps {
  stepTimesMs: number[];
  losses: number[];
}

/**
/** An encoder-decoder benchmark's target length for a source of `seqLen` tokens (SuperNI's 1024 / 128). */
export function seq2seqTargetLen(seqLen: number): number {
  return Math.max(1, Math.floor(seqLen / 8));
}

/**
 * `warmup + steps` optimizer steps of a model whose method is already attached, on one fixed random batch
 * (labels: benchLabels); the warmup steps are not timed. Shared with scripts/bench/native-train-step.mjs.
 */
export async function timeTrainingSteps(
  model: NativeModel,
  o: {
    batchSize: number;
    seqLen: number;
    /** Encoder-decoders: random target tokens per row (default 1/8 of seqLen, SuperNI's 1024 / 128). */
    targetLen?: number;
    steps: number;
    warmup: number;
    seed: number;
    lr: number;
    label: string;
    precision?: 'fp32' | 'bf16';
    /** Decoders: which tokens are trained (default superni). */
    labels?: BenchLabels;
    /** These batches in turn instead of the random one. */
    batches?: NativeBatch[];
  },
  log: (line: string) => void,
): Promise<TimedSteps> {
  const addon = native();
  const trainer = new addon.Trainer(model, { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0, precision: o.precision ?? 'fp32' });
  const config = model.config();
  const inputIds = randomTokens(o.batchSize * o.seqLen, config.vocabSize, o.seed);
  let batch: NativeBatch = { inputIds, labels: benchLabels(inputIds, o.batchSize, o.seqLen, o.labels ?? 'superni'), batchSize: o.batchSize, seqLen: o.seqLen };
  if (isEncoderDecoder(config)) {
    const labelLen = o.targetLen ?? seq2seqTargetLen(o.seqLen);
    batch = { ...batch, labels: randomTokens(o.batchSize * labelLen, config.vocabSize, o.seed + 1), labelLen };
  }
  const stepTimesMs: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < o.warmup + o.steps; i++) {
    const t0 = performance.now();
    const r = await trainer.step(o.batches ? o.batches[i % o.batches.length]! : batch, o.lr);
    const ms = performance.now() - t0;
    losses.push(r.loss);
    if (i >= o.warmup) stepTimesMs.push(ms);
    log(`${o.label}: step ${i + 1}/${o.warmup + o.steps}${i < o.warmup ? ' (warmup)' : ''} ${ms.toFixed(1)} ms, loss ${r.loss.toFixed(4)}`);
  }
  return { stepTimesMs, losses };
}

/** Peak resident memory of this process so far (maxRSS is in kilobytes on Linux and macOS). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export async function runBenchJob(job: BenchWorkerJob, log: (line: string) => void): Promise<BenchWorkerResult> {
  const addon = native();
  if (job.threads !== null) addon.setNumThreads(job.threads);
  addon.manualSeed(job.seed);
  // --data needs the model's tokenizer.
  const withTokenizer = job.data !== undefined ? await loadModel(job.model, { seed: job.seed }) : null;
  const { model, config } = withTokenizer ?? (await loadModelWeights(job.model, { seed: job.seed }));
  applyBenchMethod(model, job.method, job.seed);
  model.setPrecision({ compute: job.precision, base: job.baseDtype ?? job.precision });
  await model.moveTo(job.device);
  if (job.seqLen > maxPositions(config)) {
    throw new Error(`--seq-len ${job.seqLen} exceeds the model's max_position_embeddings ${maxPositions(config)}`);
  }
  const count = model.parameterCount();
  const trainable = new Set(model.parameterNames({ trainableOnly: true }));
  const params: ParameterInfo[] = model.parameterNames().map((name) => ({ name, shape: model.parameterShape(name), trainable: trainable.has(name) }));
  const fromData =
    withTokenizer && job.data !== undefined
      ? await dataBatches(job.data, withTokenizer.tokenizer, config, { batchSize: job.batchSize, maxLength: job.seqLen, count: job.warmup + job.steps, seed: job.seed })
      : null;
  const seqLen = fromData ? fromData.meanSeqLen : job.seqLen;
  const headShare = fromData ? fromData.headShare : trainedTokensPerRow(job.seqLen, job.labels) / job.seqLen;
  const flops = trainingFlopsPerToken(params, config, seqLen, seq2seqTargetLen(seqLen), headShare);
  const { stepTimesMs, losses } = await timeTrainingSteps(
    model,
    { ...job, label: job.method.label, labels: job.labels, ...(fromData ? { batches: fromData.batches } : {}) },
    log,
  );
  const cuda = job.device.startsWith('cuda') ? addon.cudaMemory(job.device) : null;
  const time = summarizeTimes(stepTimesMs);
  // Real tokens: with --data, padding is not counted.
  const tokensPerStep = fromData ? fromData.tokensPerStep : job.batchSize * job.seqLen;
  const tokensPerSec = tokensPerStep / (time.medianMs / 1000);
  return {
    label: job.method.label,
    stepTimesMs,
    time,
    tokensPerStep,
    tokensPerSec,
    peakRssBytes: peakRssBytes(),
    peakCudaAllocatedBytes: cuda?.peakAllocatedBytes ?? null,
    peakCudaReservedBytes: cuda?.peakReservedBytes ?? null,
    trainableParameters: count.trainable,
    totalParameters: count.total,
    flopsPerToken: flops.total,
    achievedFlopsPerSecond: flops.total * tokensPerSec,
    firstLoss: losses[0]!,
    lastLoss: losses[losses.length - 1]!,
  };
}
