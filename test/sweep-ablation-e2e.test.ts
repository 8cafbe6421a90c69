// One data ablation in miniature through the compiled CLI: a sweep over --instruction (definition vs corrupted)
// of LoRA and full finetuning on the shipped SuperNI tasks, a few steps each, then `peft-native report`: the
// results table carries the axis column, each run recorded its instruction, and the report has the ablation
// section with one table row per value and its figure.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileCliIfMissing, runCliAsync } from './helpers/cli.js';
import { superniTasksDir } from './helpers/real-data.js';

describe('sweep + report over one ablation axis', () => {
  it('instruction quality end to end', async () => {
    compileCliIfMissing();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pn-ablation-'));
    const spec = path.join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({
      name: 'quality-mini',
      base: {
        model: 'builtin:tiny', data: `superni:${superniTasksDir}`, 'split-dir': path.join(path.dirname(superniTasksDir), 'splits'), 'dev-tasks': 2, 'train-tasks': 3,
        'instances-per-task': 8, steps: 4, 'batch-size': 4, 'eval-times': 1, 'eval-max-instances': 2, 'max-new-tokens': 4, test: true, seed: 42,
      },
      grids: [{ name: 'quality', settings: { instruction: ['definition', 'corrupted'] }, variants: [{ method: 'lora', rank: 4, lr: 0.01 }, { method: 'full', lr: 0.001 }] }],
    }));
    const out = path.join(dir, 'sweep');
    const sweep = await runCliAsync(['sweep', spec, '--workers', '2', '--quiet', '--out', out], { timeoutMs: 240_000 });
    expect(sweep.stderr).toBe('');
    expect(sweep.code).toBe(0);
    const report = await runCliAsync(['report', out], { timeoutMs: 60_000 });
    expect(report.code).toBe(0);

    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(rows.map((r) => `${r.method} ${r.instruction}`).sort()).toEqual(['full corrupted', 'full definition', 'lora corrupted', 'lora definition']);
    for (const r of rows) {
      const config = JSON.parse(readFileSync(path.join(out, 'runs', String(r.id), 'run_config.json'), 'utf8'));
      expect(config.options.instruction).toBe(r.instruction);
      expect(config.data.selection.categories).toEqual(['Misc.']);
      expect(config.data.summary.notes.some((n: string) => n.includes('corrupted definitions'))).toBe(r.instruction === 'corrupted');
    }

    const md = readFileSync(path.join(out, 'report', 'report.md'), 'utf8');
    const section = md.slice(md.indexOf('### Ablation: instruction quality'));
    expect(md).toContain('### Ablation: instruction quality');
    expect(section).toMatch(/\n\| definition \| [^\n]+\|\n\| corrupted \| /);
    expect(md).not.toContain('### Ablation: dataset size'); // one value of instances per task: not an axis
    expect(section).toContain('](figures/ablation-quality.svg)');
    expect(readFileSync(path.join(out, 'report', 'figures', 'ablation-quality.svg'), 'utf8')).toContain('full − LoRA');
    expect(existsSync(path.join(out, 'report', 'figures', 'ablation-size.svg'))).toBe(false);
  }, 300_000);
});
