import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, countParameters, parseModelConfig, readModelConfig, toHfConfig } from '../src/models/config.js';
import { BUILTIN_PRESETS, builtinModelConfig } from '../src/models/builtin.js';

const base = {
  vocab_size: 1000,
  hidden_size: 64,
  intermediate_size: 172,
  num_hidden_layers: 2,
  num_attention_heads: 4,
};

const F = 'm/config.json';

function parse(extra: Record<string, unknown>) {
  return parseModelConfig({ ...base, ...extra }, F);
}

function errorOf(extra: Record<string, unknown>): string {
  try {
    parse(extra);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseModelConfig: llama', () => {
  it('applies LlamaConfig defaults', () => {
    const c = parse({ model_type: 'llama' });
    expect(c).toEqual({
      modelType: 'llama',
      vocabSize: 1000,
      hiddenSize: 64,
      intermediateSize: 172,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      numKeyValueHeads: 4,
      headDim: 16,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      ropeScaling: { type: 'default', factor: 1, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 2048 },
      maxPositionEmbeddings: 2048,
      tieWordEmbeddings: false,
      qkvBias: false,
      oBias: false,
      mlpBias: false,
      qkNorm: false,
      slidingWindow: 0,
      initializerRange: 0.02,
    });
  });

  it('reads a Llama 3.2 style config (GQA, llama3 rope scaling, tied embeddings, biases)', () => {
    const c = parse({
      model_type: 'llama',
      num_key_value_heads: 2,
      head_dim: 32,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      max_position_embeddings: 131072,
      rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
      tie_word_embeddings: true,
      attention_bias: true,
      mlp_bias: true,
      initializer_range: 0.01,
    });
    expect(c.numKeyValueHeads).toBe(2);
    expect(c.headDim).toBe(32);
    expect(c.rmsNormEps).toBe(1e-5);
    expect(c.ropeTheta).toBe(500000);
    expect(c.ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    expect(c.tieWordEmbeddings).toBe(true);
    expect([c.qkvBias, c.oBias, c.mlpBias]).toEqual([true, true, true]);
    expect(c.initializerRange).toBe(0.01);
  });

  it('accepts linear scaling under the old "type" key and "default"', () => {
    expect(parse({ model_type: 'llama', rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toMatchObject({ type: 'linear', factor: 2 });
    expect(parse({ model_type: 'llama', rope_scaling: { rope_type: 'default' } }).ropeScaling.type).toBe('default');
    expect(parse({ model_type: 'llama', rope_scaling: null }).ropeScaling.type).toBe('default');
  });

  it('reads transformers-5 rope_parameters', () => {
    const c = parse({
      model_type: 'llama',
      rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    });
    expect(c.ropeTheta).toBe(500000);
    expect(c.ropeScaling.type).toBe('llama3');
    expect(parse({ model_type: 'llama', rope_parameters: { rope_type: 'default', rope_theta: 1e6 } }).ropeTheta).toBe(1e6);
  });

  it('rejects unsupported rope types, naming the field and file', () => {
    for (const t of ['yarn', 'dynamic', 'longrope']) {
      const msg = errorOf({ model_type: 'llama', rope_scaling: { rope_type: t, factor: 4 } });
      expect(msg).toContain(F);
      expect(msg).toContain('rope_scaling.rope_type');
      expect(msg).toContain(`"${t}"`);
      expect(msg).toMatch(/not support/);
    }
    expect(errorOf({ model_type: 'llama', rope_parameters: { rope_type: 'yarn', factor: 4 } })).toContain('rope_parameters.rope_type');
  });

  it('requires the llama3 rope fields', () => {
    const msg = errorOf({ model_type: 'llama', rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } });
    expect(msg).toContain('rope_scaling.original_max_position_embeddings');
    expect(errorOf({ model_type: 'llama', rope_scaling: { rope_type: 'linear' } })).toContain('rope_scaling.factor');
  });
});

describe('parseModelConfig: mistral', () => {
  it('defaults sliding_window to 4096 like MistralConfig, null means none', () => {
    expect(parse({ model_type: 'mistral', num_key_value_heads: 2 }).slidingWindow).toBe(4096);
    expect(parse({ model_type: 'mistral', sliding_window: null }).slidingWindow).toBe(0);
    expect(parse({ model_type: 'mistral', sliding_window: 128 }).slidingWindow).toBe(128);
  });

  it('has no biases and no q/k norm', () => {
    const c = parse({ model_type: 'mistral', attention_bias: true });
    expect([c.qkvBias, c.oBias, c.mlpBias, c.qkNorm]).toEqual([false, false, false, false]);
    expect(c.maxPositionEmbeddings).toBe(131072);
  });
});

describe('parseModelConfig: qwen2', () => {
  it('has q/k/v bias and no o bias', () => {
    const c = parse({ model_type: 'qwen2', num_key_value_heads: 2, tie_word_embeddings: true, rope_theta: 1000000 });
    expect([c.qkvBias, c.oBias, c.mlpBias, c.qkNorm]).toEqual([true, false, false, false]);
    expect(c.tieWordEmbeddings).toBe(true);
    expect(c.ropeTheta).toBe(1000000);
    expect(c.headDim).toBe(16);
  });

  it('defaults tie_word_embeddings to false (Qwen2Config)', () => {
    expect(parse({ model_type: 'qwen2' }).tieWordEmbeddings).toBe(false);
  });

  it('uses the sliding window only with use_sliding_window', () => {
    expect(parse({ model_type: 'qwen2', sliding_window: 4096, use_sliding_window: false }).slidingWindow).toBe(0);
    expect(parse({ model_type: 'qwen2', sliding_window: 512, use_sliding_window: true, max_window_layers: 0 }).slidingWindow).toBe(512);
    // max_window_layers >= num_hidden_layers: no layer slides
    expect(parse({ model_type: 'qwen2', sliding_window: 512, use_sliding_window: true, max_window_layers: 28 }).slidingWindow).toBe(0);
    expect(errorOf({ model_type: 'qwen2', num_hidden_layers: 4, sliding_window: 512, use_sliding_window: true, max_window_layers: 2 })).toContain(
      'use_sliding_window',
    );
  });
});

describe('parseModelConfig: qwen3', () => {
  it('has q/k norm, head_dim 128 by default and attention_bias on q/k/v/o', () => {
    const c = parse({ model_type: 'qwen3' });
    expect(c.qkNorm).toBe(true);
    expect(c.headDim).toBe(128);
    expect([c.qkvBias, c.oBias]).toEqual([false, false]);
    const b = parse({ model_type: 'qwen3', attention_bias: true, head_dim: 8 });
    expect([b.qkvBias, b.oBias, b.mlpBias]).toEqual([true, true, false]);
    expect(b.headDim).toBe(8);
  });
});

describe('parseModelConfig: errors', () => {
  it('lists the supported model types and names the file', () => {
    const msg = errorOf({ model_type: 'gpt2' });
    expect(msg).toContain(F);
    expect(msg).toContain('"gpt2"');
    for (const t of ['llama', 'mistral', 'qwen2', 'qwen3']) expect(msg).toContain(t);
    expect(errorOf({})).toContain('no model_type');
  });

  it('requires silu', () => {
    const msg = errorOf({ model_type: 'llama', hidden_act: 'gelu' });
    expect(msg).toContain('hidden_act');
    expect(msg).toContain('silu');
  });

  it('checks positivity and divisibility', () => {
    expect(errorOf({ model_type: 'llama', hidden_size: 0 })).toContain('hidden_size');
    expect(errorOf({ model_type: 'llama', vocab_size: -3 })).toContain('vocab_size');
    expect(errorOf({ model_type: 'llama', num_hidden_layers: 1.5 })).toContain('num_hidden_layers');
    expect(errorOf({ model_type: 'llama', intermediate_size: '172' })).toContain('intermediate_size');
    expect(errorOf({ model_type: 'llama', num_key_value_heads: 3 })).toMatch(/num_key_value_heads \(3\) must divide num_attention_heads \(4\)/);
    expect(errorOf({ model_type: 'llama', num_attention_heads: 5 })).toMatch(/must divide hidden_size/);
    expect(errorOf({ model_type: 'llama', rms_norm_eps: 0 })).toContain('rms_norm_eps');
    expect(errorOf({ model_type: 'llama', rope_theta: -1 })).toContain('rope_theta');
    expect(errorOf({ model_type: 'llama', tie_word_embeddings: 'yes' })).toContain('tie_word_embeddings');
    const missing = parseModelConfigError({ model_type: 'llama', hidden_size: 64 });
    expect(missing).toContain('vocab_size is missing');
  });

  it('accepts head_dim that does not divide hidden_size when given explicitly', () => {
    expect(parse({ model_type: 'llama', num_attention_heads: 5, head_dim: 16 }).headDim).toBe(16);
  });

  it('rejects quantized checkpoints', () => {
    expect(errorOf({ model_type: 'llama', quantization_config: { quant_method: 'gptq' } })).toContain('quantization_config');
  });

  it('reads from a file and names it in errors', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const good = path.join(dir, 'config.json');
    writeFileSync(good, JSON.stringify({ ...base, model_type: 'llama' }));
    const { config, raw } = await readModelConfig(good);
    expect(config.hiddenSize).toBe(64);
    expect(raw.model_type).toBe('llama');
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    await expect(readModelConfig(bad)).rejects.toThrow(bad);
    await expect(readModelConfig(path.join(dir, 'none.json'))).rejects.toThrow('none.json');
  });
});

function parseModelConfigError(raw: Record<string, unknown>): string {
  try {
    parseModelConfig(raw, F);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('toHfConfig round trip and presets', () => {
  it('round-trips every model type', () => {
    const configs = [
      parse({ model_type: 'llama', num_key_value_heads: 2, attention_bias: true, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 512 } }),
      parse({ model_type: 'mistral', sliding_window: 256 }),
      parse({ model_type: 'qwen2', tie_word_embeddings: true }),
      parse({ model_type: 'qwen3', attention_bias: true, head_dim: 16, use_sliding_window: true, sliding_window: 64, max_window_layers: 0 }),
      parse({ model_type: 'llama', rope_scaling: { type: 'linear', factor: 4 } }),
    ];
    for (const c of configs) expect(parseModelConfig(toHfConfig(c), 'x')).toEqual(c);
  });

  it('sizes the built-in presets as documented', () => {
    const vocab = 8192;
    const tiny = builtinModelConfig('tiny', vocab);
    expect(tiny).toMatchObject({ modelType: 'llama', hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4, numKeyValueHeads: 2, intermediateSize: 688 });
    expect(parseModelConfig(toHfConfig(tiny))).toEqual(tiny);
    const n = countParameters(tiny);
    expect(n).toBeGreaterThan(3e6);
    expect(n).toBeLessThan(6e6);
    expect(countParameters(builtinModelConfig('small', vocab))).toBeGreaterThan(2e7);
    expect(countParameters(builtinModelConfig('small', vocab))).toBeLessThan(4e7);
    expect(countParameters(builtinModelConfig('base', vocab))).toBeGreaterThan(0.9e8);
    expect(countParameters(builtinModelConfig('base', vocab))).toBeLessThan(1.6e8);
    expect(countParameters(builtinModelConfig('1b', vocab))).toBeGreaterThan(0.9e9);
    expect(countParameters(builtinModelConfig('1b', vocab))).toBeLessThan(1.3e9);
    for (const name of Object.keys(BUILTIN_PRESETS)) expect(() => parseModelConfig(toHfConfig(builtinModelConfig(name, vocab)))).not.toThrow();
    expect(() => builtinModelConfig('huge', vocab)).toThrow(/tiny, small, base, 1b/);
  });

  it('counts parameters like transformers for a small llama', () => {
    // LlamaForCausalLM(hidden 64, inter 172, 2 layers, 4 heads, 2 kv, vocab 1000, untied):
    // per layer q 64*64 + k 64*32 + v 64*32 + o 64*64 + mlp 3*64*172 + 2 norms*64; embed + lm_head 2*1000*64; final norm 64
    const c = parse({ model_type: 'llama', num_key_value_heads: 2 });
    const perLayer = 4096 + 2048 + 2048 + 4096 + 3 * 64 * 172 + 128;
    expect(countParameters(c)).toBe(2 * perLayer + 2 * 64000 + 64);
  });
});

describe('config.json against its weights and the machine, before anything is allocated', () => {
  const fixture = path.resolve(import.meta.dirname, 'fixtures/models/llama');
  const shapes = (raw: Record<string, unknown>) => {
    // The fixture's tensors as the safetensors header lists them, computed from its config by hand (Llama layout).
    const c = raw as { hidden_size: number; intermediate_size: number; num_hidden_layers: number; vocab_size: number; num_attention_heads: number; head_dim: number };
    const h = c.hidden_size;
    const q = c.num_attention_heads * c.head_dim;
    const layer = [[q, h], [q, h], [q, h], [h, q], [c.intermediate_size, h], [c.intermediate_size, h], [h, c.intermediate_size], [h], [h]];
    return [[c.vocab_size, h], [c.vocab_size, h], [h], ...Array.from({ length: c.num_hidden_layers }, () => layer).flat()].map((shape, i) => ({ name: `t${i}`, dtype: 'F32', shape }));
  };

  it('accepts the weights of its own config, and names config.json and its sizes when they cannot hold it', async () => {
    const { checkConfigFitsWeights } = await import('../src/models/config-limits.js');
    const file = path.join(fixture, 'config.json');
    const { config, raw } = await readModelConfig(file);
    const tensors = shapes(raw);
    expect(tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0)).toBe(countParameters(config));
    expect(() => checkConfigFitsWeights(file, config, ['model.safetensors'], tensors)).not.toThrow();
    // A layer more is left to the loader, which names the missing tensors; twice the weights is not.
    expect(() => checkConfigFitsWeights(file, { ...config, numHiddenLayers: config.numHiddenLayers + 1 }, ['model.safetensors'], tensors)).not.toThrow();
    const huge = { ...config, hiddenSize: 2 ** 40 };
    expect(() => checkConfigFitsWeights(file, huge, ['model.safetensors'], tensors)).toThrow(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not match model\\.safetensors: its sizes \\(hidden_size 1099511627776, intermediate_size 160, num_hidden_layers 2, vocab_size \\d+\\) make [\\d,]+ parameters, the weights hold [\\d,]+$`),
    );
    // Weights that hold it, but more than this machine's memory: named before allocating.
    const big = { ...config, vocabSize: Math.ceil(os.totalmem() / 4 / config.hiddenSize) };
    const bigTensors = [{ name: 'embed', dtype: 'F32', shape: [big.vocabSize * 3, config.hiddenSize] }];
    expect(() => checkConfigFitsWeights(file, big, ['model.safetensors'], bigTensors)).toThrow(/needs [\d.]+ GiB for its float32 parameters, more than this machine's [\d.]+ GiB of memory$/);
  });
});
