// Log-likelihood scoring (native scoreContinuations, src/eval/loglik.ts) against HF transformers in float64 on
// the committed fixture models (test/fixtures/score/*.json, scripts/fixtures/make_score_fixtures.py), where each
// candidate was scored alone over the whole prompt + candidate sequence; natively the candidates of a prompt run
// as one batch against copies of its KV cache (T5: as decoder targets).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native, type NativeModel } from '../src/native/binding.js';
import { nativeScorer } from '../src/eval/loglik.js';
import type { TextTokenizer } from '../src/tokenizer/types.js';
import { loadFixtureModel, repoRoot } from './helpers/fixtures.js';

interface ScoreFixture {
  variant: string;
  requests: Array<{ prompt: number[]; candidates: number[][] }>;
  expected: Array<Array<{ logProb: number; tokens: number; greedy: boolean }>>;
}

const scoreDir = path.join(repoRoot, 'test/fixtures/score');
const fixtures: ScoreFixture[] = readdirSync(scoreDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(scoreDir, f), 'utf8')) as ScoreFixture);

describe('scoreContinuations against transformers (float64, each candidate alone)', () => {
  it('covers decoders with GQA and a sliding window, and T5', () => {
    expect(fixtures.map((f) => f.variant)).toEqual(['llama', 'llama3-gqa', 'mistral', 'qwen2', 'qwen3', 't5-v1_1']);
  });

  for (const f of fixtures) {
    it(`${f.variant}: every candidate's summed log-probability, token count and greediness`, async () => {
      const model = await loadFixtureModel(f.variant);
      const scores = await native().scoreContinuations(model, f.requests);
      expect(scores.map((row) => row.length)).toEqual(f.expected.map((row) => row.length));
      scores.forEach((row, r) =>
        row.forEach((s, c) => {
          const want = f.expected[r]![c]!;
          // float32 forward against a float64 reference: ~1e-6 per token.
          expect(Math.abs(s.logProb - want.logProb)).toBeLessThan(2e-5 * want.tokens);
          expect(s.tokens).toBe(want.tokens);
          expect(s.greedy).toBe(want.greedy);
        }),
      );
      model.dispose();
    });
  }
});

/** A tokenizer over single characters (id = code % 200 + 3); with `merge`, "xy" is one token (250). */
function charTokenizer(merge = false): TextTokenizer {
  const encode = async (text: string) => {
    const ids: number[] = [];
    for (let i = 0; i < text.length; i++) {
      if (merge && text.slice(i, i + 2) === 'xy') {
        ids.push(250);
        i++;
      } else {
        ids.push((text.charCodeAt(i) % 200) + 3);
      }
    }
    return ids;
  };
  return { encode, bosId: 1, eosId: 2, padId: 0, source: 'chars', vocabSize: 256 } as unknown as TextTokenizer;
}

describe('nativeScorer (text in, log-likelihoods out)', () => {
  let model: NativeModel;
  const score = async (prompt: number[], candidates: number[][]) => (await native().scoreContinuations(model, [{ prompt, candidates }]))[0]!.map((s) => s.logProb);

  it('next-token mode scores the last token of each continuation right after the prompt', async () => {
    model ??= await loadFixtureModel('llama');
    const tok = charTokenizer();
    const got = await nativeScorer(model, tok, { mode: 'next-token' })('abc', [' A', ' B']);
    expect(got).toEqual(await score(await tok.encode('abc'), [await tok.encode('A'), await tok.encode('B')]));
  });

  it("continuation mode scores the tokens past the prompt's own count, one request per distinct prompt part", async () => {
    model ??= await loadFixtureModel('llama');
    const tok = charTokenizer(true);
    const scorer = nativeScorer(model, tok, { mode: 'continuation', addBos: true });
    const [plain, merged] = await scorer('abx', ['zz', 'yq']);
    const ids = async (text: string) => [1, ...(await tok.encode(text))];
    // "abxzz": the prompt's 4 tokens, then z z.
    expect(plain).toBe((await score((await ids('abxzz')).slice(0, 4), [(await ids('abxzz')).slice(4)]))[0]);
    // "abxyq" merges x and y: its first 4 tokens are not the prompt's, and q alone is scored (open-instruct cuts by count).
    expect((await ids('abxyq')).slice(0, 4)).not.toEqual(await ids('abx'));
    expect(merged).toBe((await score((await ids('abxyq')).slice(0, 4), [[(await ids('abxyq'))[4]!]]))[0]);
    await expect(scorer('abx', ['y'])).rejects.toThrow(/continuation 0 \("y"\) adds no tokens to the prompt/);
  });

  it('refuses what cannot be scored with one clear error', async () => {
    model ??= await loadFixtureModel('llama');
    await expect(score([1, 2], [])).rejects.toThrow(/request 0 has no candidates/);
    await expect(score([1, 2], [[]])).rejects.toThrow(/request 0: candidate 0 is empty/);
    await expect(score([], [[3]])).rejects.toThrow(/request 0: the prompt is empty/);
    await expect(score([1, 99999], [[3]])).rejects.toThrow(/token id 99999, outside the vocabulary/);
    await expect(native().scoreContinuations(model, [{ prompt: [1], candidates: [[3.5]] }])).rejects.toThrow(/candidates\[0\]\[0\] must be an integer token id/);
  });
});
