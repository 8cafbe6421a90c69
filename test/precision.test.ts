// --precision bf16: forwards under libtorch autocast (bfloat16 matmuls) with float32 master weights. The loss
// is close to float32's (not equal: autocast is really on), parameters and AdamW state stay float32, and
// training lowers the loss. Without a built addon: skipped with the reason (a failure under CI).
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBatch } from '../src/native/binding.js';
import { addonBuilt } from './helpers/addon.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = addonBuilt(import.meta.filename);

const sink = { write: () => true, isTTY: false };

function batch(vocab: number): NativeBatch {
  const rows = 4;
  const seqLen = 16;
  const inputIds = Int32Array.from({ length: rows * seqLen }, (_, k) => 1 + ((k * 7919) % (vocab - 1)));
  const labels = Int32Array.from(inputIds, (x, k) => (k % seqLen < 4 ? -100 : x));
  return { inputIds, labels, batchSize: rows, seqLen };
}

describe.skipIf(!built)('bf16 autocast with float32 master weights', () => {
  it('gives a loss close to float32, keeps parameters and AdamW state in float32', async () => {
    const { native } = await import('../src/native/binding.js');
    const { readModelConfig } = await import('../src/models/config.js');
    const { config } = await readModelConfig(path.join(root, 'test/fixtures/models', 'llama', 'config.json'));
    const b = batch(config.vocabSize);
    const run = async (precision: 'fp32' | 'bf16') => {
      const model = native().Model.create(config, { seed: 12 });
      model.applyLora({ r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'o_proj', 'down_proj'], useRslora: false, init: 'gaussian', seed: 1 });
      const trainer = new (native().Trainer)(model, { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1, precision });
      const first = await trainer.step(b, 1e-3);
      const second = await trainer.step(b, 1e-3);
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bf16-')), 'state.safetensors');
      await trainer.saveState(file);
      const header = await native().safetensors.inspect(file);
      return { first, second, header, gradA: model.parameterNames({ trainableOnly: true }) };
    };
    const fp32 = await run('fp32');
    const bf16 = await run('bf16');
    expect(bf16.first.loss).not.toBe(fp32.first.loss);
    expect(Math.abs(bf16.first.loss - fp32.first.loss) / fp32.first.loss).toBeLessThan(2e-2);
    expect(Math.abs(bf16.second.loss - fp32.second.loss) / fp32.second.loss).toBeLessThan(2e-2);
    expect(Math.abs(bf16.first.gradNorm - fp32.first.gradNorm) / fp32.first.gradNorm).toBeLessThan(5e-2);
    const dtypes = new Set(bf16.header.tensors.filter((t) => /^(param|exp_avg|exp_avg_sq)\//.test(t.name)).map((t) => t.dtype));
    expect([...dtypes]).toEqual(['F32']);
  });

  it('trains builtin:tiny: the loss falls, and starts where float32 starts', async () => {
    const { train } = await import('../src/train/loop.js');
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'bf16-run-'));
    // bf16 matmuls are slow on CPUs without bf16 units: a short run.
    const common = { steps: 16, batchSize: 4, maxLength: 64, threads: 2, stdout: sink, tensorboard: false } as const;
    const bf16 = await train({ ...common, precision: 'bf16', out: path.join(tmp, 'bf16') });
    const fp32 = await train({ ...common, steps: 1, out: path.join(tmp, 'fp32') });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(bf16.losses.slice(-4))).toBeLessThan(mean(bf16.losses.slice(0, 4)) - 0.2);
    expect(Math.abs(bf16.losses[0]! - fp32.losses[0]!) / fp32.losses[0]!).toBeLessThan(2e-2);
  });
});
