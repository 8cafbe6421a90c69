// trainer.step(batch, lr, { profile: true }): the step under libtorch's profiler returns each operator's calls,
// total and self time. The step itself is unchanged (same loss and parameters as an unprofiled step of an
// identical model), the matrix products of the step are among the operators, and self time never exceeds
// total time. Without a built addon: skipped with the reason (a failure under CI).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBatch } from '../src/native/binding.js';
import { addonBuilt } from './helpers/addon.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = addonBuilt(import.meta.filename);

describe.skipIf(!built)('per-operator step profile', () => {
  it('times the operators of a step without changing it', async () => {
    const { native } = await import('../src/native/binding.js');
    const { readModelConfig } = await import('../src/models/config.js');
    const { config } = await readModelConfig(path.join(root, 'test/fixtures/models', 'llama', 'config.json'));
    const rows = 2;
    const seqLen = 16;
    const inputIds = Int32Array.from({ length: rows * seqLen }, (_, k) => 1 + ((k * 7919) % (config.vocabSize - 1)));
    const batch: NativeBatch = { inputIds, labels: Int32Array.from(inputIds, (x, k) => (k % seqLen < 8 ? -100 : x)), batchSize: rows, seqLen };
    const run = async (profile: boolean) => {
      const model = native().Model.create(config, { seed: 3 });
      model.applyLora({ r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, init: 'gaussian', seed: 1 });
      const trainer = new (native().Trainer)(model, { precision: 'fp32' });
      const r = profile ? await trainer.step(batch, 1e-3, { profile: true }) : { ...(await trainer.step(batch, 1e-3)), profile: [] };
      return { r, a: model.getParameter('model.layers.0.self_attn.q_proj.lora_A.weight') };
    };
    const plain = await run(false);
    const profiled = await run(true);
    expect(profiled.r.loss).toBe(plain.r.loss);
    expect(Array.from(profiled.a)).toEqual(Array.from(plain.a));
    const ops = profiled.r.profile;
    const names = new Set(ops.map((o) => o.name));
    expect([...names].some((n) => n === 'aten::mm' || n === 'aten::addmm' || n === 'aten::matmul')).toBe(true);
    for (const o of ops) {
      expect(o.calls).toBeGreaterThan(0);
      expect(o.selfMs).toBeGreaterThanOrEqual(0);
      expect(o.selfMs).toBeLessThanOrEqual(o.totalMs + 1e-9);
    }
    for (let i = 1; i < ops.length; i++) expect(ops[i - 1]!.selfMs).toBeGreaterThanOrEqual(ops[i]!.selfMs);
  });
});
