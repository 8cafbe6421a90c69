// `train --method X` with the real addon on the built-in tiny model (CPU), for every method: the loss falls
// over a few steps, exactly the method's parameters train, and the saved result loads back.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { train } from '../src/train/loop.js';
import type { TrainOptions } from '../src/train/options.js';
import type { TrainMethod } from '../src/peft/methods.js';

const sink = { write: () => true, isTTY: false };
const layers = 4; // builtin:tiny

function outDir(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'method-run-')), 'run');
}

const CASES: Array<{ method: TrainMethod; options: Partial<TrainOptions>; trainable: (names: string[]) => void; peftType: string | null }> = [
  {
    method: 'dora',
    options: { rank: 4, targetModules: 'q_proj,v_proj' },
    trainable: (n) => {
      expect(n.every((x) => /\.(q_proj|v_proj)\.(lora_[AB]\.weight|lora_magnitude_vector)$/.test(x))).toBe(true);
      expect(n.filter((x) => x.endsWith('lora_magnitude_vector'))).toHaveLength(2 * layers);
    },
    peftType: 'LORA',
  },
  {
    method: 'ia3',
    options: { lr: 2e-2 },
    trainable: (n) => expect(n.map((x) => x.replace(/^model\.layers\.\d+\./, '')).sort()).toEqual([...Array(layers)].flatMap(() => ['mlp.down_proj.ia3_l', 'self_attn.k_proj.ia3_l', 'self_attn.v_proj.ia3_l']).sort()),
    peftType: 'IA3',
  },
  {
    method: 'adapter',
    options: { adapterSize: 16 },
    trainable: (n) => {
      expect(n).toHaveLength(layers * 2 * 4);
      expect(n.every((x) => /^model\.layers\.\d+\.(attn|mlp)_adapter\.(down|up)_proj\.(weight|bias)$/.test(x))).toBe(true);
    },
    peftType: 'PEFT_NATIVE_BOTTLENECK',
  },
  {
    method: 'prompt',
    options: { virtualTokens: 8, lr: 2e-2 },
    trainable: (n) => expect(n).toEqual(['prompt_encoder.embedding.weight']),
    peftType: 'PROMPT_TUNING',
  },
  {
    method: 'prefix',
    options: { virtualTokens: 4, prefixHiddenSize: 32 },
    trainable: (n) => expect(n).toEqual(['prompt_encoder.embedding.weight', 'prompt_encoder.transform.0.weight', 'prompt_encoder.transform.0.bias', 'prompt_encoder.transform.2.weight', 'prompt_encoder.transform.2.bias']),
    peftType: 'PREFIX_TUNING',
  },
  {
    method: 'bitfit',
    options: { lr: 1e-2 },
    trainable: (n) => {
      expect(n).toHaveLength(layers * 7);
      expect(n.every((x) => /\.(q|k|v|o|gate|up|down)_proj\.bias$/.test(x))).toBe(true);
    },
    peftType: 'PEFT_NATIVE_BITFIT',
  },
  { method: 'lora', options: { rank: 4 }, trainable: (n) => expect(n.every((x) => /lora_[AB]\.weight$/.test(x))).toBe(true), peftType: 'LORA' },
  {
    method: 'lora+bitfit',
    options: { rank: 4, targetModules: 'q_proj,v_proj' },
    // --target-modules goes to both parts: LoRA's A and B and a bias on each targeted projection.
    trainable: (n) => {
      expect(n).toHaveLength(layers * 2 * 3);
      expect(n.every((x) => /\.(q|v)_proj\.(lora_[AB]\.weight|bias)$/.test(x))).toBe(true);
    },
    peftType: 'PEFT_NATIVE_COMBINED',
  },
];

describe.each(CASES)('train --method $method on builtin:tiny', ({ method, options, trainable, peftType }) => {
  it('lowers the loss, trains only the method\'s parameters, and saves an adapter that loads back', async () => {
    const out = outDir();
    const result = await train({ method, steps: 16, batchSize: 8, threads: 2, warmupRatio: 0, out, stdout: sink, ...options });
    expect(result.steps).toBe(16);
    const first = result.losses.slice(0, 4).reduce((a, b) => a + b, 0) / 4;
    const last = result.losses.slice(-4).reduce((a, b) => a + b, 0) / 4;
    expect(last).toBeLessThan(first);
    const runConfig = JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8'));
    expect(runConfig.options.method).toBe(method);

    const { loadModel } = await import('../src/models/load.js');
    const { loadAdapter, applyMethod } = await import('../src/peft/methods.js');
    const fresh = await loadModel('builtin:tiny', { seed: 42 });
    applyMethod(fresh.model, result.options.methodSettings, 42);
    trainable(fresh.model.parameterNames({ trainableOnly: true }));
    expect(fresh.model.parameterCount().trainable).toBe(result.trainableParameters);

    expect(existsSync(path.join(out, 'adapter_config.json'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8')).peft_type).toBe(peftType);
    // The same seed rebuilds the same base; the loaded adapter must give a loss below the untrained model's.
    const batch = {
      inputIds: Int32Array.from([1, 40, 41, 42, 43, 44, 45, 46]),
      labels: Int32Array.from([-100, -100, -100, 42, 43, 44, 45, 46]),
      batchSize: 1,
      seqLen: 8,
    };
    const reloaded = await loadModel('builtin:tiny', { seed: 42 });
    await loadAdapter(reloaded.model, out);
    const untrained = (await fresh.model.forward(batch)).lossSum;
    const trained = (await reloaded.model.forward(batch)).lossSum;
    expect(trained).not.toBe(untrained);
  }, 120_000);
});

it('a method rejects the flags of other methods', async () => {
  await expect(train({ method: 'full', adapterSize: 8, out: outDir(), stdout: sink })).rejects.toThrow(/--adapter-size applies only to bottleneck adapter \(--method adapter\)/);
  await expect(train({ method: 'prompt', rank: 8, out: outDir(), stdout: sink })).rejects.toThrow(/--rank applies only to LoRA, DoRA/);
});
