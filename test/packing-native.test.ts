// Packing on the native side: several sequences in one row, RoPE positions restarting per sequence and
// no attention across sequences. Reference: the same sequences run one per row without packing (that
// path is checked against transformers in parity.test.ts), so a packed row must reproduce each
// sequence's logits, loss and gradients.
import { describe, expect, it } from 'vitest';
import { loadFixtureModel, maxRelativeError } from './helpers/fixtures.js';
import type { NativeBatch, NativeModel } from '../src/native/binding.js';

const IGNORE = -100;

interface Sequence {
  ids: number[];
  labels: number[];
}

/** Deterministic pseudo-random sequences; the first `prompt` tokens carry no label. */
function makeSequences(lengths: number[], vocab: number, prompt = 2): Sequence[] {
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % vocab;
  };
  return lengths.map((n) => {
    const ids = Array.from({ length: n }, next);
    return { ids, labels: ids.map((id, i) => (i < prompt ? IGNORE : id)) };
  });
}

/** One row holding every sequence back to back, then padding up to seqLen. */
function packedRow(sequences: Sequence[], seqLen: number): NativeBatch {
  const inputIds = new Int32Array(seqLen);
  const labels = new Int32Array(seqLen).fill(IGNORE);
  const attentionMask = new Int32Array(seqLen);
  const positionIds = new Int32Array(seqLen);
  const sequenceIds = new Int32Array(seqLen);
  let at = 0;
  sequences.forEach((s, k) => {
    inputIds.set(s.ids, at);
    labels.set(s.labels, at);
    attentionMask.fill(1, at, at + s.ids.length);
    positionIds.set(s.ids.map((_, i) => i), at);
    sequenceIds.fill(k + 1, at, at + s.ids.length);
    at += s.ids.length;
  });
  return { inputIds, labels, attentionMask, positionIds, sequenceIds, batchSize: 1, seqLen };
}

function singleRow(s: Sequence): NativeBatch {
  return { inputIds: Int32Array.from(s.ids), labels: Int32Array.from(s.labels), batchSize: 1, seqLen: s.ids.length };
}

async function forwardLogits(model: NativeModel, batch: NativeBatch) {
  const out = await model.forward(batch, { returnLogits: true });
  return { ...out, logits: out.logits! };
}

// mistral has sliding_window 8, so sequences longer than 8 also check the window inside a packed row.
describe.each(['llama', 'llama3-gqa', 'mistral', 'qwen3'])('packed rows on %s', (variant) => {
  it('reproduce each sequence run alone: logits, loss sum and target count', async () => {
    const model = await loadFixtureModel(variant);
    const vocab = model.config().vocabSize;
    const sequences = makeSequences([7, 13, 5, 11], vocab);
    const total = sequences.reduce((n, s) => n + s.ids.length, 0);
    const packed = await forwardLogits(model, packedRow(sequences, total + 3));

    let lossSum = 0;
    let targets = 0;
    let at = 0;
    for (const s of sequences) {
      const alone = await forwardLogits(model, singleRow(s));
      lossSum += alone.lossSum;
      targets += alone.targetTokens;
      const slice = packed.logits.subarray(at * vocab, (at + s.ids.length) * vocab);
      expect(maxRelativeError(slice, alone.logits)).toBeLessThan(1e-5);
      at += s.ids.length;
    }
    expect(packed.targetTokens).toBe(targets);
    expect(Math.abs(packed.lossSum - lossSum) / lossSum).toBeLessThan(1e-5);
  });
});

describe('packing and training', () => {
  it('a packed row gives the token-weighted gradients of its sequences', async () => {
    const model = await loadFixtureModel('llama');
    model.enableFullFinetuning();
    const sequences = makeSequences([6, 9, 4], model.config().vocabSize, 1);
    const names = ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.mlp.down_proj.weight', 'model.embed_tokens.weight'];

    // backward() takes the mean over target tokens, so the packed gradient is sum_k (n_k / n) grad_k.
    const packed = await model.backward(packedRow(sequences, 21));
    const packedGrads = names.map((n) => model.gradient(n)!.slice());
    const expected = names.map((n) => new Float64Array(model.parameterShape(n).reduce((a, b) => a * b, 1)));
    for (const s of sequences) {
      const alone = await model.backward(singleRow(s));
      names.forEach((n, j) => {
        const g = model.gradient(n)!;
        for (let i = 0; i < g.length; i++) expected[j]![i]! += (g[i]! * alone.targetTokens) / packed.targetTokens;
      });
    }
    names.forEach((_, j) => expect(maxRelativeError(packedGrads[j]!, expected[j]!)).toBeLessThan(1e-4));
  });

  it('rejects sequence ids without positions, and negative ones', async () => {
    const model = await loadFixtureModel('llama');
    const batch = packedRow(makeSequences([4, 4], model.config().vocabSize), 8);
    await expect(model.forward({ ...batch, positionIds: undefined })).rejects.toThrow(/positionIds/);
    await expect(model.forward({ ...batch, sequenceIds: Int32Array.from([1, 1, 1, 1, -1, -1, -1, -1]) })).rejects.toThrow(/sequence ids/);
    await expect(model.forward({ ...batch, positionIds: new Int32Array(8).fill(500) })).rejects.toThrow(/position id 500/);
  });
});
