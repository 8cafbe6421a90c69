import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePythonJson, parseSuperNITask, readSuperNITask } from '../src/data/superni/task.js';
import { buildSuperNIPrompt, buildSuperNIPromptDetailed, pythonStrip, withPeriod } from '../src/data/superni/prompt.js';
import { listTaskFiles, readSplitList, resolveSplitTasks, selectEvalInstances, selectTrainingInstances } from '../src/data/superni/splits.js';
import { mulberry32, shuffleInPlace } from '../src/data/seeded-random.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { loadTrainingData, parseDataSpec } from '../src/data/sources.js';
import { carveTaskSplit } from '../src/data/superni/task-split.js';
import { buildEvalInstances } from '../src/eval/superni-eval.js';
import { resolveTrainOptions, trainingDataOptions } from '../src/train/options.js';
import { pythonShuffledRange } from '../src/data/python-random.js';
import { realFixturesDir, superniTasksDir } from './helpers/real-data.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// assets/superni-mini: tasks/ (the 12 real task files) and its own split; the official lists are in test/fixtures.
const superniDir = path.dirname(superniTasksDir);
const tasksDir = superniTasksDir;
const officialSplits = path.join(realFixturesDir, 'data/superni/splits');
const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'superni-'));

// Instance counts from assets/superni-mini/README.md (counted there independently of this code).
const README_COUNTS: Record<string, number> = {
  task1146_country_capital: 231,
  task1147_country_currency: 232,
  task1149_item_check_edible: 119,
  task1191_food_veg_nonveg: 101,
  task1192_food_flavor_profile: 217,
  task1193_food_course_classification: 220,
  task1314_country_abbreviation: 237,
  task1321_country_continent: 237,
  task1332_check_leap_year: 200,
  task1403_check_validity_date_mmddyyyy: 196,
  task1426_country_independence_year: 190,
  task1498_24hour_to_12hour_clock: 196,
};
const NAN_FILES = ['task1149_item_check_edible', 'task1332_check_leap_year', 'task1403_check_validity_date_mmddyyyy', 'task1498_24hour_to_12hour_clock'];

