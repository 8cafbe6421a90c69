// The typed native boundary: the only module that touches the addon. Everything tensor-shaped lives in C++;
// JS holds opaque Model/Trainer handles and plain numbers, and passes token batches as Int32Arrays (no copy).
import { createRequire } from 'node:module';
import { AddonUnavailableError, addonFile, addonLoadFailedMessage, addonMissingMessage } from './addon-file.js';

export interface NativeInfo {
  /** libtorch version the addon was built against, e.g. "2.13.0". */
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudaDevices: string[];
  /** Intra-op threads libtorch uses now. */
  threads: number;
  /** The c10d backends of data parallelism in this build: "gloo", or Gloo for CPU and NCCL for CUDA tensors. */
  collectives: string;
}

/** Architecture of a Llama-family decoder, as validated by src/models/config.ts from an HF config.json. */
/** A Llama-family decoder (Llama 2/3, Mistral, Qwen2, Qwen3). */
export interface NativeDecoderConfig {
  modelType: 'llama' | 'mistral' | 'qwen2' | 'qwen3';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** 'default' | 'linear' | 'llama3'; the factors are used by the scaled kinds. */
  ropeScaling: {
    type: 'default' | 'linear' | 'llama3';
    factor: number;
    lowFreqFactor: number;
    highFreqFactor: number;
    originalMaxPositionEmbeddings: number;
  };
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** Bias on q/k/v projections (Qwen2, Llama attention_bias). */
  qkvBias: boolean;
  /** Bias on o_proj (Llama attention_bias). */
  oBias: boolean;
  /** Bias on gate/up/down (Llama mlp_bias). */
  mlpBias: boolean;
  /** RMSNorm on per-head q and k before RoPE (Qwen3). */
  qkNorm: boolean;
  /** Sliding-window attention span, or 0 for full causal attention. */
  slidingWindow: number;
  /** Std of the normal init used by Model.create (HF initializer_range). */
  initializerRange: number;
}

/** A token batch: row-major [batchSize, seqLen]. Its buffers belong to the call until its Promise settles. */
/** A T5 encoder-decoder (T5ForConditionalGeneration; original T5, v1.1 / LM-adapted, mT5). */
export interface NativeT5Config {
  modelType: 't5';
  vocabSize: number;
  dModel: number;
  /** Per-head size of q, k, v (heads * dKv need not equal dModel). */
  dKv: number;
  dFf: number;
  /** Encoder blocks. */
  numLayers: number;
  numDecoderLayers: number;
  numHeads: number;
  relativeAttentionNumBuckets: number;
  relativeAttentionMaxDistance: number;
  /** Dropout of training forwards (embeddings, sublayer outputs, attention weights, FFN). */
  dropoutRate: number;
  layerNormEpsilon: number;
  initializerFactor: number;
  /** transformers' ACT2FN name: relu | gelu | gelu_new | silu. */
  denseActivation: 'relu' | 'gelu' | 'gelu_new' | 'silu';
  /** FFN act(wi_0 x) * wi_1 x (T5 v1.1) instead of act(wi x). */
  gatedActivation: boolean;
  /** The LM head is the shared embedding (original T5); v1.1 checkpoints carry their own lm_head.weight. */
  tieWordEmbeddings: boolean;
  /** Decoder output * dModel^-0.5 before the LM head (original T5). */
  scaleDecoderOutputs: boolean;
  decoderStartTokenId: number;
  padTokenId: number;
}

export type NativeModelConfig = NativeDecoderConfig | NativeT5Config;

export interface NativeBatch {
  /** A decoder's tokens, or an encoder-decoder's source. */
  inputIds: Int32Array;
  /**
   * -100 = no loss. Decoders: aligned with inputIds and shifted by one inside the model. Encoder-decoders:
   * the target tokens [batchSize, labelLen], which the decoder reads shifted right behind its start token.
   */
  labels?: Int32Array;
  /** Length of each labels row when it differs from seqLen (encoder-decoders). */
  labelLen?: number;
  /** 1 = real token, 0 = padding. Omitted = all real. */
  attentionMask?: Int32Array;
  /** RoPE positions; omitted = 0..seqLen-1 in every row. Packed rows restart at 0 for each sequence. */
  positionIds?: Int32Array;
  /**
   * Packing: the sequence of its row each token belongs to (1, 2, ...; 0 = padding). Tokens attend only
   * within their sequence, and a sequence's first token is never a target. Needs positionIds.
   */
  sequenceIds?: Int32Array;
  batchSize: number;
  seqLen: number;
  /**
   * Training: reseeds the default generators before this batch's forward (an integer >= 0), so its dropout
   * masks depend on the batch alone; omitted: the generators run on from where they are.
   */
  dropoutSeed?: number;
}

