// AlpacaEval against open-instruct's own code run on the fixture (test/fixtures/benchmarks/expected/alpaca_eval.json,
// made by scripts/fixtures/benchmarks/oracle_alpaca_eval.py): prompts with and without the chat format, the
// generator name and the model-output records (field order included) in the JSON list AlpacaEval's judge reads,
// written atomically; and the loader's one-line errors on malformed files.
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { alpacaEval, tuluChatWrap } from '../src/eval/benchmarks/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'test/fixtures/benchmarks/alpaca_eval');
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/benchmarks/expected/alpaca_eval.json'), 'utf8')) as {
  prompts: string[];
  chat_prompts: string[];
  outputs: string[];
  runs: Array<{ model: string; generator: string; file_name: string; records: Array<Record<string, unknown>> }>;
};

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alpaca-eval-'));
  temps.push(dir);
  return dir;
}

async function dirWithFile(text: string): Promise<string> {
  const dir = await tempDir();
  await writeFile(path.join(dir, alpacaEval.ALPACA_EVAL_FILE), text);
  return dir;
}

describe('AlpacaEval prompts', () => {
  it("are open-instruct's, plain and chat-wrapped", async () => {
    const instances = await alpacaEval.load(dataDir);
    expect(instances.map((i) => i.dataset)).toEqual(['helpful_base', 'koala', 'oasst', 'selfinstruct', 'vicuna']);
    expect(alpacaEval.buildPrompts(instances)).toEqual(expected.prompts);
    expect(alpacaEval.buildPrompts(instances, { wrap: tuluChatWrap })).toEqual(expected.chat_prompts);
  });
});

describe('AlpacaEval model outputs', () => {
  it("names the generator and the file as open-instruct does", () => {
    for (const run of expected.runs) {
      expect(alpacaEval.generatorName(run.model), run.model).toBe(run.generator);
      expect(alpacaEval.outputFileName(run.generator)).toBe(run.file_name);
    }
  });

  it("writes open-instruct's records, field order included, as one JSON list, atomically", async () => {
    const instances = await alpacaEval.load(dataDir);
    for (const run of expected.runs) {
      const dir = await tempDir();
      const file = path.join(dir, alpacaEval.outputFileName(run.generator));
      await alpacaEval.writeModelOutputs(file, instances, expected.outputs, run.generator);
      const text = await readFile(file, 'utf8');
      const written = JSON.parse(text) as unknown;
      expect(Array.isArray(written)).toBe(true);
      expect(JSON.stringify(written)).toBe(JSON.stringify(run.records));
      for (const record of written as Array<Record<string, unknown>>) expect(Object.keys(record)).toEqual(['dataset', 'instruction', 'output', 'generator']);
      expect(await readdir(dir)).toEqual([path.basename(file)]); // no temporary file left behind
    }
  });

  it('keeps extra fields and appends missing output and generator fields', async () => {
    const dir = await dirWithFile('[{"instruction": "Say hi.", "id": 7, "dataset": "x"}]');
    const records = alpacaEval.modelOutputRecords(await alpacaEval.load(dir), ['hi'], 'm-greedy-long');
    expect(JSON.stringify(records)).toBe('[{"instruction":"Say hi.","id":7,"dataset":"x","output":"hi","generator":"m-greedy-long"}]');
  });

  it('refuses outputs that do not match the instructions', async () => {
    const instances = await alpacaEval.load(dataDir);
    expect(() => alpacaEval.modelOutputRecords(instances, ['only one'], 'm')).toThrow(/1 outputs for 5 instructions/);
    expect(() => alpacaEval.modelOutputRecords(instances, [...expected.outputs.slice(0, 4), 5 as unknown as string], 'm')).toThrow(/output 4 is not a string/);
    expect(() => alpacaEval.modelOutputRecords(instances, expected.outputs, '')).toThrow(/generator name/);
    const dir = await tempDir();
    const file = path.join(dir, 'out.json');
    await expect(alpacaEval.writeModelOutputs(file, instances, [], 'm')).rejects.toThrow(/0 outputs/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('AlpacaEval malformed files', () => {
  const ok = '{"dataset": "koala", "instruction": "q", "output": "a", "generator": "g"}';
  const cases: Array<[string, string, RegExp]> = [
    ['invalid JSON', `[${ok},`, /alpaca_eval\.json: invalid JSON/],
    ['JSON lines instead of a list', `${ok}\n${ok}\n`, /alpaca_eval\.json: invalid JSON/],
    ['an object instead of a list', ok, /alpaca_eval\.json: expected a JSON list of records, got object/],
    ['an empty list', '[]', /alpaca_eval\.json: the list of records is empty/],
    ['a record that is no object', `[${ok}, "text"]`, /alpaca_eval\.json: record \[1\] must be an object, got string/],
    ['a missing instruction', `[${ok}, {"dataset": "koala"}]`, /record \[1\]: "instruction" is missing/],
    ['a non-string instruction', `[{"dataset": "koala", "instruction": ["q"]}]`, /record \[0\]: "instruction" must be a string, got a list/],
    ['a missing dataset', `[{"instruction": "q"}]`, /record \[0\]: "dataset" is missing/],
    ['a non-string reference output', `[{"dataset": "koala", "instruction": "q", "output": null}]`, /record \[0\]: "output" must be a string, got null/],
    ['a non-string generator', `[{"dataset": "koala", "instruction": "q", "generator": 3}]`, /record \[0\]: "generator" must be a string, got number/],
  ];
  for (const [what, text, message] of cases) {
    it(`names the file and record of ${what}`, async () => {
      const err = await alpacaEval.load(await dirWithFile(text)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('says which file is missing', async () => {
    const dir = await tempDir();
    await expect(alpacaEval.load(dir)).rejects.toThrow(DataError);
    await expect(alpacaEval.load(dir)).rejects.toThrow(/alpaca_eval\.json does not exist/);
  });
});
