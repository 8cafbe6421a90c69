// BIG-Bench Hard against open-instruct's own code run on the fixture (test/fixtures/benchmarks/expected/bbh.json,
// made by scripts/fixtures/benchmarks/oracle_bbh.py): chain-of-thought, --no_cot and chat prompts, per-task
// sampling, "the answer is" extraction on adversarial generations, per-task exact match and its average.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { bbh, tuluChatWrap } from '../src/eval/benchmarks/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'test/fixtures/benchmarks/bbh');
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/benchmarks/expected/bbh.json'), 'utf8')) as {
  cases: Array<{ options: { no_cot?: boolean; max_num_examples_per_task?: number; use_chat_format?: boolean }; task: string; inputs: string[]; prompts: string[] }>;
  extraction: Array<{ output: string; prediction: string }>;
  metric: { predictions: Record<string, string[]>; metrics: Record<string, number> };
};

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbh-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

const PROMPT = 'canary\n-----\nDo the task.\n\nQ: 1?\nA: Think. So the answer is (A).\n';

describe('BBH prompts', () => {
  it("equal open-instruct's with and without chain of thought, with chat format and with per-task sampling", async () => {
    const tasks = await bbh.load(dataDir);
    expect(tasks.map((t) => t.name)).toEqual(['movie_recommendation', 'ruin_names']);
    for (const c of expected.cases) {
      const o = c.options;
      const task = bbh.sample(tasks, o.max_num_examples_per_task).find((t) => t.name === c.task)!;
      expect(task.examples.map((e) => e.input), `${c.task} ${JSON.stringify(o)}`).toEqual(c.inputs);
      const prompts = bbh.buildPrompts(task, { cot: !o.no_cot, wrap: o.use_chat_format ? tuluChatWrap : undefined });
      expect(prompts, `${c.task} ${JSON.stringify(o)}`).toEqual(c.prompts);
    }
  });

  it('drops the two header lines as readlines()[2:] does, whatever the line endings', () => {
    expect(bbh.dropHeaderLines('c\r\n-----\r\nDo it.\r\n\r\nQ: x')).toBe('Do it.\n\nQ: x');
    expect(bbh.dropHeaderLines('only one line')).toBe('');
  });
});

describe('BBH answers', () => {
  it('extracts "the answer is ..." as open-instruct does, on adversarial generations', () => {
    for (const c of expected.extraction) expect(bbh.extractAnswer(c.output), JSON.stringify(c.output)).toBe(c.prediction);
  });

  it('scores exact match per task and their average as open-instruct does', async () => {
    const tasks = await bbh.load(dataDir);
    const results = tasks.map((t) => ({ task: t.name, predictions: expected.metric.predictions[t.name]!, targets: t.examples.map((e) => e.target) }));
    const metrics = bbh.metrics(results);
    expect(Object.keys(metrics)).toEqual(Object.keys(expected.metric.metrics));
    for (const [key, value] of Object.entries(expected.metric.metrics)) expect(metrics[key], key).toBeCloseTo(value, 15);
  });
});

describe('BBH malformed files', () => {
  const task = JSON.stringify({ examples: [{ input: 'x', target: '(A)' }] });
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a task without a prompt file', { 'bbh/a.json': task, 'cot-prompts/b.txt': PROMPT }, /BBH tasks without a prompt file in .*cot-prompts: a$/],
    ['a prompt without a task file', { 'bbh/a.json': task, 'cot-prompts/a.txt': PROMPT, 'cot-prompts/b.txt': PROMPT }, /BBH prompt files without a task file in .*: b$/],
    ['invalid JSON', { 'bbh/a.json': '{"examples": [', 'cot-prompts/a.txt': PROMPT }, /a\.json: invalid JSON/],
    ['no examples list', { 'bbh/a.json': '{"canary": "x"}', 'cot-prompts/a.txt': PROMPT }, /a\.json: expected an object with an "examples" list/],
    ['an example without a target', { 'bbh/a.json': '{"examples": [{"input": "x"}]}', 'cot-prompts/a.txt': PROMPT }, /a\.json: "examples"\[0\]: "target" must be a string, got undefined/],
    ['a prompt file with only its header', { 'bbh/a.json': task, 'cot-prompts/a.txt': 'canary\n-----\n' }, /a\.txt: nothing after its two header lines/],
    ['two files of one task', { 'bbh/a.json': task, 'bbh/a.v2.json': task, 'cot-prompts/a.txt': PROMPT }, /a\.json and a\.v2\.json are both task "a"/],
  ];
  for (const [what, files, message] of cases) {
    it(`names the file of ${what}`, async () => {
      const err = await bbh.load(await folder(files)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('names the prompt file whose demonstration has no answer, for --no_cot', async () => {
    const dir = await folder({ 'bbh/a.json': task, 'cot-prompts/a.txt': 'canary\n-----\nDo.\n\nQ: 1?\nA: no final words\n' });
    const [loaded] = await bbh.load(dir);
    expect(() => bbh.buildPrompts(loaded!, { cot: false })).toThrow(/a\.txt: a demonstration has no "So the answer is"/);
    expect(bbh.buildPrompts(loaded!)).toEqual(['Do.\n\nQ: 1?\nA: no final words\n\nQ: x\nA:']);
  });
});
