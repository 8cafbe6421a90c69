// The data ablation flags on the committed SuperNI tasks (assets/superni-mini, and a copy whose tasks are given
// three made-up categories, since superni-mini's tasks share one): --train-categories draws K categories with the
// data seed and keeps --train-tasks; --instruction corrupted shuffles each definition's words in training prompts
// only; --instruction definition+examples gives --pos-examples 2's prompts; bad values exit 2 with one line.
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTrainingData } from '../src/data/sources.js';
import { builtinTasks, builtinTokenizer } from '../src/builtin/index.js';
import { corruptDefinition } from '../src/data/superni/instruction.js';
import { readSuperNITask } from '../src/data/superni/task.js';
import { realDataDir, superniTasksDir } from './helpers/real-data.js';
import { compileCliIfMissing, runCli } from './helpers/cli.js';

const miniSplits = path.join(path.dirname(superniTasksDir), 'splits');
const CATEGORY_OF = ['Alpha', 'Beta', 'Gamma'];

/** A copy of the mini tasks, task i (in name order) in category CATEGORY_OF[i % 3]. */
function categorizedCopy(): { dir: string; splits: string; categoryOf: Map<string, string> } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pn-categories-'));
  const tasks = path.join(root, 'tasks');
  mkdirSync(tasks);
  const categoryOf = new Map<string, string>();
  readdirSync(superniTasksDir).sort().forEach((file, i) => {
    const text = readFileSync(path.join(superniTasksDir, file), 'utf8');
    const category = CATEGORY_OF[i % 3]!;
    categoryOf.set(file.replace(/\.json$/, ''), category);
    writeFileSync(path.join(tasks, file), text.replace(/"Categories":\s*\[[^\]]*\]/, `"Categories": ["${category}"]`));
  });
  const splits = path.join(root, 'splits');
  mkdirSync(splits);
  for (const f of readdirSync(miniSplits)) copyFileSync(path.join(miniSplits, f), path.join(splits, f));
  return { dir: root, splits, categoryOf };
}

describe('--train-categories', () => {
  const copy = categorizedCopy();
  const load = async (o: Record<string, number>) => loadTrainingData(`superni:${copy.dir}`, await builtinTokenizer(), { splitDir: copy.splits, instancesPerTask: 2, ...o });

  it('draws K categories with the data seed, keeps --train-tasks, and records the categories', async () => {
    const trainList = readFileSync(path.join(copy.splits, 'train_tasks.txt'), 'utf8').split('\n').filter(Boolean);
    expect(new Set(trainList.map((t) => copy.categoryOf.get(t))).size).toBe(3); // the fixture covers all three
    for (const seed of [1, 2, 3, 4, 5]) {
      const a = await load({ trainCategories: 2, trainTasks: 3, seed });
      expect(a.selection.tasks.train).toHaveLength(3);
      const used = new Set(a.selection.tasks.train.map((t) => copy.categoryOf.get(t)));
      expect(used.size).toBeLessThanOrEqual(2);
      expect(a.selection.categories).toEqual([...used].sort());
      expect(a.summary.notes.join('\n')).toMatch(/training tasks: 3 from 2 of the 3 task categories/);
      const again = await load({ trainCategories: 2, trainTasks: 3, seed });
      expect(again.selection.tasks.train).toEqual(a.selection.tasks.train);
    }
    const one = await load({ trainCategories: 1, seed: 9 });
    expect(new Set(one.selection.tasks.train.map((t) => copy.categoryOf.get(t))).size).toBe(1);
    expect(one.selection.categories).toHaveLength(1);
  });

  it('trains on every task of the categories when they hold fewer than --train-tasks, and says so', async () => {
    const data = await load({ trainCategories: 1, trainTasks: 8, seed: 3 });
    const category = data.selection.categories![0]!;
    const trainList = readFileSync(path.join(copy.splits, 'train_tasks.txt'), 'utf8').split('\n').filter(Boolean);
    const inCategory = trainList.filter((t) => copy.categoryOf.get(t) === category);
    expect(inCategory.length).toBeLessThan(8);
    expect(data.selection.tasks.train).toEqual(inCategory);
    expect(data.summary.notes.join('\n')).toContain(`--train-tasks 8 asked, but those categories hold only ${inCategory.length}`);
  });

  it('refuses more categories than the training tasks cover, naming the count', async () => {
    await expect(load({ trainCategories: 4 })).rejects.toThrow(/--train-categories 4: the training tasks cover only 3 task categories/);
    await expect(loadTrainingData(`superni:${path.dirname(superniTasksDir)}`, await builtinTokenizer(), { splitDir: miniSplits, trainCategories: 2 })).rejects.toThrow(/cover only 1 task category \(Misc\.\)/);
  });

  it('draws from the built-in tasks too', async () => {
    const categories = new Map(builtinTasks().map((t) => [t.name, t.categories[0]]));
    const data = await loadTrainingData('builtin', await builtinTokenizer(), { trainCategories: 2, instancesPerTask: 2 });
    expect(new Set(data.selection.tasks.train.map((t) => categories.get(t))).size).toBe(2);
  });
});

