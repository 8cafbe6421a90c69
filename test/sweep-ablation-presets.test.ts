// The data-ablation presets: each is the chosen LoRA / adapter / full finetuning x its axis x 3 seeds, with the
// axis's flag on every run, and needs a model, SuperNI data and a split; mini-ablations runs each axis in
// miniature, every run passing train's own option checks, and its diversity grid (assets/superni-categories)
// trains at K categories on tasks that cover exactly K categories, as many tasks at every K (the data each run
// would train on, prepared as train prepares it, against the categories the task files themselves name).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expandSweep, settingsToArgs } from '../src/sweep/spec.js';
import { presetSpec } from '../src/sweep/presets.js';
import { checkTrainArgs } from '../src/sweep/check-run.js';
import { trainingDataOptions } from '../src/train/options.js';
import { prepareDataset } from '../src/data/dataset.js';
import { builtinTokenizer } from '../src/builtin/index.js';

const inputs = { models: ['./m'], data: 'superni:./ni', splitDir: './ni/splits/default' };
const AXES: Array<[string, string, Array<number | string>]> = [
  ['ablate-size', 'instances-per-task', [8, 32, 100]],
  ['ablate-tasks', 'train-tasks', [8, 32, 128, 512]],
  ['ablate-diversity', 'train-categories', [2, 8, 32]],
  ['ablate-quality', 'instruction', ['definition', 'definition+examples', 'corrupted']],
];

describe('ablation presets', () => {
  it.each(AXES)('%s: LoRA, adapter and full finetuning x %s x 3 seeds', (name, flag, values) => {
    const runs = expandSweep(presetSpec(name, inputs));
    expect(runs).toHaveLength(3 * values.length * 3);
    for (const method of ['lora', 'adapter', 'full']) {
      for (const v of values) {
        const mine = runs.filter((r) => r.settings.method === method && r.settings[flag] === v);
        expect(mine.map((r) => r.settings.seed).sort()).toEqual([127, 42, 894]);
        for (const r of mine) expect(r.settings).toMatchObject({ model: './m', data: 'superni:./ni', 'split-dir': './ni/splits/default', test: true });
      }
    }
    expect(() => presetSpec(name, { models: [] })).toThrow(new RegExp(`--preset ${name} needs --model <hf dir>, --data superni:`));
  });

  it('ablate-diversity holds the number of training tasks fixed while the categories vary', () => {
    const runs = expandSweep(presetSpec('ablate-diversity', inputs));
    expect(new Set(runs.map((r) => r.settings['train-tasks']))).toEqual(new Set([64]));
  });

  it('mini-ablations: every axis in miniature, each run passing train\'s checks', async () => {
    expect(() => presetSpec('mini-ablations', { models: ['./m'] })).toThrow(/brings its own model and data/);
    const runs = expandSweep(presetSpec('mini-ablations', { models: [] }));
    const valuesOf = (flag: string) => new Set(runs.map((r) => r.settings[flag]).filter((v) => v !== undefined));
    expect(valuesOf('instances-per-task').size).toBeGreaterThanOrEqual(2);
    expect(valuesOf('train-tasks').size).toBeGreaterThanOrEqual(2);
    expect(valuesOf('train-categories').size).toBeGreaterThanOrEqual(2);
    expect(valuesOf('instruction')).toEqual(new Set(['definition', 'definition+examples', 'corrupted']));
    expect(new Set(runs.map((r) => r.settings.method))).toEqual(new Set(['lora', 'adapter', 'full']));
    for (const run of runs) {
      const resolved = await checkTrainArgs(settingsToArgs(run.settings));
      expect(resolved.instruction).toBe(run.settings.instruction ?? null);
      expect(resolved.trainCategories).toBe(run.settings['train-categories'] ?? null);
    }
  });

  it('mini-ablations: at K task categories the training tasks cover exactly K categories, as many tasks at every K', async () => {
    const runs = expandSweep(presetSpec('mini-ablations', { models: [] })).filter((r) => r.settings['train-categories'] !== undefined);
    const ks = [...new Set(runs.map((r) => Number(r.settings['train-categories'])))].sort((a, b) => a - b);
    expect(ks.length).toBeGreaterThanOrEqual(2);
    expect(ks[0]).toBe(1);
    // A task's category as its file names it (the first of "Categories"), read here without the project's reader.
    const categoryOf = (tasksDir: string, name: string): string => {
      const text = readFileSync(path.join(tasksDir, `${name}.json`), 'utf8');
      return (JSON.parse(text.replace(/:\s*\[\s*NaN\s*\]/g, ': [null]')) as { Categories: string[] }).Categories[0]!;
    };
    const tokenizer = await builtinTokenizer();
    const seen = new Map<number, { train: string[]; dev: string[]; test: string[] }>();
    for (const run of runs) {
      const k = Number(run.settings['train-categories']);
      const resolved = await checkTrainArgs(settingsToArgs(run.settings));
      expect(resolved.data).toMatch(/^superni:.*superni-categories/);
      const data = await prepareDataset(resolved.data, tokenizer, trainingDataOptions(resolved), { dir: null });
      const tasksDir = resolved.data.slice('superni:'.length);
      const train = data.selection.tasks.train;
      expect(train).toHaveLength(Number(run.settings['train-tasks']));
      const categories = [...new Set(train.map((t) => categoryOf(tasksDir, t)))].sort();
      expect(categories, `train-categories ${k}: ${train.join(', ')}`).toHaveLength(k);
      expect(data.selection.categories).toEqual(categories);
      expect(data.summary.notes.some((n) => n.startsWith(`training tasks: ${train.length} from ${k} of the`))).toBe(true);
      // Every method at a value trains on the same tasks; dev and test tasks are the same at every value.
      const tasks = { train, dev: data.selection.tasks.dev, test: data.selection.tasks.test };
      if (seen.has(k)) expect(tasks).toEqual(seen.get(k));
      else seen.set(k, tasks);
      expect(tasks.dev).toHaveLength(1);
      expect(tasks.test).toHaveLength(1);
      for (const t of [...tasks.dev, ...tasks.test]) expect(train).not.toContain(t);
    }
    expect(new Set([...seen.values()].map((t) => JSON.stringify([t.dev, t.test]))).size).toBe(1);
    expect(new Set([...seen.values()].map((t) => t.train.length)).size).toBe(1);
    // The axis changes the training tasks, not only the flag.
    expect(new Set([...seen.values()].map((t) => t.train.join(','))).size).toBe(ks.length);
  }, 120_000);
});
