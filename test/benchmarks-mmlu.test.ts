// MMLU against open-instruct's own code run on the fixture with pandas (test/fixtures/benchmarks/expected/mmlu.json,
// made by scripts/fixtures/benchmarks/oracle_mmlu.py): the cells as pandas reads them, 0/2/5-shot and chat prompts,
// --n_instances sampling, dropping shots to fit, the answer picked from four scores, and the accuracy tables.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { mmlu, tuluChatWrap } from '../src/eval/benchmarks/index.js';
import { pythonSplit } from '../src/eval/benchmarks/common/python-text.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'test/fixtures/benchmarks/mmlu');
interface Options {
  ntrain: number;
  use_chat_format?: boolean;
  n_instances?: number;
  max_words?: number;
}
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/benchmarks/expected/mmlu.json'), 'utf8')) as {
  subjects: string[];
  rendered: Record<string, { dev: string[][]; test: string[][] }>;
  cases: Array<{ subject: string; options: Options; prompts: string[]; answers: string[] }>;
  scoring: { scores: Record<string, number[][]>; predictions: Record<string, string[]>; metrics: Record<string, number> };
};

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

const row = (q: mmlu.MmluQuestion): string[] => [q.question, ...q.choices, q.answer];

describe('MMLU data', () => {
  it('finds the subjects and reads every cell as pandas does', async () => {
    const subjects = await mmlu.load(dataDir);
    expect(subjects.map((s) => s.name)).toEqual(expected.subjects);
    for (const s of subjects) {
      expect(s.dev.map(row), s.name).toEqual(expected.rendered[s.name]!.dev);
      expect(s.test.map(row), s.name).toEqual(expected.rendered[s.name]!.test);
    }
  });

  it('loads only the subjects asked for, and names the unknown ones', async () => {
    expect((await mmlu.load(dataDir, { subjects: ['anatomy'] })).map((s) => s.name)).toEqual(['anatomy']);
    await expect(mmlu.load(dataDir, { subjects: ['anatomy', 'astrology'] })).rejects.toThrow(/MMLU subjects without a test file in .*: astrology$/);
  });
});

describe('MMLU prompts', () => {
  it("equal open-instruct's for 0, 2 and 5 shots, chat format, --n_instances and shots dropped to fit", async () => {
    const subjects = await mmlu.load(dataDir);
    for (const c of expected.cases) {
      const o = c.options;
      const subject = mmlu.sampleTest(subjects.find((s) => s.name === c.subject)!, o.n_instances);
      const fits = o.max_words === undefined ? undefined : (p: string) => pythonSplit(p).length <= o.max_words!;
      const prompts = mmlu.buildPrompts(subject, { nTrain: o.ntrain, wrap: o.use_chat_format ? tuluChatWrap : undefined, fits });
      expect(prompts, `${c.subject} ${JSON.stringify(o)}`).toEqual(c.prompts);
      expect(subject.test.map((q) => q.answer)).toEqual(c.answers);
    }
  });

  it('writes the subject with a space before each word, as format_subject does', () => {
    expect(mmlu.formatSubject('high_school_us_history')).toBe(' high school us history');
  });

  it('refuses more shots than the dev file has', async () => {
    const [subject] = await mmlu.load(dataDir, { subjects: ['anatomy'] });
    expect(() => mmlu.buildPrompts(subject!, { nTrain: 6 })).toThrow(/6 shots need 6 rows in anatomy_dev\.csv, which has 5/);
  });
});

describe('MMLU answers and accuracies', () => {
  it('picks the first best of " A".." D" and reports the tables open-instruct reports', async () => {
    const subjects = await mmlu.load(dataDir);
    const results: mmlu.MmluSubjectResult[] = [];
    for (const subject of subjects) {
      const prompts = mmlu.buildPrompts(subject);
      const scores = expected.scoring.scores[subject.name]!;
      const scorer = async (prompt: string, continuations: readonly string[]): Promise<number[]> => {
        expect(continuations).toEqual([' A', ' B', ' C', ' D']);
        return scores[prompts.indexOf(prompt)]!;
      };
      const predicted = await mmlu.predict(prompts, scorer);
      expect(predicted.map((p) => p.answer), subject.name).toEqual(expected.scoring.predictions[subject.name]);
      expect(predicted[0]!.probs[0]).toBeCloseTo(Math.exp(scores[0]![0]!), 15);
      results.push({ subject: subject.name, correct: mmlu.correctness(predicted.map((p) => p.answer), subject.test.map((q) => q.answer)) });
    }
    const metrics = mmlu.metrics(results);
    for (const [key, value] of Object.entries(expected.scoring.metrics)) expect(metrics[key], key).toBeCloseTo(value, 14);
    const subjectKeys = Object.keys(metrics).filter((k) => k.startsWith('subject/'));
    expect(metrics['macro_acc']).toBeCloseTo(subjectKeys.reduce((s, k) => s + metrics[k]!, 0) / subjectKeys.length, 14);
    expect(Object.keys(metrics).sort()).toEqual([...Object.keys(expected.scoring.metrics), 'macro_acc'].sort());
  });
});

describe('MMLU malformed files', () => {
  const good = 'Q?,a,b,c,d,A\n';
  const cases: Array<[string, string, RegExp]> = [
    ['a ragged row', `${good}Q2?,a,b,c,A\n`, /x_test\.csv line 2: 5 fields, but the first row has 6/],
    ['too many choices', 'Q?,a,b,c,d,e,A\n', /x_test\.csv line 1: 7 fields; expected a question, 1 to 4 choices and an answer letter/],
    ['an answer that is no letter', `${good}Q2?,a,b,c,d,E\n`, /x_test\.csv line 2: the answer must be one of A, B, C, D, got "E"/],
    ['an empty question', `${good},a,b,c,d,B\n`, /x_test\.csv line 2: the question is empty/],
    ['an open quote', `${good}"Q2?,a,b,c,d,B\n`, /x_test\.csv line 2: a quoted field is never closed/],
    ['an empty file', '\n', /x_test\.csv: no rows/],
  ];
  for (const [what, text, message] of cases) {
    it(`names the file and line of ${what}`, async () => {
      const dir = await folder({ 'test/x_test.csv': text, 'dev/x_dev.csv': good });
      const err = await mmlu.load(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('says which dev file is missing and when there is no test file at all', async () => {
    await expect(mmlu.load(await folder({ 'test/x_test.csv': good }))).rejects.toThrow(/MMLU file: .*x_dev\.csv does not exist/);
    await expect(mmlu.load(await folder({ 'test/readme.txt': 'x' }))).rejects.toThrow(/no <subject>_test\.csv files/);
    await expect(mmlu.load(path.join(os.tmpdir(), 'no-such-mmlu-dir'))).rejects.toThrow(/MMLU test folder: .* does not exist/);
  });
});
