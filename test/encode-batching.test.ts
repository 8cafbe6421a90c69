import { describe, expect, it } from 'vitest';
import { EncodeTally, IGNORE_INDEX, countShiftedTargets, encodeExample, encodeTokens, validateEncodeLimits, type EncodeLimits } from '../src/data/encode.js';
import { collate, makeBatches, planBatches } from '../src/data/batching.js';
import type { TextTokenizer } from '../src/tokenizer/types.js';
import type { TrainingExample } from '../src/data/types.js';
import { builtinTokenizer } from '../src/builtin/index.js';
import { loadTrainingData } from '../src/data/sources.js';

const M = IGNORE_INDEX;

/** A tokenizer with known ids: one id per character code, BOS 1, EOS 2, pad 0. */
const charTokenizer: TextTokenizer = {
  encode: async (text) => Array.from(text, (c) => c.charCodeAt(0)),
  encodeBatch: async (texts) => texts.map((text) => Array.from(text, (c) => c.charCodeAt(0))),
  decode: (ids) => String.fromCharCode(...Array.from(ids)),
  vocabSize: 256,
  longestTokenChars: 1,
  bosId: 1,
  eosId: 2,
  padId: 0,
  source: 'test chars',
};
const limits = (l: Partial<EncodeLimits> = {}): EncodeLimits => ({ maxSourceLength: 100, maxTargetLength: 100, addBos: false, ...l });
const meta = { task: 't', id: 'i' };