describe('reading SuperNI task files', () => {
  it('reads all 12 real files, including the four with a bare NaN, with the README instance counts', async () => {
    const files = readdirSync(tasksDir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(12);
    for (const f of files) {
      const task = await readSuperNITask(path.join(tasksDir, f));
      expect(task.name).toBe(f.replace(/\.json$/, ''));
      expect(task.instances.length).toBe(README_COUNTS[task.name]);
      expect(task.positiveExamples.length).toBe(2);
      expect(task.negativeExamples.length).toBe(2);
      expect(task.warnings).toEqual([]);
      expect(task.definition.length).toBeGreaterThan(20);
    }
    for (const name of NAN_FILES) {
      const text = readFileSync(path.join(tasksDir, `${name}.json`), 'utf8');
      expect(() => JSON.parse(text)).toThrow(); // strict JSON rejects them
      const parsed = parsePythonJson(text, name) as Record<string, unknown>;
      expect(parsed['URL']).toEqual([null]);
    }
  });

  it('replaces NaN/Infinity only outside strings', () => {
    const text = '{"a": "NaN, Infinity and \\"NaN\\"", "b": NaN, "c": [-Infinity, Infinity], "NaN": 1}';
    expect(parsePythonJson(text, 'x.json')).toEqual({ a: 'NaN, Infinity and "NaN"', b: null, c: [null, null], NaN: 1 });
  });

  it('reports invalid JSON with the file, line and column of the original text', () => {
    // Line 3 has the error (missing comma) after a NaN on line 2 that changes the sanitized length.
    const text = '{\n  "URL": [NaN, -Infinity],\n  "a": 1 "b": 2\n}';
    expect(() => parsePythonJson(text, 'broken.json')).toThrow(/Invalid JSON in broken\.json at line 3, column 10/);
    expect(() => parsePythonJson('{"a": ', 'cut.json')).toThrow(/cut\.json/);
  });

  it('rejects missing or malformed required fields, naming the file and the instance', () => {
    const good = { Definition: ['Do it.'], Instances: [{ id: 't-1', input: 'x', output: ['y'] }] };
    const parse = (raw: unknown) => parseSuperNITask(raw, 't', 'dir/t.json');
    expect(parse(good).instances).toHaveLength(1);
    expect(parse(good).positiveExamples).toEqual([]); // optional fields may be absent
    expect(() => parse({ ...good, Definition: undefined })).toThrow(/dir\/t\.json: "Definition"/);
    expect(() => parse({ ...good, Definition: ['  '] })).toThrow(/dir\/t\.json: "Definition"/);
    expect(() => parse({ ...good, Definition: [] })).toThrow(/"Definition"/);
    expect(() => parse({ Definition: ['d'] })).toThrow(/dir\/t\.json: "Instances" must be a list/);
    expect(() => parse({ ...good, Instances: [] })).toThrow(/"Instances" is empty/);
    expect(() => parse({ ...good, Instances: [{ input: 'x', output: ['y'] }] })).toThrow(/"Instances"\[0\] has no "id"/);
    expect(() => parse({ ...good, Instances: [{ id: 't-7', output: ['y'] }] })).toThrow(/instance "t-7" \("Instances"\[0\]\): "input" must be a string/);
    expect(() => parse({ ...good, Instances: [{ id: 't-8', input: 'x', output: [] }] })).toThrow(/dir\/t\.json: instance "t-8".*"output" is an empty list/);
    expect(() => parse({ ...good, Instances: [{ id: 't-9', input: 'x', output: [3] }] })).toThrow(/instance "t-9".*"output"\[0\] must be a string/);
    expect(() => parse({ ...good, Instances: [good.Instances[0], good.Instances[0]] })).toThrow(/instance "t-1" \("Instances"\[1\]\): duplicate id/);
    expect(() => parse([good])).toThrow(/expected a JSON object/);
  });

  it('skips malformed demonstration entries with a warning instead of dropping them silently', () => {
    const task = parseSuperNITask(
      { Definition: ['d'], 'Negative Examples': ['-', { input: 'a', output: 'b' }], Instances: [{ id: 'i', input: '', output: [''] }] },
      'tname',
      'builtin',
    );
    expect(task.negativeExamples).toEqual([{ input: 'a', output: 'b' }]);
    expect(task.warnings).toEqual(['tname: 1 "Negative Examples" entry is not {input, output} string objects (skipped)']);
  });

  it('names the file when it cannot be read', async () => {
    await expect(readSuperNITask('/nonexistent/task1.json')).rejects.toThrow(/Cannot read SuperNI task file \/nonexistent\/task1\.json/);
  });
});

describe('the Tk-Instruct prompt', () => {
  it('builds the study prompt (definition only) for a real task, adding the periods', async () => {
    const task = await readSuperNITask(path.join(tasksDir, 'task1146_country_capital.json'));
    const inst = task.instances[0]!;
    expect(inst.input).toBe('Afghanistan');
    expect(await buildSuperNIPrompt(task, inst.input)).toBe(
      'Definition: In this task, you are given a country name and you need to return the capital city of the given country.\n\n' +
        'Now complete the following example -\nInput: Afghanistan.\nOutput: ',
    );
  });

  it('builds the Tk-Instruct prompt with examples, explanations and task name exactly as ni_collator.py', async () => {
    const task = await readSuperNITask(path.join(tasksDir, 'task1146_country_capital.json'));
    const prompt = await buildSuperNIPrompt(task, 'Chile', { posExamples: 2, negExamples: 1, addExplanation: true, addTaskName: true });
    expect(prompt).toBe(
      'task1146_country_capital. ' +
        'Definition: In this task, you are given a country name and you need to return the capital city of the given country.\n\n' +
        ' Positive Example 1 -\nInput: United States.\n Output: Washington.\n Explanation: Washington is the capital city of United States.\n\n' +
        ' Positive Example 2 -\nInput: India.\n Output: New Delhi.\n Explanation: New Delhi is the capital city of India.\n\n' +
        ' Negative Example 1 -\nInput: France.\n Output: Rome.\n Explanation: Rome is not the capital city of France. Paris is the capital city of France.\n\n' +
        'Now complete the following example -\nInput: Chile.\nOutput: ',
    );
    // Without explanations the explanation lines go, and a definition ending in punctuation gets no period.
    const food = await readSuperNITask(path.join(tasksDir, 'task1192_food_flavor_profile.json'));
    expect(await buildSuperNIPrompt(food, 'Gheela Pitha', { posExamples: 1 })).toBe(
      'Definition: In this task, you are given the name of an Indian food dish. You need to classify the dish as "sweet" or "spicy".\n\n' +
        ' Positive Example 1 -\nInput: Keerai poriyal.\n Output: spicy.\n\n' +
        'Now complete the following example -\nInput: Gheela Pitha.\nOutput: ',
    );
  });

  it('applies the period rule with Python string.punctuation and strips like Python', async () => {
    expect(withPeriod('Input: 42')).toBe('Input: 42.');
    for (const end of ['?', '!', '"', ')', ']', '}', "'", '`', '~', '.']) expect(withPeriod(`x${end}`)).toBe(`x${end}`);
    expect(withPeriod('Input: é')).toBe('Input: é.');
    expect(withPeriod('Input: ')).toBe('Input: .'); // empty input: ends in a space, gets a period
    expect(withPeriod('x\u3002')).toBe('x\u3002.'); // non-ASCII punctuation is not in string.punctuation
    // Python's str.strip() removes \x1c-\x1f and \x85 (JS trim does not) and keeps \ufeff (JS trim removes it).
    expect(pythonStrip('\x1c\x85 a b \t\n\x1f')).toBe('a b');
    expect(pythonStrip('\ufeffa\ufeff')).toBe('\ufeffa\ufeff');
    const task = { name: 't', definition: '  Say it!  ', positiveExamples: [], negativeExamples: [] };
    expect(await buildSuperNIPrompt(task, '  \x1chi?\n')).toBe('Definition: Say it!\n\nNow complete the following example -\nInput: hi?\nOutput: ');
    expect(await buildSuperNIPrompt(task, '', { addDefinition: false })).toBe('Now complete the following example -\nInput: .\nOutput: ');
  });

  it('adds examples only while they fit, checking with the original " ".join quirk', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const task = await readSuperNITask(path.join(tasksDir, 'task1146_country_capital.json'));
    const full = await buildSuperNIPrompt(task, 'Chile', { posExamples: 2 });
    const oneExample = await buildSuperNIPrompt(task, 'Chile', { posExamples: 1 });
    const limit = (await tok.encode(full)).length - 1; // room for one example but not two
    const fits = async (text: string) => (await tok.encode(text)).length <= limit;
    const built = await buildSuperNIPromptDetailed(task, 'Chile', { posExamples: 2, fits });
    expect(built.positiveExamples).toBe(1);
    expect(built.prompt).toBe(oneExample);
    // The check text joins the examples already in with " " (so a space appears from the third one on).
    const seen: string[] = [];
    await buildSuperNIPrompt(task, 'Chile', { posExamples: 2, fits: (t) => (seen.push(t), true) });
    expect(seen).toEqual([oneExample, full]);
    const three = { name: 't', definition: 'D.', positiveExamples: ['a', 'b', 'c'].map((x) => ({ input: x, output: x })), negativeExamples: [] };
    const checks: string[] = [];
    const prompt = await buildSuperNIPrompt(three, 'q', { posExamples: 3, fits: (t) => (checks.push(t), true) });
    const block = (k: number, x: string) => ` Positive Example ${k} -\nInput: ${x}.\n Output: ${x}.\n\n`;
    const tail = 'Now complete the following example -\nInput: q.\nOutput: ';
    expect(prompt).toBe('Definition: D.\n\n' + block(1, 'a') + block(2, 'b') + block(3, 'c') + tail);
    expect(checks[2]).toBe('Definition: D.\n\n' + block(1, 'a') + ' ' + block(2, 'b') + block(3, 'c') + tail);
  });
});

