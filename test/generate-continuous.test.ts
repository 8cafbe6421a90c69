// Continuous batching (native generateContinuous, src/eval/generate.ts generateTokens): a row that ends is
// replaced at once by the next prompt in its KV-cache slot. Greedy ids must be those of each prompt generated
// alone (and so the HF fixtures', test/generate.test.ts), for every fixture model: plain, GQA, Mistral's
// sliding window, Qwen, LoRA, prompt tuning and prefix tuning, also where prompts share a prefix computed once;
// sampling must be reproducible and independent of the slots.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native, type NativeModel } from '../src/native/binding.js';
import { loadAdapter } from '../src/peft/methods.js';
import { generateTokens, leftPad } from '../src/eval/generate.js';
import { fixturesDir, generateFixtureCases, loadFixtureModel, repoRoot, type GenerateFixture } from './helpers/fixtures.js';

const CASES = generateFixtureCases();

const models = new Map<string, Promise<NativeModel>>();
function fixtureModel(f: GenerateFixture): Promise<NativeModel> {
  const key = `${f.variant}|${f.adapter_dir}`;
  let model = models.get(key);
  if (model === undefined) {
    model = (async () => {
      const m = await loadFixtureModel(f.variant);
      if (f.adapter_dir !== null) await loadAdapter(m, path.join(repoRoot, f.adapter_dir), { modelName: path.join(fixturesDir, f.variant) });
      return m;
    })();
    models.set(key, model);
  }
  return model;
}

function rows(out: { tokens: Int32Array; lengths: Int32Array; batchSize: number; maxNewTokens: number }): number[][] {
  return Array.from({ length: out.batchSize }, (_, b) => Array.from(out.tokens.subarray(b * out.maxNewTokens, b * out.maxNewTokens + out.lengths[b]!)));
}

/** Nine prompts of lengths 1..13 cut from the fixture's prompts (more prompts than slots, so slots are refilled). */
function manyPrompts(f: GenerateFixture): number[][] {
  const [a, b, c] = f.prompts as [number[], number[], number[]];
  return [a, b.slice(0, 1), c, a.slice(0, 7), b, c.slice(0, 5), a.slice(2, 12), b.slice(1, 3), c.slice(0, 8)];
}

async function alone(model: NativeModel, prompts: number[][], options: { maxNewTokens: number; padTokenId: number; eosTokenIds?: number[] }) {
  const out: number[][] = [];
  for (const p of prompts) out.push(rows(await native().generate(model, { inputIds: Int32Array.from(p), batchSize: 1, seqLen: p.length }, options))[0]!);
  return out;
}

describe.each(CASES)('$name: continuous batching gives the ids of each prompt alone', ({ fixture: f }) => {
  const base = { maxNewTokens: f.max_new_tokens, padTokenId: f.pad_token_id };

  it('the fixture prompts in 2 slots: HF greedy ids, without and with EOS', async () => {
    const model = await fixtureModel(f);
    const plain = await native().generateContinuous(model, leftPad(f.prompts, f.pad_token_id), { ...base, slots: 2 });
    expect(rows(plain)).toEqual(f.greedy);
    const eos = await native().generateContinuous(model, leftPad(f.prompts, f.pad_token_id), { ...base, slots: 2, eosTokenIds: f.eos.eos_token_ids });
    expect(Array.from(eos.lengths)).toEqual(f.eos.lengths);
    expect(rows(eos)).toEqual(f.eos.tokens.map((r, b) => r.slice(0, f.eos.lengths[b])));
  });

  it('nine prompts of lengths 1..13, EOS at different steps, 1, 3 and 16 slots', async () => {
    const model = await fixtureModel(f);
    const prompts = manyPrompts(f);
    // EOS ids taken from the free-running outputs at different steps, so rows end early, at different times.
    const free = await alone(model, prompts, base);
    const eosTokenIds = [...new Set([free[0]![2]!, free[3]![9]!, free[6]![15]!])];
    const options = { ...base, eosTokenIds };
    const expected = await alone(model, prompts, options);
    expect(new Set(expected.map((r) => r.length)).size).toBeGreaterThan(2);
    for (const slots of [1, 3, 16]) {
      const out = await native().generateContinuous(model, leftPad(prompts, f.pad_token_id), { ...options, slots });
      expect(rows(out), `${slots} slots`).toEqual(expected);
      for (const row of rows(out)) {
        if (row.length < f.max_new_tokens) expect(eosTokenIds).toContain(row[row.length - 1]);
      }
    }
  });
});

