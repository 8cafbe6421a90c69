// TruthfulQA multiple choice against open-instruct's own code run on the fixture with pandas
// (test/fixtures/benchmarks/expected/truthfulqa.json, made by scripts/fixtures/benchmarks/oracle_truthfulqa.py):
// prompts for the qa, help and null presets and chat format, the answer lists and the exact texts that are scored,
// MC1/MC2/MC3 from given log-likelihoods and their means, and --num_instances sampling.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { truthfulqa, tuluChatWrap } from '../src/eval/benchmarks/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'test/fixtures/benchmarks/truthfulqa');
interface Example {
  prompt: string;
  ref_true: string[];
  ref_false: string[];
  ref_best: string;
  scored_texts: string[];
}
interface Mc {
  MC1: number;
  MC2: number;
  MC3: number;
}
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/benchmarks/expected/truthfulqa.json'), 'utf8')) as {
  cases: Array<{ options: { preset: truthfulqa.TruthfulqaPreset; use_chat_format?: boolean }; examples: Example[] }>;
  scored: Array<Mc & { scores: number[] }>;
  metrics: Mc;
  sample3: string[];
  extreme: Mc;
};

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function dirWithCsv(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tqa-'));
  temps.push(dir);
  await writeFile(path.join(dir, 'TruthfulQA.csv'), text);
  return dir;
}

const HEADER = 'Type,Category,Question,Best Answer,Correct Answers,Incorrect Answers,Source\n';

describe('TruthfulQA prompts', () => {
  it("equal open-instruct's for each preset and chat format, with the answer lists and the texts scored", async () => {
    const rows = await truthfulqa.load(dataDir);
    for (const c of expected.cases) {
      const items = truthfulqa.buildPrompts(rows, { preset: c.options.preset, wrap: c.options.use_chat_format ? tuluChatWrap : undefined });
      expect(items.map((i) => ({ prompt: i.prompt, ref_true: i.refTrue, ref_false: i.refFalse, ref_best: i.refBest })), JSON.stringify(c.options)).toEqual(
        c.examples.map(({ prompt, ref_true, ref_false, ref_best }) => ({ prompt, ref_true, ref_false, ref_best })),
      );
      items.forEach((item, k) => {
        const texts = [...item.refTrue, ...item.refFalse].map((a) => item.prompt + truthfulqa.continuation(item.prompt, a));
        expect(texts).toEqual(c.examples[k]!.scored_texts);
      });
    }
  });

  it('samples --num_instances rows as DataFrame.sample(random_state=42)', async () => {
    const rows = await truthfulqa.load(dataDir);
    expect(truthfulqa.sample(rows, 3).map((r) => r.question)).toEqual(expected.sample3);
    expect(truthfulqa.sample(rows, 99)).toEqual(rows);
  });
});

describe('TruthfulQA MC1 / MC2', () => {
  it('scores each question from the scorer as MC_calcs does, and averages', async () => {
    const items = truthfulqa.buildPrompts(await truthfulqa.load(dataDir));
    const scorer = async (prompt: string, continuations: readonly string[]): Promise<number[]> => {
      const k = items.findIndex((i) => i.prompt === prompt);
      expect(continuations).toEqual([...items[k]!.refTrue, ...items[k]!.refFalse].map((a) => ` ${a}`));
      return expected.scored[k]!.scores;
    };
    const scores = await truthfulqa.scoreItems(items, scorer);
    scores.forEach((s, k) => {
      expect(s.MC1, `question ${k}`).toBe(expected.scored[k]!.MC1);
      expect(s.MC2, `question ${k}`).toBeCloseTo(expected.scored[k]!.MC2, 14);
      expect(s.MC3, `question ${k}`).toBeCloseTo(expected.scored[k]!.MC3, 15);
    });
    const metrics = truthfulqa.metrics(scores);
    for (const key of ['MC1', 'MC2', 'MC3'] as const) expect(metrics[key], key).toBeCloseTo(expected.metrics[key], 14);
  });

  it('computes MC2 with exp() as open-instruct does, and stays finite where every exp() underflows', () => {
    const e = truthfulqa.mcScores([-700, -701.5], [-699, -720], ['a.', 'b.'], 'a.');
    expect(e.MC1).toBe(expected.extreme.MC1);
    expect(e.MC2).toBeCloseTo(expected.extreme.MC2, 14);
    expect(e.MC3).toBe(expected.extreme.MC3);
    const under = truthfulqa.mcScores([-900, -901], [-902], ['a.', 'b.'], 'a.');
    const p = [1, Math.exp(-1), Math.exp(-2)];
    expect(under.MC2).toBeCloseTo((p[0]! + p[1]!) / (p[0]! + p[1]! + p[2]!), 14);
    expect(under.MC1).toBe(1);
  });
});

describe('TruthfulQA malformed files', () => {
  it('names a missing column, an empty question, a ragged row and a best answer that is not a correct answer', async () => {
    const missing = await dirWithCsv('Question,Best Answer,Correct Answers\nq,a,a\n');
    await expect(truthfulqa.load(missing)).rejects.toThrow(/TruthfulQA\.csv line 1: no column "Incorrect Answers" in the header/);
    const empty = await dirWithCsv(`${HEADER}A,B,,best,best,wrong,src\n`);
    await expect(truthfulqa.load(empty)).rejects.toThrow(/TruthfulQA\.csv line 2: "Question" is empty/);
    const ragged = await dirWithCsv(`${HEADER}A,B,q,best,best,wrong,src,extra\n`);
    await expect(truthfulqa.load(ragged)).rejects.toThrow(DataError);
    const notCorrect = await truthfulqa.load(await dirWithCsv(`${HEADER}A,B,q,best,other,wrong,src\n`));
    expect(() => truthfulqa.buildPrompts(notCorrect)).toThrow(/line 2: the best answer "best\." is not among the correct answers/);
  });

  it('skips a question without incorrect answers, as open-instruct does', async () => {
    const rows = await truthfulqa.load(await dirWithCsv(`${HEADER}A,B,q1,b,b,,src\nA,B,q2,b,b,w,src\n`));
    expect(rows[0]!.incorrectAnswers).toBeNull();
    expect(truthfulqa.buildPrompts(rows).map((i) => i.row.question)).toEqual(['q2']);
  });
});