export interface NativeForwardResult {
  /** Sum of token cross-entropies over target tokens (0 without labels). */
  lossSum: number;
  /** Number of target tokens (labels != -100 after the shift). */
  targetTokens: number;
  /** [batchSize, seqLen, vocabSize] when returnLogits was set. */
  logits?: Float32Array;
}

export interface NativeLoraOptions {
  r: number;
  alpha: number;
  dropout: number;
  /** Module names as HF PEFT matches them: exact name or suffix after a dot. */
  targetModules?: string[];
  /** Alternatively a regex that must match the whole module name (HF PEFT's string form). */
  targetRegex?: string;
  useRslora: boolean;
  /** DoRA: a trainable magnitude per output row (PEFT use_dora). */
  useDora?: boolean;
  init: 'kaiming' | 'gaussian';
  seed: number;
}

export interface NativeBitfitOptions {
  targetModules?: string[];
  targetRegex?: string;
  /** A new bias: zeros (default) or normal(0, 1). */
  init?: 'zeros' | 'normal';
  seed?: number;
}

export interface NativeIa3Options {
  targetModules?: string[];
  targetRegex?: string;
  /** Modules whose input is scaled (PEFT feedforward_modules); the rest scale their output. */
  feedforwardModules: string[];
}

export interface NativeAdapterOptions {
  placement: 'houlsby' | 'pfeiffer';
  size: number;
  activation: 'silu' | 'silu-silu' | 'relu' | 'gelu';
  init: 'normal' | 'identity';
  seed: number;
}

export interface NativePromptTuningOptions {
  virtualTokens: number;
  init: 'random' | 'vocab';
  seed: number;
}

export interface NativePrefixTuningOptions {
  virtualTokens: number;
  projection: boolean;
  /** Hidden size of the reparameterization MLP (0 = the key/value width, PEFT's default). */
  encoderHiddenSize: number;
  seed: number;
}

/** What a model has applied: a PEFT method, full finetuning, or nothing (null). */
/** The label the applied method's native code gives itself (a --method name, or its variant: LoRA with DoRA is 'dora'). */
export type NativePeftMethod = string;

export interface NativeLoraResult {
  /** Module names that received LoRA, e.g. model.layers.0.self_attn.q_proj. */
  targetedModules: string[];
}

export interface NativeParameterCount {
  total: number;
  trainable: number;
}

export interface NativeDeviceMemory {
  allocatedBytes: number;
  reservedBytes: number;
  peakAllocatedBytes: number;
  peakReservedBytes: number;
}

/** The CPU allocator of large blocks (>= 1 MiB), which recycles their pages from step to step. */
export interface NativeCpuMemory {
  /** False when PEFT_NATIVE_CPU_ALLOCATOR=system or off Linux: libtorch's default allocator serves everything. */
  installed: boolean;
  liveBytes: number;
  cachedBytes: number;
  /** The most ever live at once; live + cached stays within it. */
  highWaterBytes: number;
  cachedPieces: number;
  /** Requests served by one cached block, by pages gathered from several, and by fresh pages. */
  hits: number;
  assembled: number;
  misses: number;
  /** Bytes served by fresh pages (faulted in on first touch). */
  freshBytes: number;
  /** Pieces given back to the kernel. */
  released: number;
}

