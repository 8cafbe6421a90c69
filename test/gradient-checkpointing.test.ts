// Gradient checkpointing (each decoder layer recomputed in backward) gives the gradients of the plain
// backward: LoRA with dropout (the dropout masks must be replayed from the saved RNG state) and full
// finetuning (gradients flow into the embedding through the recomputed layers).
// Without a built addon: skipped with the reason (a failure under CI).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBatch, NativeModel } from '../src/native/binding.js';
import { addonBuilt } from './helpers/addon.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = addonBuilt(import.meta.filename);

function batch(vocab: number): NativeBatch {
  const rows = 3;
  const seqLen = 10;
  const inputIds = new Int32Array(rows * seqLen);
  const labels = new Int32Array(rows * seqLen).fill(-100);
  const attentionMask = new Int32Array(rows * seqLen);
  for (let i = 0; i < rows; i++) {
    const len = seqLen - 2 * i; // right padding on rows 1 and 2
    for (let j = 0; j < len; j++) {
      inputIds[i * seqLen + j] = 1 + ((i * 37 + j * 11) % (vocab - 1));
      attentionMask[i * seqLen + j] = 1;
      if (j >= 3) labels[i * seqLen + j] = inputIds[i * seqLen + j]!;
    }
  }
  return { inputIds, labels, attentionMask, batchSize: rows, seqLen };
}

async function gradients(model: NativeModel, b: NativeBatch, seed: number): Promise<Map<string, Float32Array>> {
  const { native } = await import('../src/native/binding.js');
  native().manualSeed(seed);
  await model.backward(b);
  return new Map(model.parameterNames({ trainableOnly: true }).map((n) => [n, model.gradient(n)!]));
}

function maxRelativeDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [name, ga] of a) {
    const gb = b.get(name)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < ga.length; i++) {
      diff = Math.max(diff, Math.abs(ga[i]! - gb[i]!));
      scale = Math.max(scale, Math.abs(gb[i]!));
    }
    worst = Math.max(worst, scale === 0 ? diff : diff / scale);
  }
  return worst;
}

describe.skipIf(!built)('gradient checkpointing', () => {
  it.each(['llama', 'qwen3'])('LoRA with dropout (%s): the same gradients, dropout masks replayed', async (variant) => {
    const { native } = await import('../src/native/binding.js');
    const { readModelConfig } = await import('../src/models/config.js');
    const { config } = await readModelConfig(path.join(root, 'test/fixtures/models', variant, 'config.json'));
    const model = native().Model.create(config, { seed: 4 });
    model.applyLora({ r: 4, alpha: 8, dropout: 0.3, targetModules: ['q_proj', 'v_proj', 'down_proj'], useRslora: false, init: 'gaussian', seed: 2 });
    const b = batch(config.vocabSize);

    const plain = await gradients(model, b, 123);
    const otherMasks = await gradients(model, b, 124);
    // Control: dropout matters, so equal gradients below need the same masks in the recomputation.
    expect(maxRelativeDifference(otherMasks, plain)).toBeGreaterThan(1e-3);
    model.setGradientCheckpointing(true);
    const recomputed = await gradients(model, b, 123);
    expect(maxRelativeDifference(recomputed, plain)).toBeLessThan(1e-6);
    expect([...recomputed.keys()]).toEqual([...plain.keys()]);
  });

  it('full finetuning: every parameter, the embedding included, gets the same gradient', async () => {
    const { native } = await import('../src/native/binding.js');
    const { readModelConfig } = await import('../src/models/config.js');
    const { config } = await readModelConfig(path.join(root, 'test/fixtures/models', 'qwen2', 'config.json'));
    const model = native().Model.create(config, { seed: 6 });
    model.enableFullFinetuning();
    const b = batch(config.vocabSize);
    const plain = await gradients(model, b, 1);
    model.setGradientCheckpointing(true);
    const recomputed = await gradients(model, b, 1);
    expect(recomputed.get('model.embed_tokens.weight')!.some((x) => x !== 0)).toBe(true);
    expect(maxRelativeDifference(recomputed, plain)).toBeLessThan(1e-6);
  });

  it('a Trainer step with checkpointing matches one without (same loss and update)', async () => {
    const { native } = await import('../src/native/binding.js');
    const { readModelConfig } = await import('../src/models/config.js');
    const { config } = await readModelConfig(path.join(root, 'test/fixtures/models', 'llama', 'config.json'));
    const run = async (checkpointing: boolean) => {
      const model = native().Model.create(config, { seed: 8 });
      model.applyLora({ r: 4, alpha: 4, dropout: 0.2, targetModules: ['q_proj', 'v_proj'], useRslora: false, init: 'gaussian', seed: 3 });
      model.setGradientCheckpointing(checkpointing);
      const trainer = new (native().Trainer)(model, { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-3, maxGradNorm: 1 });
      native().manualSeed(77);
      const r = await trainer.step(batch(config.vocabSize), 1e-2);
      return { r, a: model.getParameter('model.layers.0.self_attn.q_proj.lora_A.weight') };
    };
    const plain = await run(false);
    const ckpt = await run(true);
    expect(ckpt.r.loss).toBe(plain.r.loss);
    expect(Math.abs(ckpt.r.gradNorm - plain.r.gradNorm) / plain.r.gradNorm).toBeLessThan(1e-6);
    let diff = 0;
    for (let i = 0; i < plain.a.length; i++) diff = Math.max(diff, Math.abs(plain.a[i]! - ckpt.a[i]!));
    expect(diff).toBeLessThan(1e-6);
  });
});
