// run_config.json's versioned schema (src/train/run-config.ts): today's options round-trip through the recorded
// form, files written before the schema had a version (version 1) are migrated, and a run folder of that form
// resumes to exactly the losses of an uninterrupted run. Files that cannot be read name the file and what is wrong.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addonBuilt } from './helpers/addon.js';
import { resolveTrainOptions } from '../src/train/options.js';
import { RUN_CONFIG_VERSION, optionsFromRecord, readRunConfig, recordOptions } from '../src/train/run-config.js';

const built = addonBuilt(import.meta.filename);

function runDirWith(content: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'run-config-'));
  writeFileSync(path.join(dir, 'run_config.json'), content);
  return dir;
}

function losses(runDir: string): number[] {
  return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { loss: number }).loss);
}

describe('run_config.json schema', () => {
  it('the recorded options map back to the resolved options field for field', () => {
    for (const given of [{}, { method: 'adapter' as const, adapterSize: 16, recipe: 'study' as const }, { method: 'full' as const, packing: true }]) {
      const r = resolveTrainOptions({ ...given, out: path.join(os.tmpdir(), 'never-written') });
      const recorded = JSON.parse(JSON.stringify(recordOptions(r)));
      expect(optionsFromRecord(recorded, r.out)).toEqual(JSON.parse(JSON.stringify(r)));
    }
  });

  it('reads files of its own version and refuses newer, damaged or incomplete ones by name', async () => {
    const r = resolveTrainOptions({ out: path.join(os.tmpdir(), 'never-written') });
    const current = runDirWith(JSON.stringify({ version: RUN_CONFIG_VERSION, options: recordOptions(r) }));
    expect((await readRunConfig(current)).options.method).toBe('lora');
    await expect(readRunConfig(runDirWith(JSON.stringify({ version: 99, options: {} })))).rejects.toThrow(/run_config\.json: version 99 is not one this peft-native reads \(1 to 3\)/);
    await expect(readRunConfig(runDirWith('{"options": '))).rejects.toThrow(/run_config\.json: .*JSON/);
    await expect(readRunConfig(runDirWith('[]'))).rejects.toThrow(/run_config\.json: not a JSON object/);
    await expect(readRunConfig(runDirWith(JSON.stringify({ options: { model: 'builtin:tiny' } })))).rejects.toThrow(/run_config\.json: options lack modelSpec, data, method/);
    await expect(readRunConfig(mkdtempSync(path.join(os.tmpdir(), 'empty-')))).rejects.toThrow(/no run_config\.json \(not a peft-native run folder\)/);
  });

  it('migrates a version 1 file: options added since take the values those runs used', async () => {
    const r = resolveTrainOptions({ out: path.join(os.tmpdir(), 'never-written') });
    const { weightDecayParams: _w, recipe: _r, evaluation: _e, device: _d, methodSettings: _m, ...v1 } = recordOptions(r);
    const migrated = await readRunConfig(runDirWith(JSON.stringify({ options: v1, startedAt: 'then' })));
    expect(migrated.version).toBe(RUN_CONFIG_VERSION);
    expect(migrated.startedAt).toBe('then');
    expect(migrated.options).toMatchObject({ weightDecayParams: 'matrices', recipe: 'default', evaluation: null, device: 'cpu' });
    expect(migrated.options.methodSettings).toEqual({ method: 'lora', lora: r.lora });
  });

  it('migrates a version 2 file: its targets were padded with -100', async () => {
    const r = resolveTrainOptions({ out: path.join(os.tmpdir(), 'never-written') });
    const { labelPadding: _l, ...v2 } = recordOptions(r);
    const migrated = await readRunConfig(runDirWith(JSON.stringify({ version: 2, options: v2 })));
    expect(migrated.version).toBe(RUN_CONFIG_VERSION);
    expect(migrated.options.labelPadding).toBe('ignore');
  });
});

describe.skipIf(!built)('resuming a run folder written before the schema had a version', () => {
  it('continues to the losses of the uninterrupted run', async () => {
    const { train } = await import('../src/train/loop.js');
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'run-config-resume-'));
    const sink = { write: () => true, isTTY: false };
    const options = { steps: 6, batchSize: 4, maxLength: 64, threads: 1, seed: 5, dropout: 0.1, stdout: sink, tensorboard: false } as const;
    const reference = path.join(tmp, 'reference');
    await train({ ...options, out: reference });

    const out = path.join(tmp, 'interrupted');
    mkdirSync(out);
    await expect(
      train({
        ...options,
        out,
        overwrite: true,
        saveSteps: 2,
        onStep: (m) => {
          if (m.step === 3) throw new Error('interrupted on purpose');
        },
      }),
    ).rejects.toThrow(/interrupted on purpose/);
    // Rewrite its run_config.json as version 1 wrote it: no version field, no options added later.
    const file = path.join(out, 'run_config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    delete config.version;
    delete config.options.weightDecayParams;
    delete config.options.recipe;
    writeFileSync(file, JSON.stringify(config));

    const resumed = await train({ resume: out, stdout: sink, threads: 1 });
    expect(resumed.status).toBe('completed');
    expect(losses(out)).toEqual(losses(reference));
  }, 300_000);
});