export interface NativeModel {
  config(): NativeModelConfig;
  /** Copies weights from safetensors files, name for name; errors name missing/unexpected/mis-shaped tensors and
   * `configName` (default "the model's config"), the config they disagree with. */
  loadWeights(files: string[], options?: { configName?: string }): Promise<void>;
  /** Where the tensors live: "cpu" or "cuda:N". */
  device(): string;
  /**
   * Moves every parameter (and its gradient) to `device` ("cpu", "cuda", "cuda:N"); batches and prompts are
   * uploaded there by each call. Parameters a PEFT method adds later are initialized on the CPU (the same
   * values on every device) and follow the model. Rejects when the device cannot be used (no CUDA in this build).
   */
  moveTo(device: string): Promise<void>;
  forward(batch: NativeBatch, options?: { returnLogits?: boolean }): Promise<NativeForwardResult>;
  /** Zeroes gradients, runs forward + backward of the mean target-token loss; gradients stay for gradient(). */
  backward(batch: NativeBatch): Promise<NativeForwardResult>;
  /**
   * LoRA (and DoRA with useDora). The first apply* freezes the base; later ones combine with it where they live
   * elsewhere in the model (a linear layer takes one adapter, a row one set of virtual tokens; full finetuning
   * combines with nothing), and are refused otherwise.
   */
  applyLora(options: NativeLoraOptions): NativeLoraResult;
  applyIa3(options: NativeIa3Options): NativeLoraResult;
  /** Biases of the targeted linears (default: every block linear) train; new ones are added where a linear has none. */
  applyBitfit(options?: NativeBitfitOptions): NativeLoraResult;
  /** Bottleneck adapters; targetedModules are the adapters' names (model.layers.<i>.{attn,mlp}_adapter). */
  applyAdapters(options: NativeAdapterOptions): NativeLoraResult;
  applyPromptTuning(options: NativePromptTuningOptions): void;
  applyPrefixTuning(options: NativePrefixTuningOptions): void;
  /** Folds LoRA / DoRA / IA3 into the base weights and removes the adapter parameters. */
  mergeAdapter(): NativeLoraResult;
  /** The applied methods joined by "+" in the order applied (lora, adapter+lora), or null. */
  peftMethod(): NativePeftMethod | null;
  /** Prefix tuning's key/value table [N, layers*2*kvDim] with the reparameterization MLP applied (PEFT's prompt_embeddings). */
  prefixTable(): { shape: number[]; data: Float32Array };
  /** Makes every weight trainable (full finetuning). */
  enableFullFinetuning(): void;
  /** Recompute each decoder layer in backward instead of keeping its activations (same gradients, less memory). */
  setGradientCheckpointing(on: boolean): void;
  /**
   * compute: the precision of the model's own forwards (evaluation, generation; training follows the trainer's).
   * base: 'bf16' stores the frozen matrices of the base (block linears, embeddings, LM head) in bfloat16, after
   * the method is applied; needs compute 'bf16', and cannot be undone.
   */
  setPrecision(options: { compute: 'fp32' | 'bf16'; base?: 'fp32' | 'bf16' }): void;
  parameterCount(): NativeParameterCount;
  /** group: 'base' (checkpoint weights), 'adapter' (added by a PEFT method) or 'all' (default). */
  parameterNames(options?: { trainableOnly?: boolean; group?: 'all' | 'base' | 'adapter' }): string[];
  parameterShape(name: string): number[];
  getParameter(name: string): Float32Array;
  setParameter(name: string, values: Float32Array): void;
  /** The gradient of a trainable parameter after backward(), or null when it has none. */
  gradient(name: string): Float32Array | null;
  /** Writes parameters to one safetensors file atomically: entries are [key in file, parameter name]. */
  saveParameters(file: string, entries: Array<[string, string]>, metadata?: Record<string, string>): Promise<void>;
  /**
   * Drops this handle's reference: the tensors are freed once no trainer or pending call holds them; later
   * calls on this handle are an error. Until then V8 counts the model's host memory (its CPU parameters).
   */
  dispose(): void;
}

export interface NativeModelConstructor {
  /**
   * A model with the HF init (normal(0, initializerRange), norms 1, biases 0), seeded.
   * `initialize: false` skips the init: only for a model whose loadWeights follows at once.
   */
  create(config: NativeModelConfig, options: { seed: number; initialize?: boolean }): NativeModel;
}

/** AdamW's settings; the learning rate comes with each step. */
export interface NativeTrainerOptions {
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
  /** Defaults 0.9, 0.999, 1e-8 (torch.optim.AdamW's). */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Clip the global gradient norm to this (default 1); <= 0 disables clipping (the norm is still reported). */
  maxGradNorm?: number;
  /** Parameter names that get no weight decay (biases, norm weights). */
  noDecay?: string[];
  /** fp32 (default), or bf16: forwards under autocast with float32 master weights, gradients and AdamW state. */
  precision?: 'fp32' | 'bf16';
  /** Data parallelism: the most bytes of gradients one all-reduce carries (default 25 MB, as DDP's buckets). */
  bucketBytes?: number;
}