describe('--instruction', () => {
  it('corrupted: a seeded permutation of the definition\'s words, not the definition itself', async () => {
    for (const file of readdirSync(superniTasksDir)) {
      const task = await readSuperNITask(path.join(superniTasksDir, file));
      const words = task.definition.trim().split(/\s+/);
      const corrupted = corruptDefinition(task.definition, 42, task.name);
      expect(corrupted.split(' ').sort()).toEqual([...words].sort());
      expect(corrupted).not.toBe(words.join(' '));
      expect(corruptDefinition(task.definition, 42, task.name)).toBe(corrupted);
    }
  });

  it('corrupted applies to training prompts: each prompt carries its task\'s shuffled definition', async () => {
    const tok = await builtinTokenizer();
    const opts = { splitDir: miniSplits, instancesPerTask: 2, trainTasks: 3, seed: 5 };
    const clean = await loadTrainingData(`superni:${path.dirname(superniTasksDir)}`, tok, opts);
    const bad = await loadTrainingData(`superni:${path.dirname(superniTasksDir)}`, tok, { ...opts, instruction: 'corrupted' });
    expect(bad.selection).toEqual(clean.selection);
    for (const ex of bad.examples) {
      const task = bad.tasks.find((t) => t.name === ex.task)!;
      const prompt = tok.decode(ex.inputIds.subarray(0, ex.sourceLength));
      expect(prompt).toContain(`Definition: ${corruptDefinition(task.definition, 5, task.name)}`);
      expect(prompt).not.toContain(task.definition.trim());
    }
    // The tasks handed on for evaluation keep the clean definition.
    expect(bad.tasks.map((t) => t.definition)).toEqual(clean.tasks.map((t) => t.definition));
  });

  it('definition+examples gives exactly the prompts of --pos-examples 2, and not those of the definition alone', async () => {
    const tok = await builtinTokenizer();
    const opts = { splitDir: miniSplits, instancesPerTask: 3, seed: 42 };
    const spec = `superni:${path.dirname(superniTasksDir)}`;
    const [withKind, withFlag, plain] = await Promise.all([
      loadTrainingData(spec, tok, { ...opts, instruction: 'definition+examples' }),
      loadTrainingData(spec, tok, { ...opts, posExamples: 2 }),
      loadTrainingData(spec, tok, opts),
    ]);
    const ids = (d: typeof plain) => d.examples.map((e) => [...e.inputIds]);
    expect(ids(withKind)).toEqual(ids(withFlag));
    expect(ids(withKind)).not.toEqual(ids(plain));
    expect(tok.decode(withKind.examples[0]!.inputIds)).toContain('Positive Example 2 -');
  });
});

describe('bad values (CLI)', () => {
  const oneLine = (r: { code: number | null; stderr: string }, pattern: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  };
  it('exit 2 with one line', () => {
    compileCliIfMissing();
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-flags-')), 'run');
    const tulu = path.join(realDataDir, 'tulu/tulu_human_eval_messages.jsonl');
    oneLine(runCli(['train', '--data', `tulu:${tulu}`, '--train-categories', '2', '--out', out]), /--train-categories apply to SuperNI data/);
    oneLine(runCli(['train', '--data', `tulu:${tulu}`, '--instruction', 'corrupted', '--out', out]), /--instruction apply to SuperNI data/);
    oneLine(runCli(['train', '--instruction', 'shuffled', '--out', out]), /'--instruction <kind>' argument 'shuffled' is invalid/);
    oneLine(runCli(['train', '--train-categories', '0', '--out', out]), /train categories/);
    oneLine(runCli(['train', '--instruction', 'definition+examples', '--pos-examples', '1', '--out', out]), /cannot be given with --pos-examples 1/);
    oneLine(runCli(['data', 'prepare', '--data', 'builtin', '--train-categories', '9', '--no-cache']), /--train-categories 9: the training tasks cover only 4 task categories/);
  });
});
