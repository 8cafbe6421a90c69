// Built-in model presets created with the seeded HF init (native Model.create): Llama-architecture decoders
// sized for a quick CPU demo (`tiny`, the embedded default) and for benchmarks (`small`, `base`, `1b`), and a
// T5 encoder-decoder of the demo's size (`t5-tiny`). Their vocabulary is the built-in tokenizer's.
import type { NativeDecoderConfig, NativeModelConfig, NativeT5Config } from '../native/binding.js';
import { countParameters } from './config.js';

/** Training defaults a preset brings when the user does not set them (the built-in models start from random weights). */
export interface PresetTrainDefaults {
  /** LoRA learning rate. */
  lr?: number;
  /** Full-finetuning learning rate. */
  fullLr?: number;
  steps?: number;
  batchSize?: number;
  maxLength?: number;
  rank?: number;
  alpha?: number;
  dropout?: number;
  targetModules?: string[];
}

/** A preset's architecture without what the tokenizer decides (vocabulary size, pad / decoder start ids). */
export type BuiltinArchitecture = Omit<NativeDecoderConfig, 'vocabSize'> | Omit<NativeT5Config, 'vocabSize' | 'padTokenId' | 'decoderStartTokenId'>;

export interface BuiltinPreset {
  name: string;
  description: string;
  architecture: BuiltinArchitecture;
  trainDefaults: PresetTrainDefaults;
}

function llama(
  hiddenSize: number,
  numHiddenLayers: number,
  numAttentionHeads: number,
  numKeyValueHeads: number,
  intermediateSize: number,
  maxPositionEmbeddings: number,
): Omit<NativeDecoderConfig, 'vocabSize'> {
  return {
    modelType: 'llama',
    hiddenSize,
    intermediateSize,
    numHiddenLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim: hiddenSize / numAttentionHeads,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: { type: 'default', factor: 1, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: maxPositionEmbeddings },
    maxPositionEmbeddings,
    tieWordEmbeddings: true,
    qkvBias: false,
    oBias: false,
    mlpBias: false,
    qkNorm: false,
    slidingWindow: 0,
    initializerRange: 0.02,
  };
}

const ALL_LINEAR = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

export const BUILTIN_PRESETS: Record<string, BuiltinPreset> = {
  tiny: {
    name: 'tiny',
    description: 'Llama architecture, hidden 256, 4 layers, 4 heads (2 KV), ~3M parameters: the CPU demo (about 2 minutes on 2 cores)',
    architecture: llama(256, 4, 4, 2, 688, 2048),
    // Random base weights: LoRA needs every linear layer and a high LR to show learning quickly. Tuned on the
    // built-in data with 2 CPU threads: 400 steps of 16 take about 65 s and bring the loss from ~7.2 to ~4.6
    // (LR 3e-3+ or batch 8 plateau near 5.5; full finetuning at 1e-3 reaches ~2.9).
    trainDefaults: { lr: 2e-3, fullLr: 1e-3, steps: 400, batchSize: 16, maxLength: 256, rank: 16, alpha: 32, dropout: 0, targetModules: ALL_LINEAR },
  },
  small: {
    name: 'small',
    description: 'Llama architecture, hidden 512, 10 layers, 8 heads (4 KV), ~30M parameters',
    architecture: llama(512, 10, 8, 4, 1376, 2048),
    trainDefaults: { lr: 1e-3, fullLr: 5e-4, steps: 300, batchSize: 8, maxLength: 512, rank: 16, alpha: 32, dropout: 0, targetModules: ALL_LINEAR },
  },
  base: {
    name: 'base',
    description: 'Llama architecture, hidden 768, 12 layers, 12 heads, ~115M parameters (GPT-2/BERT-base class; benchmarks)',
    architecture: llama(768, 12, 12, 12, 3072, 2048),
    trainDefaults: { lr: 5e-4, fullLr: 3e-4, steps: 300, batchSize: 8, maxLength: 512 },
  },
  '1b': {
    name: '1b',
    description: 'Llama 3.2 1B shape: hidden 2048, 16 layers, 32 heads (8 KV), ~1B parameters (benchmarks, GPU)',
    architecture: { ...llama(2048, 16, 32, 8, 8192, 4096), ropeTheta: 500000 },
    trainDefaults: { lr: 2e-4, fullLr: 1e-4, steps: 300, batchSize: 8, maxLength: 1024 },
  },
  't5-tiny': {
    name: 't5-tiny',
    description:
      'T5 encoder-decoder (v1.1 gated-GELU FFN; LM head tied to the embedding with the original T5 output rescale), d_model 256, 4 + 4 blocks, 4 heads, ~4M parameters: the CPU demo of the study\'s model family',
    architecture: {
      modelType: 't5',
      dModel: 256,
      dKv: 64,
      dFf: 640,
      numLayers: 4,
      numDecoderLayers: 4,
      numHeads: 4,
      relativeAttentionNumBuckets: 32,
      relativeAttentionMaxDistance: 128,
      dropoutRate: 0.1,
      layerNormEpsilon: 1e-6,
      initializerFactor: 1.0,
      denseActivation: 'gelu_new',
      gatedActivation: true,
      tieWordEmbeddings: true,
      scaleDecoderOutputs: true,
    },
    trainDefaults: { lr: 2e-3, fullLr: 1e-3, steps: 400, batchSize: 16, maxLength: 256, rank: 16, alpha: 32, dropout: 0, targetModules: ALL_LINEAR },
  },
};

export const DEFAULT_BUILTIN_MODEL = 'tiny';

export function builtinModelNames(): string[] {
  return Object.keys(BUILTIN_PRESETS);
}

export function isBuiltinModelName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILTIN_PRESETS, name);
}

export function getBuiltinPreset(name: string): BuiltinPreset {
  if (!isBuiltinModelName(name)) {
    throw new Error(`unknown built-in model "${name}"; built-in models: ${builtinModelNames().join(', ')}`);
  }
  return BUILTIN_PRESETS[name]!;
}

/** The native config of a preset for a tokenizer with `vocabSize` tokens (and pad id `padId`: T5 starts decoding there). */
export function builtinModelConfig(name: string, vocabSize: number, padId = 0): NativeModelConfig {
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new Error(`builtinModelConfig: vocabSize must be a positive integer, got ${vocabSize}`);
  const architecture = getBuiltinPreset(name).architecture;
  if (architecture.modelType === 't5') return { ...architecture, vocabSize, padTokenId: padId, decoderStartTokenId: padId };
  return { ...architecture, vocabSize };
}

/** One line per preset with its parameter count, for --help and error messages. */
export function describeBuiltinModels(vocabSize?: number): string[] {
  return builtinModelNames().map((name) => {
    const p = BUILTIN_PRESETS[name]!;
    const count = vocabSize ? ` [${formatCount(countParameters(builtinModelConfig(name, vocabSize)))} params]` : '';
    return `${name}: ${p.description}${count}`;
  });
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}
