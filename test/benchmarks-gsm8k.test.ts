// GSM8K against open-instruct's own code run on the fixture (test/fixtures/benchmarks/expected/gsm8k.json, made by
// scripts/fixtures/benchmarks/oracle_gsm.py): selections, prompts, answer extraction, exact match; and the
// loader's one-line errors on malformed files.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { gsm8k, tuluChatWrap } from '../src/eval/benchmarks/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'test/fixtures/benchmarks/gsm');
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/benchmarks/expected/gsm8k.json'), 'utf8')) as {
  cases: Array<{ options: { n_shot: number; no_cot?: boolean; max_num_examples?: number; use_chat_format?: boolean }; questions: string[]; answers: string[]; prompts: string[] }>;
  extraction: Array<{ output: string; prediction: string }>;
  metric: { predictions: string[]; targets: string[]; exact_match: number };
};

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function dirWithTestFile(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gsm-'));
  temps.push(dir);
  await writeFile(path.join(dir, 'test.jsonl'), text);
  return dir;
}

describe('GSM8K prompts', () => {
  it("select and buildPrompts give open-instruct's questions, targets and prompts for every option set", async () => {
    const instances = await gsm8k.load(dataDir);
    for (const c of expected.cases) {
      const o = c.options;
      const selection = gsm8k.select(instances, { nShot: o.n_shot, maxNumExamples: o.max_num_examples });
      expect(selection.instances.map((i) => i.question), JSON.stringify(o)).toEqual(c.questions);
      expect(selection.instances.map((i) => i.answer), JSON.stringify(o)).toEqual(c.answers);
      const prompts = gsm8k.buildPrompts(selection.instances, { exemplars: selection.exemplars, cot: !o.no_cot, wrap: o.use_chat_format ? tuluChatWrap : undefined });
      expect(prompts, JSON.stringify(o)).toEqual(c.prompts);
    }
  });

  it('reads the targets with their thousands commas removed', async () => {
    const instances = await gsm8k.load(dataDir);
    expect(instances.map((i) => i.answer)).toEqual(['18', '3', '70000', '540', '20']);
    expect(instances[2]!.line).toBe(3);
  });
});

describe('GSM8K answers', () => {
  it('extracts the last number as open-instruct does, on adversarial generations', () => {
    for (const c of expected.extraction) expect(gsm8k.extractAnswer(c.output), JSON.stringify(c.output)).toBe(c.prediction);
  });

  it('scores exact match as evaluate does', () => {
    const m = expected.metric;
    expect(gsm8k.metrics(m.predictions, m.targets)).toEqual({ exact_match: m.exact_match });
  });
});

describe('GSM8K malformed files', () => {
  const line1 = '{"question": "q1", "answer": "a\\n#### 1"}\n';
  const cases: Array<[string, string, RegExp]> = [
    ['invalid JSON', `${line1}{"question": "q2", "answer": \n`, /test\.jsonl line 2: invalid JSON/],
    ['no question', `${line1}{"answer": "x #### 2"}\n`, /test\.jsonl line 2: "question" is missing/],
    ['a non-string answer', `${line1}{"question": "q", "answer": 2}\n`, /test\.jsonl line 2: "answer" must be a string, got number/],
    ['no final answer', `${line1}{"question": "q", "answer": "just text"}\n`, /test\.jsonl line 2: "answer" has no "#### <final answer>" part/],
    ['a final answer that is no number', `${line1}{"question": "q", "answer": "x #### twelve"}\n`, /test\.jsonl line 2: the final answer after "####" is not a number: "twelve"/],
    ['no object', `${line1}[1, 2]\n`, /test\.jsonl line 2: expected a JSON object, got a list/],
  ];
  for (const [what, text, message] of cases) {
    it(`names the file and line of ${what}`, async () => {
      const dir = await dirWithTestFile(text);
      const err = await gsm8k.load(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('skips blank lines and rejects a file without questions', async () => {
    expect((await gsm8k.load(await dirWithTestFile(`\n${line1}\n`))).map((i) => i.line)).toEqual([2]);
    await expect(gsm8k.load(await dirWithTestFile('\n\n'))).rejects.toThrow(/test\.jsonl: no questions/);
  });

  it('says which file is missing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gsm-'));
    temps.push(dir);
    await expect(gsm8k.load(dir)).rejects.toThrow(DataError);
    await expect(gsm8k.load(dir)).rejects.toThrow(/test\.jsonl/);
  });
});
