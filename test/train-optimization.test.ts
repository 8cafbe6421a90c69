// The native Trainer's optimization rules, checked against independent references: accumulation of k
// micro-batches equals one batch k times larger (token-normalized over the whole step), and AdamW's
// weight decay skips biases and norm weights (float64 recomputation of the first AdamW step).
// Without a built addon: skipped with the reason (a failure under CI).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBatch, NativeModel, NativeModelConfig, NativeTrainerOptions } from '../src/native/binding.js';
import { mulberry32 } from '../src/data/seeded-random.js';
import { addonBuilt } from './helpers/addon.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = addonBuilt(import.meta.filename);

async function fixtureConfig(variant: string): Promise<NativeModelConfig> {
  const { readModelConfig } = await import('../src/models/config.js');
  return (await readModelConfig(path.join(root, 'test/fixtures/models', variant, 'config.json'))).config;
}

/** Right-padded rows with prompts (-100) of varying length, so micro-batches carry different token counts. */
function makeBatch(rows: number, seqLen: number, vocab: number, seed: number): NativeBatch {
  const r = mulberry32(seed);
  const inputIds = new Int32Array(rows * seqLen);
  const labels = new Int32Array(rows * seqLen).fill(-100);
  const attentionMask = new Int32Array(rows * seqLen);
  for (let i = 0; i < rows; i++) {
    const len = 4 + Math.floor(r() * (seqLen - 3)); // 4..seqLen real tokens
    const prompt = 1 + Math.floor(r() * (len - 2));
    for (let j = 0; j < seqLen; j++) {
      const k = i * seqLen + j;
      if (j < len) {
        inputIds[k] = 1 + Math.floor(r() * (vocab - 1));
        attentionMask[k] = 1;
        if (j >= prompt) labels[k] = inputIds[k]!;
      }
    }
  }
  return { inputIds, labels, attentionMask, batchSize: rows, seqLen };
}

function concatBatches(bs: NativeBatch[]): NativeBatch {
  const cat = (f: (b: NativeBatch) => Int32Array) => {
    const out = new Int32Array(bs.reduce((s, b) => s + f(b).length, 0));
    let o = 0;
    for (const b of bs) {
      out.set(f(b), o);
      o += f(b).length;
    }
    return out;
  };
  return { inputIds: cat((b) => b.inputIds), labels: cat((b) => b.labels!), attentionMask: cat((b) => b.attentionMask!), batchSize: bs.reduce((s, b) => s + b.batchSize, 0), seqLen: bs[0]!.seqLen };
}

/** Target tokens of a batch as the model counts them: labels != -100 after the shift by one. */
function targetTokens(b: NativeBatch): number {
  let n = 0;
  for (let i = 0; i < b.batchSize; i++) for (let j = 1; j < b.seqLen; j++) if (b.labels![i * b.seqLen + j] !== -100) n++;
  return n;
}

function snapshot(model: NativeModel): Map<string, Float64Array> {
  return new Map(model.parameterNames({ trainableOnly: true }).map((n) => [n, Float64Array.from(model.getParameter(n))]));
}

/** max over parameters of |a - b| / max|b|, where a and b are the updates (after - before). */
function maxUpdateError(before: Map<string, Float64Array>, a: Map<string, Float64Array>, b: Map<string, Float64Array>): number {
  let diff = 0;
  let scale = 0;
  for (const [name, p0] of before) {
    const pa = a.get(name)!;
    const pb = b.get(name)!;
    for (let i = 0; i < p0.length; i++) {
      diff = Math.max(diff, Math.abs(pa[i]! - p0[i]! - (pb[i]! - p0[i]!)));
      scale = Math.max(scale, Math.abs(pb[i]! - p0[i]!));
    }
  }
  return diff / scale;
}

