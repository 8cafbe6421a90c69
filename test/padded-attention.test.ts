// Padded batches: right-padded batches for a loss take causal attention without a mask (native/models/llama.cc,
// CausalSufficesForLoss), left padding and logits requests keep the explicit mask. Either way a row's loss,
// gradients and logits are those of the row run alone, unpadded (plain causal attention, itself checked against
// transformers in parity.test.ts). llama3-gqa has grouped-query attention. Without a built addon: skipped
// with the reason (a failure under CI).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBatch, NativeModel } from '../src/native/binding.js';
import { addonBuilt } from './helpers/addon.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = addonBuilt(import.meta.filename);

const LENGTHS = [12, 9, 5];
const SEQ = 12;

/** Row i's tokens; its first 2 positions unlabelled. */
function row(i: number, vocab: number): { ids: number[]; labels: number[] } {
  const ids = Array.from({ length: LENGTHS[i]! }, (_, j) => 1 + ((i * 37 + j * 11) % (vocab - 1)));
  return { ids, labels: ids.map((x, j) => (j < 2 ? -100 : x)) };
}

function padded(vocab: number, side: 'left' | 'right'): NativeBatch {
  const n = LENGTHS.length;
  const inputIds = new Int32Array(n * SEQ);
  const labels = new Int32Array(n * SEQ).fill(-100);
  const attentionMask = new Int32Array(n * SEQ);
  for (let i = 0; i < n; i++) {
    const r = row(i, vocab);
    const at = i * SEQ + (side === 'right' ? 0 : SEQ - r.ids.length);
    inputIds.set(r.ids, at);
    labels.set(r.labels, at);
    attentionMask.fill(1, at, at + r.ids.length);
  }
  return { inputIds, labels, attentionMask, batchSize: n, seqLen: SEQ };
}

function alone(i: number, vocab: number): NativeBatch {
  const r = row(i, vocab);
  return { inputIds: Int32Array.from(r.ids), labels: Int32Array.from(r.labels), batchSize: 1, seqLen: r.ids.length };
}

async function gradients(model: NativeModel, b: NativeBatch) {
  const r = await model.backward(b);
  return { targets: r.targetTokens, grads: new Map(model.parameterNames({ trainableOnly: true }).map((n) => [n, Float32Array.from(model.gradient(n)!)])) };
}

describe.skipIf(!built)('padded batches', () => {
  for (const variant of ['llama', 'llama3-gqa']) {
    for (const side of ['right', 'left'] as const) {
      it(`${variant}, ${side} padding: loss and gradients are the rows' own`, async () => {
        const { native } = await import('../src/native/binding.js');
        const { readModelConfig } = await import('../src/models/config.js');
        const { config } = await readModelConfig(path.join(root, 'test/fixtures/models', variant, 'config.json'));
        const model = native().Model.create(config, { seed: 4 });
        model.applyLora({ r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'], useRslora: false, init: 'gaussian', seed: 2 });
        // B starts at zero, which would leave A without a gradient: give it values so both are checked.
        for (const name of model.parameterNames({ trainableOnly: true }).filter((n) => n.includes('lora_B'))) {
          const size = model.getParameter(name).length;
          model.setParameter(name, Float32Array.from({ length: size }, (_, k) => 0.05 * Math.sin(k + 1)));
        }
        const batch = padded(config.vocabSize, side);
        const whole = await model.forward(batch);
        const got = await gradients(model, batch);
        // The batch's gradient of its mean loss is the target-weighted sum of each row's own.
        let lossSum = 0;
        const expected = new Map<string, Float64Array>();
        for (let i = 0; i < LENGTHS.length; i++) {
          const one = alone(i, config.vocabSize);
          lossSum += (await model.forward(one)).lossSum;
          const g = await gradients(model, one);
          for (const [name, values] of g.grads) {
            const acc = expected.get(name) ?? new Float64Array(values.length);
            for (let k = 0; k < values.length; k++) acc[k]! += (values[k]! * g.targets) / got.targets;
            expected.set(name, acc);
          }
        }
        expect(Math.abs(whole.lossSum - lossSum) / lossSum).toBeLessThan(1e-5);
        for (const [name, values] of got.grads) {
          const want = expected.get(name)!;
          const scale = Math.max(...Array.from(want, Math.abs));
          const diff = Math.max(...Array.from(values, (v, k) => Math.abs(v - want[k]!)));
          expect(diff / scale, name).toBeLessThan(1e-4);
        }
      });
    }
  }

  it("logits of a right-padded batch at real positions are the rows' own", async () => {
    const { native } = await import('../src/native/binding.js');
    const { readModelConfig } = await import('../src/models/config.js');
    const { config } = await readModelConfig(path.join(root, 'test/fixtures/models', 'llama', 'config.json'));
    const model = native().Model.create(config, { seed: 4 });
    const batch = padded(config.vocabSize, 'right');
    const logits = (await model.forward(batch, { returnLogits: true })).logits!;
    const vocab = config.vocabSize;
    for (let i = 0; i < LENGTHS.length; i++) {
      const own = (await model.forward(alone(i, vocab), { returnLogits: true })).logits!;
      const mine = logits.subarray(i * SEQ * vocab, i * SEQ * vocab + LENGTHS[i]! * vocab);
      const diff = Math.max(...Array.from(own, (v, k) => Math.abs(v - mine[k]!)));
      expect(diff).toBeLessThan(1e-4);
    }
  });
});