/** One operator of a profiled step: calls, inclusive time and self time (without the operators it called). */
export interface NativeOpTime {
  name: string;
  calls: number;
  totalMs: number;
  selfMs: number;
}

export interface NativeStepResult {
  /** Mean loss over the target tokens of the batches accumulated for this update. */
  loss: number;
  targetTokens: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /**
   * Data parallelism (a trainer in a process group): the gradient buckets, and how many started their
   * all-reduce while the step's last backward ran (the rest after it).
   */
  buckets?: number;
  bucketsOverlapped?: number;
}

export interface NativeProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Where rank 0 listens for the rendezvous (torchrun's MASTER_ADDR / MASTER_PORT; defaults 127.0.0.1:29500). */
  masterAddr?: string;
  masterPort?: number;
  /** How long the rendezvous and each collective wait for the other ranks (default 30 minutes). */
  timeoutMs?: number;
}

/**
 * One rank of a c10d process group (TCPStore rendezvous; Gloo collectives on CPU tensors, NCCL on CUDA tensors
 * where the build has it: NativeInfo.collectives). Nothing connects until `join()`,
 * which settles once every rank has joined; a rank that dies or stops answering fails the others' next
 * collective with an error naming the rank.
 */
export interface NativeProcessGroup {
  join(): Promise<void>;
  /** Element-wise sums over the ranks. */
  allReduceSum(values: Float64Array): Promise<Float64Array>;
  rank(): number;
  worldSize(): number;
  /** Drops this handle's reference (a trainer that joined keeps the group until it is disposed). */
  dispose(): void;
}

export interface NativeProcessGroupConstructor {
  new (options: NativeProcessGroupOptions): NativeProcessGroup;
}

export interface NativeTrainer {
  /**
   * One optimizer step in one native call: the batch, or the micro-batches of one gradient accumulation
   * (each loss divided by the target tokens of all of them, so accumulation equals one larger batch), then
   * clipping and AdamW at `lr`. The loop's way to train.
   */
  step(batches: NativeBatch | NativeBatch[], lr: number): Promise<NativeStepResult>;
  /** The same step under libtorch's profiler: also the time of each operator (sorted by self time). */
  step(batches: NativeBatch | NativeBatch[], lr: number, options: { profile: true }): Promise<NativeStepResult & { profile: NativeOpTime[] }>;
  /**
   * Data parallelism over a joined process group from the next step on: each rank passes its share of a step's
   * micro-batches (possibly none), the target tokens are counted and the gradients summed over the ranks, so
   * every rank takes the update one process would over all the ranks' batches; `loss` and `targetTokens` are
   * the whole step's. The trainable parameters start from rank 0's values.
   * `shardOptimizerState` (ZeRO stage 1): each parameter's AdamW state lives on one rank (largest parameters
   * first, each to the least loaded rank), which updates it and broadcasts the new values; the weights equal
   * the unsharded run's. saveState then writes this rank's part of the checkpoint (rank 0: weights, RNG and its
   * shard; the others: their shard), and loadState takes all the parts.
   */
  joinProcessGroup(group: NativeProcessGroup, options?: { shardOptimizerState?: boolean }): Promise<void>;
  /** The AdamW state this trainer holds (with ZeRO-1: this rank's shard): parameters with state, host bytes. */
  optimizerState(): { parameters: number; hostBytes: number };
  /** Drops the optimizer state and this handle's reference to the model; later calls are an error. */
  dispose(): void;
  /** The same in parts: forward + backward of (sum of token losses) / normalizer, adding into the gradients. */
  accumulate(batch: NativeBatch, normalizer: number): Promise<NativeForwardResult>;
  /** Clips, applies AdamW at this learning rate, zeroes gradients. */
  update(lr: number): Promise<NativeStepResult>;
  /**
   * Writes the state a resumed run needs to one safetensors file, atomically: trainable parameters
   * (`param/<name>`), AdamW state (`exp_avg/`, `exp_avg_sq/`, `step/<name>`), default generator states (`rng/cpu`, `rng/cuda:<i>`).
   */
  saveState(file: string, metadata?: Record<string, string>): Promise<void>;
  /**
   * Restores a saveState file, or the files of every rank of a ZeRO-1 checkpoint (rank 0's first), at any world
   * size; checked completely before anything changes.
   */
  loadState(file: string | string[]): Promise<void>;
}