describe.skipIf(!built)('native Trainer optimization', () => {
  // eps = 1 keeps AdamW's first update proportional to the gradient (lr * g / (|g| + eps)); with the usual tiny eps
  // it is lr * sign(g) and could not tell a wrongly scaled gradient from the right one.
  const trainerOptions: NativeTrainerOptions = { weightDecay: 0.1, beta1: 0.9, beta2: 0.999, eps: 1, maxGradNorm: 0 };

  it('accumulating k micro-batches gives the same update as one batch k times larger', async () => {
    const { native } = await import('../src/native/binding.js');
    const addon = native();
    const config = await fixtureConfig('qwen2');
    const micro = [0, 1, 2].map((i) => makeBatch(2, 12, config.vocabSize, 100 + i));
    const tokens = micro.map(targetTokens);
    expect(new Set(tokens).size).toBeGreaterThan(1); // unequal counts: a mean of per-batch means would differ
    const big = concatBatches(micro);
    const total = tokens.reduce((a, b) => a + b, 0);

    const fresh = () => {
      const m = addon.Model.create(config, { seed: 3 });
      m.enableFullFinetuning();
      return m;
    };
    const accumulated = fresh();
    const single = fresh();
    const meanOfMeans = fresh();
    const before = snapshot(single);

    const ta = new addon.Trainer(accumulated, trainerOptions);
    for (const b of micro) await ta.accumulate(b, total);
    const ra = await ta.update(1e-2);

    const rs = await new addon.Trainer(single, trainerOptions).step(big, 1e-2);

    // The loop's way: the micro-batches in one native call, identical to the call-per-batch path.
    const oneCall = fresh();
    const ro = await new addon.Trainer(oneCall, trainerOptions).step(micro, 1e-2);

    // The wrong rule, as a control that the comparison can fail: each micro-batch's mean, averaged.
    const tm = new addon.Trainer(meanOfMeans, trainerOptions);
    for (let i = 0; i < micro.length; i++) await tm.accumulate(micro[i]!, tokens[i]! * micro.length);
    await tm.update(1e-2);

    expect(ro).toEqual(ra);
    expect(snapshot(oneCall)).toEqual(snapshot(accumulated));
    expect(ra.targetTokens).toBe(total);
    expect(rs.targetTokens).toBe(total);
    expect(Math.abs(ra.loss - rs.loss) / rs.loss).toBeLessThan(1e-6);
    expect(Math.abs(ra.gradNorm - rs.gradNorm) / rs.gradNorm).toBeLessThan(1e-5);
    const err = maxUpdateError(before, snapshot(accumulated), snapshot(single));
    expect(err).toBeLessThan(1e-4);
    expect(maxUpdateError(before, snapshot(meanOfMeans), snapshot(single))).toBeGreaterThan(100 * Math.max(err, 1e-6));
  });

  it('clipping follows clip_grad_norm_: gradients scaled by max / (norm + 1e-6) above max, untouched below (recomputed in float64)', async () => {
    const { native } = await import('../src/native/binding.js');
    const addon = native();
    const config = await fixtureConfig('qwen2');
    for (const maxGradNorm of [1e-2, 1e6]) {
      const model = addon.Model.create(config, { seed: 6 });
      model.enableFullFinetuning();
      const names = model.parameterNames({ trainableOnly: true });
      // eps = 1 keeps the first AdamW update proportional to the (clipped) gradient, so a wrong scale shows.
      const lr = 0.1;
      const eps = 1;
      const trainer = new addon.Trainer(model, { weightDecay: 0, eps, maxGradNorm });
      const batch = makeBatch(2, 8, config.vocabSize, 4);
      await trainer.accumulate(batch, targetTokens(batch));
      const p0 = snapshot(model);
      const grads = new Map(names.map((n) => [n, Float64Array.from(model.gradient(n) ?? new Float32Array(p0.get(n)!.length))]));
      const { gradNorm } = await trainer.update(lr);
      const p1 = snapshot(model);

      let squares = 0;
      for (const g of grads.values()) for (const x of g) squares += x * x;
      const norm = Math.sqrt(squares);
      expect(Math.abs(gradNorm - norm) / norm).toBeLessThan(1e-5);
      const coef = norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1;
      if (maxGradNorm < 1) expect(coef).toBeLessThan(0.1); // the case really clips
      let maxErr = 0;
      for (const n of names) {
        const a = p0.get(n)!;
        const g = grads.get(n)!;
        const got = p1.get(n)!;
        for (let i = 0; i < a.length; i++) {
          const gc = g[i]! * coef;
          maxErr = Math.max(maxErr, Math.abs(got[i]! - (a[i]! - (lr * gc) / (Math.abs(gc) + eps))));
        }
      }
      expect(maxErr, `maxGradNorm ${maxGradNorm}`).toBeLessThan(1e-6);
    }
  });

  it('weight decay skips biases and norm weights (first AdamW step recomputed in float64)', async () => {
    const { native } = await import('../src/native/binding.js');
    const { isNoDecayParameter } = await import('../src/train/updates.js');
    const addon = native();
    const config = await fixtureConfig('qwen2'); // q/k/v biases, RMSNorm weights
    const model = addon.Model.create(config, { seed: 5 });
    model.enableFullFinetuning();
    const names = model.parameterNames({ trainableOnly: true });
    const noDecay = names.filter(isNoDecayParameter);
    expect(noDecay).toContain('model.layers.0.self_attn.q_proj.bias');
    expect(noDecay).toContain('model.layers.0.input_layernorm.weight');
    expect(noDecay).toContain('model.norm.weight');
    expect(noDecay).not.toContain('model.layers.0.self_attn.q_proj.weight');

    const lr = 0.1;
    const wd = 0.5;
    const eps = 1e-3;
    const trainer = new addon.Trainer(model, { weightDecay: wd, beta1: 0.9, beta2: 0.999, eps, maxGradNorm: 0, noDecay });
    const batch = makeBatch(3, 10, config.vocabSize, 9);
    await trainer.accumulate(batch, targetTokens(batch));
    const p0 = snapshot(model);
    const grads = new Map(names.map((n) => [n, Float64Array.from(model.gradient(n) ?? new Float32Array(p0.get(n)!.length))]));
    await trainer.update(lr);
    const p1 = snapshot(model);

    // torch.optim.AdamW, first step: p <- p (1 - lr wd); m = (1-b1) g, v = (1-b2) g^2; bias-corrected m/(1-b1) = g,
    // sqrt(v/(1-b2)) = |g|: p <- p - lr g / (|g| + eps).
    for (const n of names) {
      const decay = noDecay.includes(n) ? 0 : wd;
      const a = p0.get(n)!;
      const g = grads.get(n)!;
      const got = p1.get(n)!;
      let maxErr = 0;
      for (let i = 0; i < a.length; i++) {
        const expected = a[i]! * (1 - lr * decay) - (lr * g[i]!) / (Math.abs(g[i]!) + eps);
        maxErr = Math.max(maxErr, Math.abs(got[i]! - expected));
      }
      expect(maxErr, n).toBeLessThan(2e-6);
    }
  });

  it('three AdamW steps at changing learning rates equal a float64 recomputation (moments, bias correction, decay)', async () => {
    const { native } = await import('../src/native/binding.js');
    const { isNoDecayParameter } = await import('../src/train/updates.js');
    const addon = native();
    const config = await fixtureConfig('qwen2');
    const model = addon.Model.create(config, { seed: 6 });
    model.enableFullFinetuning();
    const names = model.parameterNames({ trainableOnly: true });
    const noDecay = names.filter(isNoDecayParameter);
    const [b1, b2, eps, wd] = [0.9, 0.95, 1e-4, 0.1];
    const trainer = new addon.Trainer(model, { weightDecay: wd, beta1: b1, beta2: b2, eps, maxGradNorm: 0, noDecay });
    // torch.optim.AdamW in float64: p <- p (1 - lr wd); m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2;
    // p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    const m = new Map(names.map((n) => [n, new Float64Array(model.getParameter(n).length)]));
    const v = new Map(names.map((n) => [n, new Float64Array(model.getParameter(n).length)]));
    for (const [t, lr] of [0.05, 0.02, 0.08].entries()) {
      const batch = makeBatch(3, 10, config.vocabSize, 20 + t);
      await trainer.accumulate(batch, targetTokens(batch));
      const p0 = snapshot(model);
      const grads = new Map(names.map((n) => [n, Float64Array.from(model.gradient(n)!)]));
      await trainer.update(lr);
      const p1 = snapshot(model);
      const step = t + 1;
      let maxErr = 0;
      let maxUpdate = 0;
      for (const n of names) {
        const decay = noDecay.includes(n) ? 0 : wd;
        const [a, g, got, mn, vn] = [p0.get(n)!, grads.get(n)!, p1.get(n)!, m.get(n)!, v.get(n)!];
        for (let i = 0; i < a.length; i++) {
          mn[i] = b1 * mn[i]! + (1 - b1) * g[i]!;
          vn[i] = b2 * vn[i]! + (1 - b2) * g[i]! * g[i]!;
          const update = (lr * (mn[i]! / (1 - b1 ** step))) / (Math.sqrt(vn[i]! / (1 - b2 ** step)) + eps);
          const expected = a[i]! * (1 - lr * decay) - update;
          maxErr = Math.max(maxErr, Math.abs(got[i]! - expected));
          maxUpdate = Math.max(maxUpdate, Math.abs(expected - a[i]!));
        }
      }
      // float32 parameters: the error is rounding, far below the update itself.
      expect(maxErr, `step ${step}`).toBeLessThan(1e-4 * maxUpdate + 1e-6);
    }
  });

  it('names q/k norms (Qwen3) and every bias as no-decay, weights as decay', async () => {
    const { isNoDecayParameter } = await import('../src/train/updates.js');
    for (const n of ['model.layers.3.self_attn.q_norm.weight', 'model.layers.3.self_attn.k_norm.weight', 'model.layers.0.mlp.down_proj.bias', 'model.norm.weight', 'model.layers.1.post_attention_layernorm.weight']) {
      expect(isNoDecayParameter(n), n).toBe(true);
    }
    for (const n of ['model.embed_tokens.weight', 'lm_head.weight', 'model.layers.0.mlp.down_proj.weight', 'model.layers.0.self_attn.q_proj.lora_A.weight']) {
      expect(isNoDecayParameter(n), n).toBe(false);
    }
  });
});