/**
 * Prompts in two groups that begin alike, the groups' beginnings themselves sharing 5 tokens, and two prompts
 * that share nothing: group A (4 prompts) begins with the same 14 tokens, group B (3 prompts) with the same
 * 15, each member then going its own way (a distinct next token). Sharing 14 and 15 tokens in two groups
 * reuses 3 x 14 + 2 x 15 = 72 prompt tokens; one group over all 7 sharing the common 5 would reuse only 30.
 */
function sharedPrefixPrompts(f: GenerateFixture): { prompts: number[][]; reused: number } {
  const [a, b, c] = f.prompts as [number[], number[], number[]];
  const start = a.slice(0, 5);
  const groupA = [...start, ...c];
  const groupB = [...start, ...b, ...c.slice(0, 6)];
  const rest = (i: number) => [((i * 37 + 11) % 250) + 2, ...f.prompts[i % 3]!.slice(0, i % 4)];
  const prompts = [b, ...[0, 1, 2, 3].map((i) => [...groupA, ...rest(i)]), c.slice(0, 3), ...[4, 5, 6].map((i) => [...groupB, ...rest(i)])];
  // What the count relies on: the groups part after their 5 common tokens, the lone prompts begin elsewhere.
  expect(c[0]).not.toBe(b[0]);
  expect(new Set([a[0], b[0], c[0]]).size).toBe(3);
  return { prompts, reused: 3 * groupA.length + 2 * groupB.length };
}

describe.each(CASES)('$name: prompts sharing a prefix compute it once, with the ids of each prompt alone', ({ fixture: f }) => {
  const base = { maxNewTokens: f.max_new_tokens, padTokenId: f.pad_token_id };

  it('two groups and two lone prompts, rows ending at different steps, 1, 3 and 16 slots', async () => {
    const model = await fixtureModel(f);
    const { prompts, reused } = sharedPrefixPrompts(f);
    const free = await alone(model, prompts, base);
    const eosTokenIds = [...new Set([free[1]![3]!, free[5]![8]!, free[7]![12]!])];
    const options = { ...base, eosTokenIds };
    const expected = await alone(model, prompts, options);
    expect(new Set(expected.map((r) => r.length)).size).toBeGreaterThan(2);
    for (const slots of [1, 3, 16]) {
      const out = await native().generateContinuous(model, leftPad(prompts, f.pad_token_id), { ...options, slots, minSharedPrefix: 4 });
      expect(rows(out), `${slots} slots`).toEqual(expected);
      expect(out.reusedPromptTokens, `${slots} slots`).toBe(reused);
    }
    const whole = await native().generateContinuous(model, leftPad(prompts, f.pad_token_id), { ...options, slots: 3, minSharedPrefix: 0 });
    expect(rows(whole)).toEqual(expected);
    expect(whole.reusedPromptTokens).toBe(0);
    // Prefixes shorter than the minimum are not shared: only the groups' 5 common tokens would be left to share
    // at a minimum of 16, and no group shares 16.
    expect((await native().generateContinuous(model, leftPad(prompts, f.pad_token_id), { ...options, slots: 3, minSharedPrefix: 16 })).reusedPromptTokens).toBe(0);
  });
});