export interface NativeTrainerConstructor {
  new (model: NativeModel, options: NativeTrainerOptions): NativeTrainer;
}

export interface NativeTensorInfo {
  name: string;
  dtype: string;
  shape: number[];
}

export interface NativeSafetensors {
  /** Validated header of a safetensors file. */
  inspect(file: string): Promise<{ tensors: NativeTensorInfo[]; metadata: Record<string, string> }>;
  /** One tensor converted to float32. */
  readTensor(file: string, name: string): Promise<{ shape: number[]; data: Float32Array }>;
  /** Writes float32 tensors atomically (temporary file, then rename). */
  writeTensors(
    file: string,
    tensors: Array<{ name: string; shape: number[]; data: Float32Array }>,
    metadata?: Record<string, string>,
  ): Promise<void>;
}

export interface NativeScoreRequest {
  /** Token ids as the model sees them (BOS included where the tokenizer adds one). */
  prompt: Int32Array | number[];
  candidates: Array<Int32Array | number[]>;
}

export interface NativeContinuationScore {
  /** Sum of the candidate tokens' log-probabilities (natural log). */
  logProb: number;
  tokens: number;
  /** Every candidate token is the most likely one at its position. */
  greedy: boolean;
}

/** Prompts for generate(): row-major [batchSize, seqLen] token ids, padded on either side. */
export interface NativeGeneratePrompts {
  inputIds: Int32Array;
  /** 1 = prompt token, 0 = padding (e.g. left padding). Alternatively `lengths`. Omitted both = all real. */
  attentionMask?: Int32Array;
  /** Row b's prompt is its first lengths[b] tokens (right padding). */
  lengths?: Int32Array;
  batchSize: number;
  seqLen: number;
}

export interface NativeGenerateOptions {
  /** Default 128. */
  maxNewTokens?: number;
  /** A row stops after producing any of these (kept in its output). Default none. */
  eosTokenIds?: number[];
  /** Written after a row's end. Default 0. */
  padTokenId?: number;
  /** 0 (default) = greedy; > 0 samples from softmax(logits / temperature). */
  temperature?: number;
  /** Nucleus sampling threshold in (0, 1], default 1 (off). */
  topP?: number;
  /** Seed of the sampling generator, default 0. */
  seed?: number;
}

export interface NativeContinuousOptions extends NativeGenerateOptions {
  /** Rows decoded together (the batch size), default 16. */
  slots?: number;
  /**
   * Prompts beginning with at least this many equal tokens (default 32) share those tokens' keys/values:
   * computed once per group, copied into each member's slot. 0: every prompt computed whole.
   */
  minSharedPrefix?: number;
  /**
   * Sampling: row r draws from its own generator seeded from (seed, rowIds[r]) (default r), so a prompt's sample
   * does not depend on the other prompts, the slots or the order of admission.
   */
  rowIds?: number[];
  /** Rows finished so far, after each row's end; on the JS thread, possibly after the Promise settled. */
  onProgress?: (done: number) => void;
}

export interface NativeGenerateResult {
  /** [batchSize, maxNewTokens] new token ids; padTokenId after each row's end. */
  tokens: Int32Array;
  /** New tokens per row, a final EOS included. */
  lengths: Int32Array;
  batchSize: number;
  maxNewTokens: number;
  /** Decoding steps run (fewer than maxNewTokens when every row stopped early); continuous: batched decoding passes. */
  steps: number;
  /** Continuous batching: prompt tokens whose keys/values were copied from a shared prefix computed once (else 0). */
  reusedPromptTokens: number;
}

