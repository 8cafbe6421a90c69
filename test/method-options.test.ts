// --method and the per-method options: defaults, validation, and flags that belong to another method.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTrainOptions, type TrainOptions } from '../src/train/options.js';
import { bottleneckAdapterConfig, bottleneckSize, DEFAULT_BOTTLENECK_OPTIONS } from '../src/peft/bottleneck.js';
import { prefixAdapterConfig, prefixTokenDim, toNativePrefixOptions } from '../src/peft/prefix.js';
import { promptAdapterConfig } from '../src/peft/prompt.js';
import { ia3AdapterConfig, DEFAULT_IA3_OPTIONS } from '../src/peft/ia3.js';
import { adapterConfig } from '../src/peft/lora.js';
import { planShards } from '../src/models/save.js';
import { builtinModelConfig } from '../src/models/builtin.js';

const out = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'mopt-')), 'run');
const resolve = (o: TrainOptions) => resolveTrainOptions({ out: out(), ...o });
const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('method settings', () => {
  it('defaults per method (the study: houlsby SiLU adapters, random prompt init, IA3 PEFT defaults)', () => {
    expect(resolve({ method: 'dora' }).methodSettings).toMatchObject({ method: 'dora', lora: { useDora: true } });
    expect(resolve({ method: 'ia3' }).methodSettings).toEqual({ method: 'ia3', ia3: DEFAULT_IA3_OPTIONS });
    expect(resolve({ method: 'adapter' }).methodSettings).toEqual({ method: 'adapter', adapter: DEFAULT_BOTTLENECK_OPTIONS });
    expect(resolve({ method: 'prompt' }).methodSettings).toEqual({ method: 'prompt', prompt: { virtualTokens: 32, init: 'random' } });
    expect(resolve({ method: 'prefix' }).methodSettings).toEqual({ method: 'prefix', prefix: { virtualTokens: 8, projectionHiddenSize: 512 } });
    expect(resolve({ method: 'prefix', prefixHiddenSize: null, virtualTokens: 128 }).methodSettings).toEqual({ method: 'prefix', prefix: { virtualTokens: 128, projectionHiddenSize: null } });
    expect(resolve({ method: 'bitfit' }).methodSettings).toEqual({ method: 'bitfit', bitfit: { targets: null, init: 'zeros' } });
    for (const method of ['ia3', 'adapter', 'prompt', 'prefix', 'bitfit'] as const) {
      const r = resolve({ method, model: 'builtin:small' });
      expect(r.lora).toBeNull();
      expect(r.weightDecay).toBe(0.01);
      expect(r.schedule).toBe('linear');
    }
  });

  it('IA3 targets: given modules, feedforward only where targeted', () => {
    expect(resolve({ method: 'ia3', targetModules: 'q_proj,v_proj' }).methodSettings).toEqual({ method: 'ia3', ia3: { targets: { modules: ['q_proj', 'v_proj'] }, feedforwardModules: [] } });
    expect(err(() => resolve({ method: 'ia3', targetModules: 'q_proj', feedforwardModules: ['down_proj'] }))).toMatch(/feedforward module down_proj is not among the target modules/);
  });

  it('rejects bad values and flags of other methods with one line', () => {
    expect(err(() => resolve({ method: 'adapter', adapterSize: 8, reductionFactor: 4 }))).toMatch(/either --adapter-size or --reduction-factor/);
    expect(err(() => resolve({ method: 'adapter', adapterSize: 0 }))).toMatch(/adapter size must be a positive integer/);
    expect(err(() => resolve({ method: 'adapter', adapterActivation: 'tanh' as never }))).toMatch(/silu, silu-silu, relu or gelu/);
    expect(err(() => resolve({ method: 'prompt', virtualTokens: 0 }))).toMatch(/virtual tokens must be a positive integer/);
    expect(err(() => resolve({ method: 'prompt', promptInit: 'text' as never }))).toMatch(/random or vocab/);
    expect(err(() => resolve({ method: 'prefix', prefixHiddenSize: 2.5 }))).toMatch(/hidden size must be a positive integer/);
    expect(err(() => resolve({ method: 'bitfit', virtualTokens: 4 }))).toMatch(/--virtual-tokens applies only to prompt tuning, prefix tuning \(--method prompt\|prefix\), not to --method bitfit/);
    expect(err(() => resolve({ method: 'ia3', rank: 4 }))).toMatch(/--rank applies only to LoRA, DoRA/);
    expect(err(() => resolve({ method: 'lora', adapterInit: 'identity' }))).toMatch(/--adapter-init applies only to bottleneck adapter \(--method adapter\)/);
    expect(err(() => resolve({ method: 'prefix', packing: true }))).toMatch(/--packing cannot be used with --method prefix/);
  });
});

describe('adapter configs', () => {
  const tiny = builtinModelConfig('tiny', 512);
  it('bottleneck size from --reduction-factor, config records both', () => {
    const o = { ...DEFAULT_BOTTLENECK_OPTIONS, size: { reductionFactor: 16 } };
    expect(bottleneckSize(o, 256)).toBe(16);
    expect(bottleneckAdapterConfig(o, 'b', tiny)).toMatchObject({ peft_type: 'PEFT_NATIVE_BOTTLENECK', adapter_size: tiny.hiddenSize / 16, reduction_factor: 16, placement: 'houlsby' });
    expect(err(() => bottleneckSize({ ...o, size: { reductionFactor: 1000 } }, 256))).toMatch(/leaves no bottleneck/);
  });

  it('PEFT field names for DoRA, IA3, prompt and prefix tuning (GQA: token_dim = head_dim x kv heads)', () => {
    expect(adapterConfig({ r: 4, alpha: 8, dropout: 0, targets: { modules: ['q_proj'] }, useRslora: false, useDora: true, init: 'kaiming' }, 'b')).toMatchObject({ peft_type: 'LORA', use_dora: true });
    expect(ia3AdapterConfig(DEFAULT_IA3_OPTIONS, 'b')).toMatchObject({ peft_type: 'IA3', target_modules: ['k_proj', 'v_proj', 'down_proj'], feedforward_modules: ['down_proj'], fan_in_fan_out: false });
    expect(promptAdapterConfig({ virtualTokens: 8, init: 'vocab' }, 'b', tiny)).toMatchObject({ peft_type: 'PROMPT_TUNING', num_virtual_tokens: 8, token_dim: tiny.hiddenSize, prompt_tuning_init: 'SAMPLE_VOCAB', num_transformer_submodules: 1 });
    const gqa = { ...tiny, numKeyValueHeads: 2, numAttentionHeads: 8, headDim: 32 };
    expect(prefixTokenDim(gqa)).toBe(64);
    expect(prefixAdapterConfig({ virtualTokens: 4, projectionHiddenSize: 128 }, 'b', gqa)).toMatchObject({ peft_type: 'PREFIX_TUNING', token_dim: 64, num_attention_heads: 2, encoder_hidden_size: 128, prefix_projection: true });
    expect(toNativePrefixOptions({ virtualTokens: 4, projectionHiddenSize: null }, 3)).toEqual({ virtualTokens: 4, projection: false, encoderHiddenSize: 0, seed: 3 });
  });

  it('plans checkpoint shards in order, a large tensor alone', () => {
    expect(planShards([['a', 40], ['b', 40], ['c', 40], ['d', 200], ['e', 10]], 100)).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
    expect(planShards([['a', 40]], 100)).toEqual([['a']]);
  });
});