describe('encoding one example', () => {
  it('lays out [BOS] prompt target EOS with labels only on target and EOS', async () => {
    const out = encodeTokens([10, 11, 12], [20, 21], charTokenizer, limits({ addBos: true }), meta);
    expect(Array.from(out.example!.inputIds)).toEqual([1, 10, 11, 12, 20, 21, 2]);
    expect(Array.from(out.example!.labels)).toEqual([M, M, M, M, 20, 21, 2]);
    expect(out.example!.sourceLength).toBe(4); // [BOS] 10 11 12
    expect(out.example!.task).toBe('t');
    expect(out.example!.id).toBe('i');
    expect([out.sourceTruncated, out.targetTruncated, out.totalTruncated]).toEqual([false, false, false]);
    const noBos = await encodeExample('ab', 'c', charTokenizer, limits(), meta);
    expect(Array.from(noBos.example!.inputIds)).toEqual([97, 98, 99, 2]);
    expect(Array.from(noBos.example!.labels)).toEqual([M, M, 99, 2]);
  });

  it('keeps the beginning of the source, and EOS when cutting the target', () => {
    const out = encodeTokens([10, 11, 12, 13, 14], [20, 21, 22, 23], charTokenizer, limits({ maxSourceLength: 3, maxTargetLength: 3, addBos: true }), meta);
    expect(Array.from(out.example!.inputIds)).toEqual([1, 10, 11, 20, 21, 2]);
    expect(Array.from(out.example!.labels)).toEqual([M, M, M, 20, 21, 2]);
    expect(out.example!.sourceLength).toBe(3); // the truncated source
    expect([out.sourceTruncated, out.targetTruncated, out.totalTruncated]).toEqual([true, true, false]);
    // Target plus EOS exactly at the limit is not truncated.
    expect(encodeTokens([10], [20, 21], charTokenizer, limits({ maxTargetLength: 3 }), meta).targetTruncated).toBe(false);
  });

  it('cuts the whole sequence to maxLength from the end, and drops examples left without a trained label', () => {
    const cut = encodeTokens([10, 11], [20, 21, 22], charTokenizer, limits({ maxLength: 4 }), meta);
    expect(Array.from(cut.example!.inputIds)).toEqual([10, 11, 20, 21]);
    expect(Array.from(cut.example!.labels)).toEqual([M, M, 20, 21]);
    expect(cut.totalTruncated).toBe(true);
    const none = encodeTokens([10, 11, 12], [20], charTokenizer, limits({ maxLength: 3 }), meta);
    expect(none.example).toBeNull();
    // A label at position 0 never counts (no token predicts it): an empty prompt and empty target without
    // BOS leave only EOS at position 0 -> dropped; with one target token, EOS at position 1 counts.
    expect(encodeTokens([], [], charTokenizer, limits(), meta).example).toBeNull();
    expect(encodeTokens([], [20], charTokenizer, limits(), meta).example).not.toBeNull();
    expect(encodeTokens([], [], charTokenizer, limits({ addBos: true }), meta).example).not.toBeNull();
    expect(countShiftedTargets([20, 2])).toBe(1);
    expect(countShiftedTargets([M, M, 5, 6])).toBe(2);
  });

  it('validates limits', () => {
    expect(() => validateEncodeLimits(limits({ maxSourceLength: 0 }), charTokenizer)).toThrow(/maxSourceLength must be a positive integer/);
    expect(() => validateEncodeLimits(limits({ maxTargetLength: 1.5 }), charTokenizer)).toThrow(/maxTargetLength/);
    expect(() => validateEncodeLimits(limits({ maxLength: 1 }), charTokenizer)).toThrow(/maxLength must be at least 2/);
    expect(() => validateEncodeLimits(limits({ addBos: true }), { ...charTokenizer, bosId: null })).toThrow(/has no BOS token/);
  });

  it('tallies truncation and drops into notes', () => {
    const tally = new EncodeTally();
    const l = limits({ maxSourceLength: 2, maxTargetLength: 2, maxLength: 3 });
    tally.add(encodeTokens([1, 2, 3], [4, 5], charTokenizer, l, { task: 'a', id: '1' }), { task: 'a', id: '1' }); // source, target and total cut, kept
    tally.add(encodeTokens([1], [4], charTokenizer, l, { task: 'a', id: '2' }), { task: 'a', id: '2' }); // untouched
    tally.add(encodeTokens([1, 2, 3], [], charTokenizer, { ...l, maxLength: 2 }, { task: 'b', id: '3' }), { task: 'b', id: '3' }); // source and total cut, dropped
    expect([tally.examples, tally.dropped, tally.truncatedExamples, tally.sourceTruncated, tally.targetTruncated]).toEqual([2, 1, 1, 2, 1]);
    expect(tally.tokens).toBe(3 + 3);
    expect(tally.notes(l)).toEqual([
      '2 example(s): source cut to its first 2 tokens (maxSourceLength)',
      '1 example(s): target cut to 2 tokens including EOS (maxTargetLength)',
      '2 example(s): sequence cut to its first 3 tokens (maxLength)',
      '1 example(s) dropped: no target token left after truncation (b/3)',
    ]);
  });
});

const ex = (inputIds: number[], labels: number[], id = 'x'): TrainingExample => ({ inputIds: Int32Array.from(inputIds), labels: Int32Array.from(labels), task: 't', id });