export interface NativeAddon {
  info(): NativeInfo;
  setNumThreads(threads: number): void;
  manualSeed(seed: number): void;
  /** The canonical name of a usable device ("cpu", "cuda:0"); throws an Error saying why one is not usable. */
  checkDevice(device: string): string;
  /** The CUDA caching allocator's byte counters of a CUDA device (peaks since the last reset). */
  cudaMemory(device: string): NativeDeviceMemory;
  resetCudaPeakMemory(device: string): void;
  cpuMemory(): NativeCpuMemory;
  Model: NativeModelConstructor;
  Trainer: NativeTrainerConstructor;
  ProcessGroup: NativeProcessGroupConstructor;
  safetensors: NativeSafetensors;
  /**
   * Batched generation with a KV cache under inference mode, on the tensor thread: positions follow HF
   * generate (counted over real tokens), sliding window and GQA as in forward, any attached LoRA applies.
   */
  generate(model: NativeModel, prompts: NativeGeneratePrompts, options?: NativeGenerateOptions): Promise<NativeGenerateResult>;
  /**
   * Continuous batching (decoder-only models; T5 throws): `slots` rows decode together, each with its own
   * KV-cache slot; a row that ends is replaced at once by the next prompt (longest first, prompts sharing a
   * prefix together, that prefix computed once). Rows in input order; greedy ids equal generate's on the same
   * prompts.
   */
  generateContinuous(model: NativeModel, prompts: NativeGeneratePrompts, options?: NativeContinuousOptions): Promise<NativeGenerateResult>;
  /**
   * Log-likelihood of candidate continuations (multiple-choice benchmarks), under inference mode in the model's
   * precision: per request, per candidate, the sum of its tokens' log-probabilities given the prompt and its
   * earlier tokens. Decoder-only models run each prompt once and its candidates as one batch against copies of
   * the prompt's KV cache; T5 scores them as decoder targets of the prompt.
   */
  scoreContinuations(model: NativeModel, requests: NativeScoreRequest[]): Promise<NativeContinuationScore[][]>;
  /** Numeric self-checks for tests: the LoRA Function's backward beside autograd and finite differences (float64). */
  testing: {
    /** The bottleneck adapter Function's backward beside autograd and finite differences (float64). */
    bottleneckAdapterGradients(options: { activation?: 'silu' | 'silu-silu' | 'relu' | 'gelu'; seed?: number }): Record<
      'input' | 'downWeight' | 'downBias' | 'upWeight' | 'upBias',
      { custom: number[]; autograd: number[]; finiteDifference: number[] }
    >;
    /** Bytes of external memory V8 has been told of (models' and trainers' host tensors among them). */
    externalMemory(): number;
    /**
     * Random allocations (a few KB to maxMiB) and frees through libtorch's CPU allocator, each live tensor
     * filled with its own id and checked after every operation; `corrupted` counts checks that found another value.
     */
    cpuAllocatorStress(options: { seed?: number; operations?: number; maxMiB?: number; maxLive?: number }): {
      allocations: number;
      checks: number;
      corrupted: number;
    };
    loraLinearGradients(options: { dropout?: number; bias?: boolean; seed?: number }): Record<
      'x' | 'weight' | 'loraA' | 'loraB' | 'bias',
      { custom: number[]; autograd: number[]; finiteDifference: number[] }
    >;
  };
  /** A measured peak for MFU: FLOP/s of square matrix products on the tensor thread. */
  bench: {
    matmulThroughput(options: { size: number; repeats: number; dtype?: 'float32' | 'bfloat16'; device?: string }): Promise<{ seconds: number; flopsPerSecond: number }>;
  };
  /** Test hooks for the tensor bridge: prove batches cross without a copy. */
  bridge: {
    /** Address of the tensor made from the array (as a decimal string) and of the array's own memory. */
    viewAddresses(array: Int32Array): { tensorAddress: string; arrayAddress: string };
    /** Adds `delta` in place through the tensor view; the JS array sees the change iff no copy was made. */
    addInPlace(array: Int32Array, delta: number): Promise<void>;
  };
}

let cached: NativeAddon | undefined;

/** Loads the addon once; a missing or unloadable build is an AddonUnavailableError saying what to run. */
export function native(): NativeAddon {
  if (cached) return cached;
  const file = addonFile();
  if (!file) throw new AddonUnavailableError(addonMissingMessage());
  const require = createRequire(import.meta.url);
  try {
    cached = require(file) as NativeAddon;
  } catch (err) {
    throw new AddonUnavailableError(addonLoadFailedMessage(file, err instanceof Error ? err.message : String(err)));
  }
  return cached;
}
