// Native batched generation against HF transformers' generate(do_sample=False) on the committed fixtures
// (test/fixtures/generate/*.json, made by scripts/fixtures/make_generate_fixtures.py; for prompt and prefix
// tuning the reference is HF PEFT's generate of each row alone, which a padded batch must reproduce), plus the sampling
// controls and per-row stopping.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native, type NativeGenerateOptions, type NativeModel } from '../src/native/binding.js';
import { loadAdapter } from '../src/peft/methods.js';
import { generateTokens } from '../src/eval/generate.js';
import { fixturesDir, generateFixtureCases, loadFixtureModel, repoRoot, type GenerateFixture } from './helpers/fixtures.js';
import { TEST_DEVICES, skipNote, unavailable } from './helpers/devices.js';

const CASES = generateFixtureCases();

const models = new Map<string, Promise<NativeModel>>();

/** The fixture's model (+ adapter) on `device`, loaded once per fixture and device: generation leaves it unchanged. */
function fixtureModel(f: GenerateFixture, device = 'cpu'): Promise<NativeModel> {
  const key = `${f.variant}|${f.adapter_dir}|${device}`;
  let model = models.get(key);
  if (model === undefined) {
    model = (async () => {
      const m = await loadFixtureModel(f.variant, device);
      if (f.adapter_dir !== null) {
        await loadAdapter(m, path.join(repoRoot, f.adapter_dir), { modelName: path.join(fixturesDir, f.variant) });
      }
      return m;
    })();
    models.set(key, model);
  }
  return model;
}

function leftPadded(f: GenerateFixture) {
  return {
    inputIds: Int32Array.from(f.input_ids.flat()),
    attentionMask: Int32Array.from(f.attention_mask.flat()),
    batchSize: f.input_ids.length,
    seqLen: f.input_ids[0]!.length,
  };
}

/** The same prompts right-padded, given by per-row lengths. */
function rightPadded(f: GenerateFixture) {
  const seqLen = Math.max(...f.prompts.map((p) => p.length));
  const inputIds = new Int32Array(f.prompts.length * seqLen).fill(f.pad_token_id);
  f.prompts.forEach((p, b) => inputIds.set(p, b * seqLen));
  return { inputIds, lengths: Int32Array.from(f.prompts.map((p) => p.length)), batchSize: f.prompts.length, seqLen };
}

function rows(tokens: Int32Array, batchSize: number, width: number, take = width): number[][] {
  return Array.from({ length: batchSize }, (_, b) => Array.from(tokens.subarray(b * width, b * width + take)));
}

async function generate(model: NativeModel, prompts: Parameters<ReturnType<typeof native>['generate']>[1], options: NativeGenerateOptions) {
  return native().generate(model, prompts, options);
}

it('fixtures cover llama, llama3-gqa, mistral, qwen2, qwen3, LoRA, and prompt and prefix tuning (GQA and the reparameterization MLP too)', () => {
  expect(CASES.map((c) => c.name).sort()).toEqual(
    ['llama', 'llama-lora', 'llama3-gqa', 'mistral', 'mistral-lora', 'qwen2', 'qwen3', 'llama-prompt', 'llama-prefix', 'llama-prefix-projection', 'llama3-gqa-prefix'].sort(),
  );
});

const DEVICE_CASES = TEST_DEVICES.map((device) => ({ device, note: skipNote(device), skip: unavailable(device) }));

describe.each(CASES)('$name: greedy generation matches transformers', ({ fixture: f }) => {
  // On every device: CUDA runs the same HF comparison (skipped, with the reason, where there is none).
  it.for(DEVICE_CASES)('left-padded batch, no EOS: every new token on $device$note', async ({ device, skip }, ctx) => {
    if (skip) return ctx.skip();
    const model = await fixtureModel(f, device);
    const out = await generate(model, leftPadded(f), { maxNewTokens: f.max_new_tokens, padTokenId: f.pad_token_id });
    expect(out.steps).toBe(f.max_new_tokens);
    expect(Array.from(out.lengths)).toEqual(f.greedy.map(() => f.max_new_tokens));
    expect(rows(out.tokens, out.batchSize, out.maxNewTokens)).toEqual(f.greedy);
  });

  it('per-row lengths (right padding) and one prompt at a time give the same ids', async () => {
    const model = await fixtureModel(f);
    const options = { maxNewTokens: f.max_new_tokens, padTokenId: f.pad_token_id };
    const right = await generate(model, rightPadded(f), options);
    expect(rows(right.tokens, right.batchSize, right.maxNewTokens)).toEqual(f.greedy);
    for (const [b, prompt] of f.prompts.entries()) {
      const single = await generate(model, { inputIds: Int32Array.from(prompt), batchSize: 1, seqLen: prompt.length }, options);
      expect(Array.from(single.tokens), `row ${b}`).toEqual(f.greedy[b]);
    }
  });

  it.for(DEVICE_CASES)('two EOS ids stop rows independently, as HF (pad after the EOS) on $device$note', async ({ device, skip }, ctx) => {
    if (skip) return ctx.skip();
    const model = await fixtureModel(f, device);
    const out = await generate(model, leftPadded(f), {
      maxNewTokens: f.max_new_tokens,
      padTokenId: f.pad_token_id,
      eosTokenIds: f.eos.eos_token_ids,
    });
    expect(Array.from(out.lengths)).toEqual(f.eos.lengths);
    const steps = f.eos.tokens[0]!.length;
    expect(out.steps).toBe(steps);
    expect(rows(out.tokens, out.batchSize, out.maxNewTokens, steps)).toEqual(f.eos.tokens);
    // After the last step everything is padding.
    for (const row of rows(out.tokens, out.batchSize, out.maxNewTokens)) expect(row.slice(steps).every((t) => t === f.pad_token_id)).toBe(true);
  });

  it('generateTokens (token ids in, no tokenizer) gives the same ids, each up to its EOS', async () => {
    const model = await fixtureModel(f);
    const out = await generateTokens(model, f.prompts, { maxNewTokens: f.max_new_tokens, padTokenId: f.pad_token_id, eosTokenIds: f.eos.eos_token_ids, batchSize: 2 });
    f.prompts.forEach((_, b) => {
      const length = f.eos.lengths[b]!;
      const hf = f.eos.tokens[b]!.slice(0, length);
      const stopped = length > 0 && f.eos.eos_token_ids.includes(hf[length - 1]!);
      expect(out[b], `row ${b}`).toEqual({ tokens: stopped ? hf.slice(0, -1) : hf, stoppedAtEos: stopped });
    });
  });
});