describe('continuous batching: sampling, padding, progress, errors', () => {
  const f = CASES.find((c) => c.name === 'llama')!.fixture;
  const base = { maxNewTokens: f.max_new_tokens, padTokenId: f.pad_token_id };

  it('samples reproducibly per row: the same ids whatever the slots, other ids with another seed', async () => {
    const model = await fixtureModel(f);
    const prompts = manyPrompts(f);
    const sample = async (slots: number, seed: number, rowIds?: number[]) =>
      rows(await native().generateContinuous(model, leftPad(prompts, f.pad_token_id), { ...base, temperature: 1, seed, slots, ...(rowIds ? { rowIds } : {}) }));
    const a = await sample(3, 7);
    expect(await sample(3, 7)).toEqual(a);
    expect(await sample(1, 7)).toEqual(a);
    expect(await sample(9, 7)).toEqual(a);
    expect(await sample(3, 8)).not.toEqual(a);
    // Row ids name the generator: row 0 given id 4 samples what row 4 does.
    const renamed = await sample(3, 7, prompts.map((_, i) => (i === 0 ? 4 : i)));
    const promptsSwapped = [prompts[4]!, ...prompts.slice(1)];
    const swapped = rows(await native().generateContinuous(model, leftPad(promptsSwapped, f.pad_token_id), { ...base, temperature: 1, seed: 7, slots: 3, rowIds: prompts.map((_, i) => (i === 0 ? 4 : i)) }));
    expect(swapped[0]).toEqual(a[4]);
    expect(renamed.slice(1)).toEqual(a.slice(1));
    // A row samples the same ids whether its prompt's shared prefix was computed once or with the prompt.
    const { prompts: sharing } = sharedPrefixPrompts(f);
    const sampleSharing = async (minSharedPrefix: number) =>
      rows(await native().generateContinuous(model, leftPad(sharing, f.pad_token_id), { ...base, temperature: 1, seed: 7, slots: 3, minSharedPrefix }));
    expect(await sampleSharing(4)).toEqual(await sampleSharing(0));
    // Greedy limits: a tiny temperature or top-p is greedy.
    const greedy = rows(await native().generateContinuous(model, leftPad(f.prompts, f.pad_token_id), { ...base, slots: 2 }));
    expect(rows(await native().generateContinuous(model, leftPad(f.prompts, f.pad_token_id), { ...base, slots: 2, temperature: 1, topP: 1e-6 }))).toEqual(greedy);
  });

  it('right padding (lengths) gives the same ids as left padding', async () => {
    const model = await fixtureModel(f);
    const seqLen = Math.max(...f.prompts.map((p) => p.length));
    const inputIds = new Int32Array(f.prompts.length * seqLen).fill(f.pad_token_id);
    f.prompts.forEach((p, b) => inputIds.set(p, b * seqLen));
    const out = await native().generateContinuous(model, { inputIds, lengths: Int32Array.from(f.prompts.map((p) => p.length)), batchSize: 3, seqLen }, { ...base, slots: 2 });
    expect(rows(out)).toEqual(f.greedy);
  });

  it('generateTokens: continuous (default) and fixed batches agree; progress counts every prompt up to the total', async () => {
    const model = await fixtureModel(f);
    const prompts = manyPrompts(f);
    const eosTokenIds = f.eos.eos_token_ids;
    const seen: Array<[number, number]> = [];
    const continuous = await generateTokens(model, prompts, { ...base, eosTokenIds, batchSize: 2, onProgress: (d, t) => seen.push([d, t]) });
    const fixed = await generateTokens(model, prompts, { ...base, eosTokenIds, batchSize: 2, batching: 'fixed' });
    expect(continuous).toEqual(fixed);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual([prompts.length, prompts.length]);
    for (let i = 1; i < seen.length; ++i) expect(seen[i]![0]).toBeGreaterThan(seen[i - 1]![0]);
    expect(await generateTokens(model, [], { ...base, eosTokenIds })).toEqual([]);
  });

  it('errors name the problem and the model keeps working', async () => {
    const model = await fixtureModel(f);
    const prompts = leftPad(f.prompts, f.pad_token_id);
    await expect(native().generateContinuous(model, prompts, { ...base, slots: 0 })).rejects.toThrow(/slots must be a positive integer/);
    await expect(native().generateContinuous(model, prompts, { ...base, minSharedPrefix: -1 })).rejects.toThrow(/minSharedPrefix must be an integer >= 0/);
    await expect(native().generateContinuous(model, prompts, { ...base, rowIds: [1] })).rejects.toThrow(/rowIds must give one id per prompt row/);
    await expect(native().generateContinuous(model, prompts, { maxNewTokens: 120 })).rejects.toThrow(/exceeds max_position_embeddings 128/);
    await expect(native().generateContinuous(model, prompts, { eosTokenIds: [320] })).rejects.toThrow(/EOS token id 320 is outside the vocabulary/);
    const ok = await native().generateContinuous(model, prompts, { ...base, maxNewTokens: 1, slots: 1 });
    expect(rows(ok)).toEqual(f.greedy.map((r) => r.slice(0, 1)));
  });

  it('an encoder-decoder model is refused (T5 generates in fixed batches)', async () => {
    const t5 = await loadFixtureModel('t5-original');
    await expect(native().generateContinuous(t5, { inputIds: Int32Array.from([5, 6, 1]), batchSize: 1, seqLen: 3 }, { maxNewTokens: 2 })).rejects.toThrow(/decoder-only/);
  });
});