describe('splits and instance selection', () => {
  it('lists task files in <dir>/tasks or <dir>', async () => {
    const a = await listTaskFiles(superniDir);
    const b = await listTaskFiles(tasksDir);
    expect([...a.keys()]).toEqual(Object.keys(README_COUNTS).sort());
    expect([...a.values()]).toEqual([...b.values()]);
    await expect(listTaskFiles('/nonexistent')).rejects.toThrow(/\/nonexistent does not exist/);
    await expect(listTaskFiles(tmp())).rejects.toThrow(/No SuperNI task files/);
  });

  it('reads the official split list; every committed task is in the default train split', async () => {
    const names = await readSplitList(path.join(officialSplits, 'train_tasks.txt'));
    expect(names).toHaveLength(756);
    for (const name of Object.keys(README_COUNTS)) expect(names).toContain(name);
    const test = await readSplitList(path.join(officialSplits, 'test_tasks.txt'));
    expect(test).toHaveLength(119);
    expect(test.filter((n) => names.includes(n))).toEqual([]);
  });

  it('errors when a split names tasks that have no file, and follows a split list otherwise', async () => {
    await expect(resolveSplitTasks(superniDir, officialSplits)).rejects.toThrow(/names 744 of 756 tasks that have no file/);
    const dir = tmp();
    writeFileSync(path.join(dir, 'train_tasks.txt'), 'task1321_country_continent\n# a comment\n\ntask1146_country_capital.json\n');
    const tasks = await resolveSplitTasks(superniDir, dir);
    expect(tasks.map((t) => t.name)).toEqual(['task1321_country_continent', 'task1146_country_capital']);
    await expect(resolveSplitTasks(superniDir, tmp())).rejects.toThrow(/has no train_tasks.txt/);
  });

  it('mulberry32 matches the reference C implementation', () => {
    // Values of the C code (z += 0x6D2B79F5; z = (z ^ z >> 15) * (z | 1); z ^= z + (z ^ z >> 7) * (z | 61);
    // return z ^ z >> 14), computed with 32-bit unsigned arithmetic outside this project.
    const r = mulberry32(42);
    expect([r(), r(), r(), r(), r()].map((x) => Math.round(x * 4294967296))).toEqual([2581720956, 1925393290, 3661312704, 2876485805, 750819978]);
    const z = mulberry32(0);
    expect([z(), z(), z()].map((x) => Math.round(x * 4294967296))).toEqual([1144304738, 1416247, 958946056]);
  });

  it('Fisher-Yates gives every permutation of 3 items with equal frequency', () => {
    const counts = new Map<string, number>();
    const random = mulberry32(7);
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const key = shuffleInPlace(['a', 'b', 'c'], random).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c / n - 1 / 6)).toBeLessThan(0.01);
  });

  it("takes the study's instances: 100 from random.seed(42)'s shuffle of the first 200, the other 100 held out", async () => {
    const task = await readSuperNITask(path.join(tasksDir, 'task1146_country_capital.json'));
    const sel = selectTrainingInstances(task.instances, { seed: 42, instancesPerTask: 100 });
    expect(sel.train).toHaveLength(100);
    expect(sel.memorization).toHaveLength(100);
    const ids = new Set([...sel.train, ...sel.memorization].map((i) => i.id));
    expect(ids).toEqual(new Set(task.instances.slice(0, 200).map((i) => i.id)));
    // The order is CPython's shuffle of range(200) (checked against Python in python-random.test.ts).
    const order = pythonShuffledRange(200, 42);
    expect(sel.train.map((i) => i.id)).toEqual(order.slice(0, 100).map((i) => task.instances[i]!.id));
    expect(selectTrainingInstances(task.instances, { seed: 42, instancesPerTask: 100 })).toEqual(sel);
    expect(selectTrainingInstances(task.instances, { seed: 127, instancesPerTask: 100 }).train).not.toEqual(sel.train);
    // A task with fewer than 200 instances (101): the first 100 in file order for training, the rest held out.
    const small = await readSuperNITask(path.join(tasksDir, 'task1191_food_veg_nonveg.json'));
    const s = selectTrainingInstances(small.instances, { seed: 42, instancesPerTask: 100 });
    expect(s.train.map((i) => i.id)).toEqual(small.instances.slice(0, 100).map((i) => i.id));
    expect(s.memorization.map((i) => i.id)).toEqual([small.instances[100]!.id]);
    expect(selectEvalInstances(task.instances).map((i) => i.id)).toEqual(task.instances.slice(0, 100).map((i) => i.id));
    expect(() => selectTrainingInstances(task.instances, { seed: 1, instancesPerTask: 0 })).toThrow(/instancesPerTask/);
  });
});