describe('sampling', () => {
  const f = CASES.find((c) => c.name === 'llama')!.fixture;
  const base = { maxNewTokens: f.max_new_tokens, padTokenId: f.pad_token_id };

  it('is reproducible with a seed and changes with the seed', async () => {
    const model = await fixtureModel(f);
    const a = await generate(model, leftPadded(f), { ...base, temperature: 1, seed: 7 });
    const b = await generate(model, leftPadded(f), { ...base, temperature: 1, seed: 7 });
    const c = await generate(model, leftPadded(f), { ...base, temperature: 1, seed: 8 });
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    expect(Array.from(a.tokens)).not.toEqual(Array.from(c.tokens));
    // Sampling at temperature 1 leaves the greedy path (a random model's distribution is flat).
    expect(rows(a.tokens, a.batchSize, a.maxNewTokens)).not.toEqual(f.greedy);
  });

  it('temperature -> 0 equals greedy', async () => {
    const model = await fixtureModel(f);
    const out = await generate(model, leftPadded(f), { ...base, temperature: 1e-6, seed: 3 });
    expect(rows(out.tokens, out.batchSize, out.maxNewTokens)).toEqual(f.greedy);
  });

  it('a tiny top-p keeps only the most likely token: equals greedy', async () => {
    const model = await fixtureModel(f);
    const out = await generate(model, leftPadded(f), { ...base, temperature: 1, topP: 1e-6, seed: 3 });
    expect(rows(out.tokens, out.batchSize, out.maxNewTokens)).toEqual(f.greedy);
  });

  it('a partial top-p still samples, within the nucleus', async () => {
    const model = await fixtureModel(f);
    const a = await generate(model, leftPadded(f), { ...base, temperature: 1, topP: 0.5, seed: 11 });
    const b = await generate(model, leftPadded(f), { ...base, temperature: 1, topP: 0.5, seed: 11 });
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
  });
});

describe('bad generate input', () => {
  const f = CASES.find((c) => c.name === 'llama')!.fixture;

  it('errors name the problem and the model keeps working', async () => {
    const model = await fixtureModel(f);
    const prompts = leftPadded(f);
    await expect(generate(model, prompts, { eosTokenIds: [320] })).rejects.toThrow(/EOS token id 320 is outside the vocabulary/);
    await expect(generate(model, prompts, { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens must be a positive integer/);
    await expect(generate(model, prompts, { maxNewTokens: 120 })).rejects.toThrow(/exceeds max_position_embeddings 128/);
    await expect(generate(model, prompts, { topP: 0 })).rejects.toThrow(/topP must be in \(0, 1\]/);
    await expect(generate(model, prompts, { temperature: -1 })).rejects.toThrow(/temperature must be/);
    const emptyRow = { ...prompts, attentionMask: new Int32Array(prompts.attentionMask.length).fill(1).fill(0, 0, prompts.seqLen) };
    await expect(generate(model, emptyRow, {})).rejects.toThrow(/prompt row 0 has no real token/);
    await expect(generate(model, { ...prompts, lengths: new Int32Array([1, 1, 1]) }, {})).rejects.toThrow(/attentionMask or lengths, not both/);
    await expect(generate(model, { ...prompts, inputIds: prompts.inputIds.map(() => 400) }, { maxNewTokens: 4 })).rejects.toThrow(/token id 400 is outside the vocabulary/);
    const ok = await generate(model, prompts, { maxNewTokens: 2 });
    expect(rows(ok.tokens, ok.batchSize, 2)).toEqual(f.greedy.map((r) => r.slice(0, 2)));
  });
});
