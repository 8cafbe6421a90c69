// The data-ablation presets: each is the chosen LoRA / adapter / full finetuning x its axis x 3 seeds, with the
// axis's flag on every run, and needs a model, SuperNI data and a split; mini-ablations runs each axis in
// miniature, every run passing train's own option checks.
import { describe, expect, it } from 'vitest';
import { expandSweep, settingsToArgs } from '../src/sweep/spec.js';
import { presetSpec } from '../src/sweep/presets.js';
import { checkTrainArgs } from '../src/sweep/check-run.js';

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
    expect(valuesOf('train-categories').size).toBeGreaterThanOrEqual(1);
    expect(valuesOf('instruction')).toEqual(new Set(['definition', 'definition+examples', 'corrupted']));
    expect(new Set(runs.map((r) => r.settings.method))).toEqual(new Set(['lora', 'adapter', 'full']));
    for (const run of runs) {
      const resolved = await checkTrainArgs(settingsToArgs(run.settings));
      expect(resolved.instruction).toBe(run.settings.instruction ?? null);
      expect(resolved.trainCategories).toBe(run.settings['train-categories'] ?? null);
    }
  });
});
