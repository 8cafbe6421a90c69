// Sweep specs: validation (one message naming the file and field), grid expansion (axes x variants, a variant
// replacing an axis, runs shared by grids listed once), run ids, the presets' run counts against the study's
// grids (../STUDY.md), and the per-run check that uses train's own parser.
import { describe, expect, it } from 'vitest';
import { SweepSpecError, expandSweep, parseSweepSpec, settingsToArgs } from '../src/sweep/spec.js';
import { presetSpec } from '../src/sweep/presets.js';
import { checkTrainArgs } from '../src/sweep/check-run.js';
import { sweepSlots } from '../src/cli/sweep.js';
import path from 'node:path';
import { runCli } from './helpers/cli.js';
import { realDataDir, superniTasksDir } from './helpers/real-data.js';

const tuluFile = path.join(realDataDir, 'tulu', 'tulu_human_eval_messages.jsonl');

const spec = (raw: unknown) => parseSweepSpec(raw, 'grid.json');

describe('parseSweepSpec', () => {
  it.each([
    [[], /grid\.json: expected a JSON object/],
    [{ grid: [] }, /grid\.json: unknown field "grid"/],
    [{ base: { lr: [1, 2] } }, /grid\.json: base\.lr: a list is not allowed here/],
    [{ base: { '--lr': 1 } }, /base\.--lr: not a flag name/],
    [{ base: { out: 'x' } }, /base\.out: the sweep sets --out itself/],
    [{ grids: [{ settings: { lr: [] } }] }, /grids\[0\]\.settings\.lr: an empty list gives no runs/],
    [{ grids: [{ settings: { lr: [1e-4, null] } }] }, /grids\[0\]\.settings\.lr\[1\]: expected a string, number or boolean/],
    [{ grids: [{ variants: [] }] }, /grids\[0\]\.variants: expected a non-empty list/],
    [{ grids: [{ name: 'a' }, { name: 'a' }] }, /two grids are named "a"/],
    [{ grids: [], settings: {} }, /either "grids" or one grid's/],
    [{ memorization: { 'max-instances': [1, 2] } }, /memorization\.max-instances: a list is not allowed/],
  ])('refuses %j', (raw, message) => {
    expect(() => spec(raw)).toThrow(SweepSpecError);
    expect(() => spec(raw)).toThrow(message);
  });
});

describe('expandSweep', () => {
  it('multiplies axes and variants; a variant key replaces that axis; runs shared by grids appear once', () => {
    const s = spec({
      base: { model: 'builtin:tiny', steps: 10 },
      grids: [
        { name: 'a', settings: { lr: [1e-3, 1e-2], seed: [1, 2] }, variants: [{ method: 'lora', rank: [4, 8] }, { method: 'full', lr: 1e-4 }] },
        { name: 'b', settings: { seed: [1, 2, 3] }, variants: [{ method: 'full', lr: 1e-4 }] },
      ],
    });
    const runs = expandSweep(s);
    // a: lora 2 lr x 2 seeds x 2 ranks = 8, full (lr replaced) 2 seeds = 2; b: full 3 seeds, 2 of them already in a.
    expect(runs).toHaveLength(8 + 2 + 1);
    const full = runs.filter((r) => r.settings.method === 'full');
    expect(full.map((r) => r.settings.seed)).toEqual([1, 2, 3]);
    expect(full.map((r) => r.grids)).toEqual([['a', 'b'], ['a', 'b'], ['b']]);
    expect(full.every((r) => r.settings.lr === 1e-4 && r.settings.steps === 10)).toBe(true);
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    for (const r of runs) expect(r.id).toMatch(/^[A-Za-z0-9._+-]+$/);
    // Ids depend on the settings only: the same spec expands to the same ids, whatever the key order.
    const reordered = spec({ grids: [{ name: 'b', variants: [{ lr: 1e-4, method: 'full' }], settings: { seed: [3] } }], base: { steps: 10, model: 'builtin:tiny' } });
    expect(expandSweep(reordered)[0]!.id).toBe(full[2]!.id);
  });

  it('turns settings into train flags (true: the bare flag, false: left out)', () => {
    expect(settingsToArgs({ method: 'lora', rank: 8, test: true, packing: false, lr: 0.0001 })).toEqual(['--method', 'lora', '--rank', '8', '--test', '--lr', '0.0001']);
  });
});

describe('presets', () => {
  it("lr-grid is the study's grid: 5 learning rates x (6 ranks + 6 adapter sizes + 8 prefix + 4 prompt + IA3, BitFit, full)", () => {
    const s = presetSpec('lr-grid', { models: ['./m'], data: 'superni:./ni', splitDir: './ni/splits/default' });
    const runs = expandSweep(s);
    expect(runs).toHaveLength(5 * (6 + 6 + 8 + 4 + 3));
    const count = (m: string) => runs.filter((r) => r.settings.method === m).length;
    expect([count('lora'), count('adapter'), count('prefix'), count('prompt'), count('full')]).toEqual([30, 30, 40, 20, 5]);
    expect(new Set(runs.map((r) => r.settings.lr))).toEqual(new Set([1e-5, 5e-5, 1e-4, 5e-4, 1e-3]));
    expect(runs.every((r) => r.settings['eval-times'] === 8 && r.settings.epochs === 4 && r.settings['dev-tasks'] === 50 && r.settings.test === true)).toBe(true);
  });

  it('task-count: 7 task counts x 3 seeds x LoRA/adapter/full; model-size takes one model per size', () => {
    const inputs = { models: ['./m'], data: 'superni:./ni', splitDir: './s' };
    const runs = expandSweep(presetSpec('task-count', inputs));
    expect(runs).toHaveLength(7 * 3 * 3);
    expect(new Set(runs.map((r) => r.settings['train-tasks']))).toEqual(new Set([8, 32, 64, 128, 256, 512, 707]));
    expect(expandSweep(presetSpec('model-size', { ...inputs, models: ['./a', './b', './c'] }))).toHaveLength(3 * 3 * 3);
    expect(() => presetSpec('model-size', inputs)).toThrow(/several models/);
  });

  it('a preset names what it is missing; mini refuses inputs; an unknown preset lists the known ones', () => {
    expect(() => presetSpec('lr-grid', { models: [] })).toThrow(/--preset lr-grid needs --model <hf dir>, --data superni:<natural-instructions dir>, --split-dir/);
    expect(() => presetSpec('tulu', { models: ['./m'], data: 'superni:./x' })).toThrow(/--data tulu:<file.jsonl>/);
    expect(() => presetSpec('mini', { models: ['./m'] })).toThrow(/brings its own model and data/);
    expect(() => presetSpec('nope', { models: [] })).toThrow(/unknown preset "nope" \(expected mini, lr-grid/);
  });

  it('mini: 36 runs, every method, the built-in Llama and T5, 2 seeds, memorization; each run passes train\'s own option checks', async () => {
    const s = presetSpec('mini', { models: [] });
    const runs = expandSweep(s);
    expect(runs).toHaveLength(36);
    expect(runs.filter((r) => r.settings.model === 'builtin:t5-tiny').map((r) => r.settings.method).sort()).toEqual(['adapter', 'adapter', 'full', 'full', 'lora', 'lora']);
    expect(new Set(runs.map((r) => r.settings.method))).toEqual(new Set(['lora', 'adapter', 'ia3', 'prompt', 'prefix', 'bitfit', 'full']));
    expect(new Set(runs.map((r) => r.settings.seed))).toEqual(new Set([42, 127]));
    expect(s.memorization).not.toBeNull();
    for (const run of runs) await checkTrainArgs(settingsToArgs(run.settings));
  });
});

describe('run checks and slots', () => {
  it("a run's bad flag fails with train's message", async () => {
    await expect(checkTrainArgs(['--rank', '0'])).rejects.toThrow(/LoRA rank must be an integer >= 1/);
    await expect(checkTrainArgs(['--no-such-flag', '1'])).rejects.toThrow(/unknown option '--no-such-flag'/);
    await expect(checkTrainArgs(['--method', 'prompt', '--packing'])).rejects.toThrow(/--packing cannot be used with --method prompt/);
  });

  it('every preset passes the CLI\'s checks (--dry-run lists its runs)', () => {
    const inputs = ['--model', 'builtin:tiny', '--data', `superni:${superniTasksDir}`, '--split-dir', path.join(superniTasksDir, '..', 'splits')];
    for (const [preset, args, runs] of [
      ['mini', [], 36],
      ['mini-ablations', [], 30],
      ['lr-grid', inputs, 135],
      ['task-count', inputs, 63],
      ['memorization', inputs, 9],
      ['model-size', [...inputs, '--model', 'builtin:small'], 18],
      ['tulu', ['--model', 'builtin:tiny', '--data', `tulu:${tuluFile}`], 3],
    ] as const) {
      const r = runCli(['sweep', '--preset', preset, ...args, '--dry-run']);
      expect(r.stderr, preset).toBe('');
      expect(r.code, preset).toBe(0);
      expect(r.stdout, preset).toMatch(new RegExp(`^${runs} runs$`, 'm'));
    }
  });

  it('CPU workers split the cores; devices get one slot each', () => {
    expect(sweepSlots({ workers: 2 }, 8)).toEqual([{ device: 'cpu', threads: 4 }, { device: 'cpu', threads: 4 }]);
    expect(sweepSlots({ workers: 3, threads: 1 }, 8).map((s) => s.threads)).toEqual([1, 1, 1]);
    expect(sweepSlots({ devices: ['cuda:0', 'cuda:1'] }, 8)).toEqual([{ device: 'cuda:0', threads: null }, { device: 'cuda:1', threads: null }]);
    expect(() => sweepSlots({ devices: ['cuda:0'], workers: 2 }, 8)).toThrow(/not both/);
  });

  it('the CLI refuses a bad spec or grid in one line with exit code 2, before any run starts', () => {
    const bad = runCli(['sweep', '--preset', 'mini', '--set', 'rank=0', '--out', '/nonexistent-parent/x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^error: run lora-.*\(grid lr-size\): .*LoRA rank must be an integer >= 1/);
    const noSpec = runCli(['sweep']);
    expect(noSpec.code).toBe(2);
    expect(noSpec.stderr).toMatch(/give a spec file, --preset, or --out/);
    const missing = runCli(['sweep', 'no-such-spec.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-spec\.json: cannot be read \(ENOENT\)/);
  });
});
