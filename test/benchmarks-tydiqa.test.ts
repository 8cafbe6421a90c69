// TyDiQA GoldP against open-instruct's own code run on the (hand-made) fixture
// (test/fixtures/benchmarks/expected/tydiqa.json, made by scripts/fixtures/benchmarks/oracle_tydiqa.py): one-shot,
// zero-shot, closed-book, chat and truncated prompts, per-language sampling, and the SQuAD metric per language and
// on single pairs (Unicode articles, punctuation and whitespace) against the official SQuAD v1.1 code.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { tuluChatWrap, tydiqa } from '../src/eval/benchmarks/index.js';
import { squadExactMatch, squadF1, squadNormalize } from '../src/eval/benchmarks/common/squad.js';
import { pythonSplit } from '../src/eval/benchmarks/common/python-text.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'test/fixtures/benchmarks/tydiqa');
interface Options {
  n_shot?: number;
  max_num_examples_per_lang?: number;
  no_context?: boolean;
  use_chat_format?: boolean;
  max_context_words?: number;
}
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/benchmarks/expected/tydiqa.json'), 'utf8')) as {
  cases: Array<{ options: Options; ids: string[]; prompts: string[] }>;
  metric: { generations: string[]; metrics: Record<string, { exact_match: number; f1: number }> };
  pairs: Array<{ prediction: string; reference: string; normalized: string; exact_match: boolean; f1: number }>;
};

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function folder(dev: unknown, train?: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tydiqa-'));
  temps.push(dir);
  await writeFile(path.join(dir, tydiqa.TYDIQA_DEV_FILE), typeof dev === 'string' ? dev : JSON.stringify(dev));
  if (train !== undefined) await writeFile(path.join(dir, tydiqa.TYDIQA_TRAIN_FILE), JSON.stringify(train));
  return dir;
}

const squad = (qas: unknown[]): unknown => ({ data: [{ paragraphs: [{ context: 'c', qas }] }] });

describe('TyDiQA prompts', () => {
  it("equal open-instruct's for one-shot, zero-shot, closed-book, chat, sampled and truncated runs", async () => {
    for (const c of expected.cases) {
      const o = c.options;
      const nShot = o.n_shot ?? 1;
      const data = await tydiqa.load(dataDir, { nShot });
      const selection = tydiqa.select(data.dev, data.train, { nShot, maxNumExamplesPerLang: o.max_num_examples_per_lang });
      expect(selection.instances.map((e) => e.id), JSON.stringify(o)).toEqual(c.ids);
      const cut = (context: string): string => {
        const words = pythonSplit(context);
        return words.length > o.max_context_words! ? words.slice(0, o.max_context_words).join(' ') : context;
      };
      const prompts = tydiqa.buildPrompts(selection.instances, {
        shots: selection.shots,
        noContext: o.no_context,
        wrap: o.use_chat_format ? tuluChatWrap : undefined,
        truncateContext: o.max_context_words === undefined ? undefined : cut,
      });
      expect(prompts, JSON.stringify(o)).toEqual(c.prompts);
    }
  });
});

describe('TyDiQA metrics', () => {
  it('computes SQuAD exact match and F1 per language and their average as open-instruct does', async () => {
    const { dev } = await tydiqa.load(dataDir, { nShot: 0 });
    const metrics = tydiqa.metrics(dev, expected.metric.generations.map(tydiqa.cleanGeneration));
    for (const [lang, scores] of Object.entries(expected.metric.metrics)) {
      expect(metrics[`${lang}/exact_match`], lang).toBeCloseTo(scores.exact_match, 12);
      expect(metrics[`${lang}/f1`], lang).toBeCloseTo(scores.f1, 12);
    }
    expect(Object.keys(metrics)).toHaveLength(2 * Object.keys(expected.metric.metrics).length);
  });

  it('normalizes and scores single pairs as the official SQuAD script does', () => {
    for (const p of expected.pairs) {
      const what = JSON.stringify([p.prediction, p.reference]);
      expect(squadNormalize(p.prediction), what).toBe(p.normalized);
      expect(squadExactMatch(p.prediction, p.reference), what).toBe(p.exact_match);
      expect(squadF1(p.prediction, p.reference), what).toBeCloseTo(p.f1, 15);
    }
  });
});

describe('TyDiQA malformed files', () => {
  const qa = { id: 'english-1', question: 'q', answers: [{ text: 'a' }] };
  const cases: Array<[string, unknown, RegExp]> = [
    ['invalid JSON', '{"data": [', /tydiqa-goldp-v1\.1-dev\.json: invalid JSON/],
    ['no data list', { version: 1 }, /dev\.json: "data" must be a list, got undefined/],
    ['a question without text', squad([{ id: 'english-1', answers: [{ text: 'a' }] }]), /dev\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\]: "question" must be a string, got undefined/],
    ['a question without answers', squad([{ ...qa, answers: [] }]), /qas\[0\]: "answers" is empty/],
    ['an answer without text', squad([{ ...qa, answers: [{ answer_start: 3 }] }]), /qas\[0\]\.answers\[0\]: "text" must be a string/],
    ['a language without a template', squad([{ ...qa, id: 'klingon-1' }]), /question "klingon-1" is in language "klingon", which has no prompt template/],
  ];
  for (const [what, dev, message] of cases) {
    it(`names the file and field of ${what}`, async () => {
      const err = await tydiqa.load(await folder(dev), { nShot: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('needs the train file for demonstrations, and enough questions of each language in it', async () => {
    await expect(tydiqa.load(await folder(squad([qa])))).rejects.toThrow(/TyDiQA file: .*tydiqa-goldp-v1\.1-train\.json does not exist/);
    const data = await tydiqa.load(await folder(squad([qa]), squad([{ ...qa, id: 'english-9' }])));
    expect(() => tydiqa.select(data.dev, data.train, { nShot: 2 })).toThrow(/has 1 english question\(s\); 2 demonstration\(s\) need 2/);
  });
});