describe('batching', () => {
  it('pads on the right and counts shifted target tokens and real tokens', () => {
    const a = ex([5, 6, 7, 8], [M, M, 7, 8]); // targets at positions 2 and 3: 2
    const b = ex([9, 10], [9, 10]); // position 0 does not count: 1
    const batch = collate([a, b], 0);
    expect(batch.batchSize).toBe(2);
    expect(batch.seqLen).toBe(4);
    expect(Array.from(batch.inputIds)).toEqual([5, 6, 7, 8, 9, 10, 0, 0]);
    expect(Array.from(batch.labels)).toEqual([M, M, 7, 8, 9, 10, M, M]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    expect(batch.targetTokens).toBe(3);
    expect(batch.realTokens).toBe(6);
    expect(() => collate([ex([1, 2], [1])], 0)).toThrow(/labels \(1\) and inputIds \(2\) differ/);
    expect(() => collate([], 0)).toThrow(/at least one example/);
  });

  it('targetTokens equals the loss positions of a shifted loss computed from the padded batch', () => {
    // Independent recount over the padded tensors: position t is in the loss when labels[t] != -100 and
    // the model sees a real token at t-1 (attention mask 1).
    const examples = Array.from({ length: 13 }, (_, i) => {
      const n = 3 + (i % 5);
      const p = 1 + (i % 3);
      return ex(Array.from({ length: n }, (_, k) => 10 + k), Array.from({ length: n }, (_, k) => (k < p ? M : 10 + k)), `e${i}`);
    });
    for (const batch of makeBatches(examples, { batchSize: 4, padId: 3, seed: 1, epoch: 0, shuffle: true })) {
      let count = 0;
      for (let r = 0; r < batch.batchSize; r++) {
        for (let t = 1; t < batch.seqLen; t++) {
          const i = r * batch.seqLen + t;
          if (batch.labels[i] !== M && batch.attentionMask[i - 1] === 1) count++;
        }
      }
      expect(batch.targetTokens).toBe(count);
      expect(batch.realTokens).toBe(batch.attentionMask.reduce((s, v) => s + v, 0));
      expect(batch.inputIds.filter((v, i) => batch.attentionMask[i] === 0).every((v) => v === 3)).toBe(true);
    }
  });

  it('orders deterministically per (seed, epoch), covers every example once, and honors dropLast', () => {
    const options = { batchSize: 4, padId: 0, seed: 42, epoch: 0, shuffle: true };
    const a = planBatches(10, options);
    expect(planBatches(10, options)).toEqual(a);
    expect(a.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(a.batches.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.batches.flat()).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(planBatches(10, { ...options, epoch: 1 }).batches.flat()).not.toEqual(a.batches.flat());
    expect(planBatches(10, { ...options, seed: 43 }).batches.flat()).not.toEqual(a.batches.flat());
    expect(planBatches(10, { ...options, shuffle: false }).batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const dropped = planBatches(10, { ...options, dropLast: true });
    expect(dropped.batches).toEqual(a.batches.slice(0, 2));
    expect(dropped.leftOver).toBe(2);
    expect(planBatches(8, { ...options, dropLast: true }).leftOver).toBe(0);
    expect(() => planBatches(10, { ...options, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    const examples = Array.from({ length: 10 }, (_, i) => ex([i + 1, i + 1], [M, i + 1], `e${i}`));
    const batches = makeBatches(examples, options);
    expect(batches.map((b) => Array.from(b.inputIds).filter((_, k) => k % 2 === 0).map((v) => v - 1))).toEqual(a.batches);
  });
});

describe('built-in data end to end', () => {
  it('encodes every built-in training example as <s> prompt target </s>, labels on target and </s>', async () => {
    const tok = await builtinTokenizer();
    const data = await loadTrainingData('builtin', tok, {});
    expect(data.summary).toMatchObject({ source: 'builtin', tasks: 10, examples: 1000, truncated: 0, dropped: 0, notes: [] });
    const byId = new Map(data.tasks.flatMap((t) => t.instances.map((i) => [i.id, i] as const)));
    for (const e of data.examples) {
      expect(e.inputIds[0]).toBe(tok.bosId);
      expect(e.inputIds[e.inputIds.length - 1]).toBe(tok.eosId);
      const first = e.labels.findIndex((l) => l !== M);
      expect(tok.decode(e.labels.subarray(first))).toBe(`${byId.get(e.id)!.output[0]}</s>`);
      expect(tok.decode(e.inputIds.subarray(1, first))).toMatch(/^Definition: In this task, [\s\S]*\nInput: [\s\S]*\nOutput: $/);
    }
    const batches = makeBatches(data.examples, { batchSize: 16, padId: tok.padId, seed: 42, epoch: 0, shuffle: true });
    expect(batches).toHaveLength(63);
    expect(batches.reduce((s, b) => s + b.realTokens, 0)).toBe(data.summary.tokens);
  });
});