describe('loadTrainingData on SuperNI sources', () => {
  it('loads a folder: 100 examples per task, prompt masked, target + EOS trained', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const data = await loadTrainingData(`superni:${superniDir}`, tok, {});
    expect(data.summary).toMatchObject({ tasks: 12, examples: 1200, truncated: 0, dropped: 0 });
    expect(data.summary.notes).toEqual([]);
    expect(data.summary.tokens).toBe(data.examples.reduce((s, e) => s + e.inputIds.length, 0));
    const capital = await readSuperNITask(path.join(tasksDir, 'task1146_country_capital.json'));
    const sel = data.selection.train['task1146_country_capital']!;
    expect(sel.train).toHaveLength(100);
    const ex = data.examples.find((e) => e.id === sel.train[0])!;
    const inst = capital.instances.find((i) => i.id === ex.id)!;
    const firstTarget = ex.labels.findIndex((l) => l !== -100);
    expect(ex.sourceLength).toBe(firstTarget); // source and target kept apart (encoder-decoder models)
    expect(tok.decode(ex.inputIds.subarray(0, firstTarget))).toBe(
      `Definition: In this task, you are given a country name and you need to return the capital city of the given country.\n\nNow complete the following example -\nInput: ${inst.input}.\nOutput: `,
    );
    expect(tok.decode(ex.labels.subarray(firstTarget))).toBe(`${inst.output[0]}<|endoftext|>`);
    expect(Array.from(ex.labels.subarray(firstTarget))).toEqual(Array.from(ex.inputIds.subarray(firstTarget)));
  });

  it('loads one task file and reports short tasks and truncation in the notes', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const file = path.join(tasksDir, 'task1191_food_veg_nonveg.json');
    const data = await loadTrainingData(file, tok, { instancesPerTask: 150, maxSourceLength: 30 });
    expect(data.summary.examples).toBe(101);
    expect(data.summary.truncated).toBe(101);
    expect(data.summary.notes).toContain('1 task(s) have fewer than 150 training instances: task1191_food_veg_nonveg (101)');
    expect(data.summary.notes).toContain('101 example(s): source cut to its first 30 tokens (maxSourceLength)');
    for (const ex of data.examples) expect(ex.labels.slice(0, 30).every((l) => l === -100)).toBe(true);
  });

  it('drops and counts examples left without a target token', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const file = path.join(tasksDir, 'task1146_country_capital.json');
    const data = await loadTrainingData(file, tok, { maxSourceLength: 40, maxLength: 40 });
    expect(data.summary.examples + data.summary.dropped).toBe(100);
    expect(data.summary.dropped).toBeGreaterThan(0);
    expect(data.summary.notes.some((n) => n.startsWith(`${data.summary.dropped} example(s) dropped: no target token left`))).toBe(true);
  });

  it('applies a split list and validates the spec and options', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const splitDir = tmp();
    writeFileSync(path.join(splitDir, 'train_tasks.txt'), 'task1332_check_leap_year\n');
    const data = await loadTrainingData(`superni:${superniDir}`, tok, { splitDir, instancesPerTask: 10 });
    expect(data.summary.tasks).toBe(1);
    expect(data.examples).toHaveLength(10);
    await expect(loadTrainingData(`superni:${superniDir}`, tok, { splitDir: officialSplits })).rejects.toThrow(/names 744 of 756 tasks/);
    expect(() => parseDataSpec('tulu:/x.jsonl')).toThrow(/Data source "tulu:\/x\.jsonl": \/x\.jsonl does not exist/);
    expect(() => parseDataSpec('hf:/x')).toThrow(/Unknown data source prefix "hf:".*"builtin".*"superni:<dir>".*"tulu:<file\.jsonl>"/);
    expect(() => parseDataSpec('x.jsonl')).toThrow(/write tulu:x\.jsonl/);
    expect(() => parseDataSpec(superniDir)).toThrow(/is a folder; write superni:/);
    expect(() => parseDataSpec('/no/such/task.json')).toThrow(/does not exist/);
    expect(() => parseDataSpec('nonsense')).toThrow(/Unknown data source "nonsense"/);
    await expect(loadTrainingData('builtin', tok, { maxSourceLength: 0 })).rejects.toThrow(/maxSourceLength must be a positive integer/);
    await expect(loadTrainingData('builtin', tok, { posExamples: -1 })).rejects.toThrow(/posExamples/);
  });

  it('carves seeded dev tasks and nested training subsets out of the training list', () => {
    const names = Array.from({ length: 60 }, (_, i) => `task${String(i).padStart(3, '0')}`);
    const a = carveTaskSplit(names, { seed: 1, devTasks: 10 });
    expect(a.dev).toHaveLength(10);
    expect(a.train).toHaveLength(50);
    expect(new Set([...a.dev, ...a.train]).size).toBe(60); // a partition
    // List order is kept in both parts.
    expect(a.dev).toEqual([...a.dev].sort());
    expect(a.train).toEqual([...a.train].sort());
    // Reproducible from the seed, different for another seed.
    expect(carveTaskSplit(names, { seed: 1, devTasks: 10 })).toEqual(a);
    expect(carveTaskSplit(names, { seed: 2, devTasks: 10 }).dev).not.toEqual(a.dev);
    // The dev tasks do not depend on N, and the subsets are nested (8 within 32 within all).
    const n8 = carveTaskSplit(names, { seed: 1, devTasks: 10, trainTasks: 8 });
    const n32 = carveTaskSplit(names, { seed: 1, devTasks: 10, trainTasks: 32 });
    expect(n8.dev).toEqual(a.dev);
    expect(n8.train).toHaveLength(8);
    expect(n8.train.every((t) => n32.train.includes(t))).toBe(true);
    expect(n32.train.every((t) => a.train.includes(t))).toBe(true);
    expect(() => carveTaskSplit(names, { seed: 1, devTasks: 10, trainTasks: 51 })).toThrow(/10 dev task\(s\) \+ 51 training task\(s\) need more than the 60/);
    expect(() => carveTaskSplit(names, { seed: 1, devTasks: 60 })).toThrow(/leaves none to train on/);
    expect(() => carveTaskSplit(names, { seed: 1, devTasks: -1 })).toThrow(/devTasks must be a non-negative integer/);
  });

  it('records the chosen tasks and instances: train + memorization, dev and test first 100', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const splitDir = tmp();
    const all = readdirSync(tasksDir).map((f) => f.replace(/\.json$/, '')).sort();
    // 10 training tasks, 2 test tasks (the test list may name any task file of the folder).
    writeFileSync(path.join(splitDir, 'train_tasks.txt'), all.slice(0, 10).join('\n') + '\n');
    writeFileSync(path.join(splitDir, 'test_tasks.txt'), all.slice(10).join('\n') + '\n');
    const data = await loadTrainingData(`superni:${superniDir}`, tok, { splitDir, devTasks: 3, trainTasks: 4, instancesPerTask: 5, seed: 7 });
    const sel = data.selection;
    expect(sel.seed).toBe(7);
    expect(sel.tasks.dev).toEqual(carveTaskSplit(all.slice(0, 10), { seed: 7, devTasks: 3 }).dev);
    expect(sel.tasks.train).toEqual(carveTaskSplit(all.slice(0, 10), { seed: 7, devTasks: 3, trainTasks: 4 }).train);
    expect(sel.tasks.test).toEqual(all.slice(10));
    expect(Object.keys(sel.train)).toEqual(sel.tasks.train);
    expect(data.summary.tasks).toBe(4);
    expect(data.examples).toHaveLength(20);
    expect(new Set(data.examples.map((e) => e.task))).toEqual(new Set(sel.tasks.train));
    for (const name of [...sel.tasks.dev, ...sel.tasks.test]) {
      const task = await readSuperNITask(path.join(tasksDir, `${name}.json`));
      const ids = name in sel.dev ? sel.dev[name]! : sel.test[name]!;
      expect(ids).toEqual(task.instances.slice(0, 100).map((i) => i.id));
    }
    // JSON-safe, as written into run_config.json.
    expect(JSON.parse(JSON.stringify(sel))).toEqual(sel);
    // A test list naming a task without a file is an error naming the list.
    writeFileSync(path.join(splitDir, 'test_tasks.txt'), 'task_missing\n');
    await expect(loadTrainingData(`superni:${superniDir}`, tok, { splitDir, instancesPerTask: 5 })).rejects.toThrow(/test_tasks\.txt names 1 of 1 tasks that have no file/);
  });

  it("honors a split folder's dev_tasks.txt: its tasks are the dev tasks (the first k with devTasks k) and never trained on", async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const splitDir = tmp();
    const all = readdirSync(tasksDir).map((f) => f.replace(/\.json$/, '')).sort();
    // The dev list names one task that is also in the training list and one that is not.
    writeFileSync(path.join(splitDir, 'train_tasks.txt'), all.slice(0, 8).join('\n') + '\n');
    writeFileSync(path.join(splitDir, 'dev_tasks.txt'), `${all[9]}\n${all[2]}\n`);
    const data = await loadTrainingData(`superni:${superniDir}`, tok, { splitDir, instancesPerTask: 3 });
    expect(data.selection.tasks.dev).toEqual([all[9], all[2]]);
    expect(data.selection.tasks.train).toEqual(all.slice(0, 8).filter((n) => n !== all[2]));
    expect(data.summary.notes).toContain(`2 dev task(s) from ${path.join(splitDir, 'dev_tasks.txt')}`);
    const first = await loadTrainingData(`superni:${superniDir}`, tok, { splitDir, instancesPerTask: 3, devTasks: 1 });
    expect(first.selection.tasks.dev).toEqual([all[9]]);
    expect(first.selection.tasks.train).toEqual(data.selection.tasks.train);
    await expect(loadTrainingData(`superni:${superniDir}`, tok, { splitDir, instancesPerTask: 3, devTasks: 3 })).rejects.toThrow(/3 dev task\(s\) asked, but the dev list names 2/);
    // The same dev tasks in an evaluation of the dev split, with no --dev-tasks needed.
    const devInstances = await buildEvalInstances(tok, { data: `superni:${superniDir}`, split: 'dev', splitDir, maxInstances: 2 });
    expect([...new Set(devInstances.map((i) => i.task))]).toEqual([all[9], all[2]]);
  });

  it('chooses the data with the data seed alone: the training seed changes nothing, another data seed changes it', () => {
    expect(trainingDataOptions(resolveTrainOptions({ seed: 127, out: tmp(), overwrite: true })).seed).toBe(42);
    expect(trainingDataOptions(resolveTrainOptions({ seed: 127, dataSeed: 894, out: tmp(), overwrite: true })).seed).toBe(894);
  });

  it('reads a task folder without a tasks/ subfolder, and a task file with NaN', async () => {
    const dir = tmp();
    copyFileSync(path.join(tasksDir, 'task1332_check_leap_year.json'), path.join(dir, 'task1332_check_leap_year.json'));
    const tok = await loadTokenizer(gpt2Dir);
    const data = await loadTrainingData(`superni:${dir}`, tok, { instancesPerTask: 5 });
    expect(data.examples.map((e) => e.task)).toEqual(Array(5).fill('task1332_check_leap_year'));
  });
});
