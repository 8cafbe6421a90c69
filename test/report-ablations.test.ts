// The report's ablation sections on made-up results: the PEFT-vs-full gap per axis value (full's best-setting
// mean minus LoRA's / the adapter's), the family of runs that varies the axis, the value order, the figure.
import { describe, expect, it } from 'vitest';
import { ABLATION_AXES, ablation, ablations } from '../src/report/ablations.js';
import type { ResultRow } from '../src/sweep/results.js';

interface RowInput {
  method: string;
  lr?: number;
  seed: number;
  test: number;
  ipt?: number;
  k?: number;
  instruction?: string;
  status?: ResultRow['status'];
}

function row(i: RowInput): ResultRow {
  const settings = { method: i.method, lr: i.lr ?? 1e-4, ...(i.ipt ? { 'instances-per-task': i.ipt } : {}), ...(i.k ? { 'train-categories': i.k } : {}), ...(i.instruction ? { instruction: i.instruction } : {}), seed: i.seed };
  return {
    id: JSON.stringify(settings), grids: ['g'], status: i.status ?? 'completed', settings: JSON.stringify(settings), model: 'builtin:tiny', method: i.method, lr: i.lr ?? 1e-4,
    size: null, trainTasks: null, instancesPerTask: i.ipt ?? null, trainCategories: i.k ?? null, instruction: i.instruction ?? null, seed: i.seed, steps: 10, totalSteps: 10,
    divergedSteps: 0, divergedAt: null, firstLoss: 3, lastLoss: 1, devSteps: [], devRougeL: [], bestStep: 10, bestDevRougeL: i.test, testExactMatch: i.test,
    testRougeL: i.test, testRouge1: i.test, testPerTask: '{}', testPerCategory: '{}', memExactMatch: null, memRougeL: null, memPerTask: null, memPerCategory: null,
    tokensPerSec: 1, trainSec: 1, wallSec: 1, peakRssBytes: 1, trainableParameters: 1, totalParameters: 2, attempts: 1, error: null, hasMemorization: false, benchmarks: null,
  };
}
const seeds = (base: Omit<RowInput, 'seed' | 'test'>, tests: number[]) => tests.map((test, k) => row({ ...base, seed: 42 + k, test }));
const axis = (key: string) => ABLATION_AXES.find((a) => a.key === key)!;

describe('ablation sections', () => {
  it('dataset size: full minus each PEFT method at its best setting, per value', () => {
    const rows = [
      ...seeds({ method: 'full', ipt: 8 }, [40, 42]),
      ...seeds({ method: 'lora', ipt: 8 }, [30, 32]),
      ...seeds({ method: 'adapter', ipt: 8 }, [35, 35]),
      ...seeds({ method: 'full', ipt: 32 }, [50]),
      ...seeds({ method: 'lora', ipt: 32, lr: 1e-4 }, [44]),
      ...seeds({ method: 'lora', ipt: 32, lr: 5e-4 }, [46]), // the better LoRA setting at 32
      ...seeds({ method: 'adapter', ipt: 32 }, [51]),
      ...seeds({ method: 'lora', ipt: 32, lr: 1e-3, status: 'failed' }, [60]), // failed runs do not count
    ];
    const a = ablation(axis('instancesPerTask'), rows)!;
    expect(a.points.map((p) => [p.value, p.gapLora, p.gapAdapter])).toEqual([[8, 10, 6], [32, 4, -1]]);
    expect(a.table).toContain('| 8 | 41.0 ± 1.4 (2 seeds) | 31.0 ± 1.4 (2 seeds) | 35.0 ± 0.0 (2 seeds) | +10.0 | +6.0 |');
    expect(a.table).toContain('| 32 | 50.0 (1 seed) | 46.0 (1 seed) | 51.0 (1 seed) | +4.0 | -1.0 |');
    expect(a.figures.map((f) => f.file)).toEqual(['ablation-size.svg']);
    expect(a.figures[0]!.svg).toContain('full − LoRA');
    expect(a.figures[0]!.svg).toContain('full − adapter');
  });

  it('keeps the family of runs that varies the axis (another grid at one value is left out)', () => {
    const rows = [
      ...seeds({ method: 'full', ipt: 8 }, [40]), ...seeds({ method: 'lora', ipt: 8 }, [30]),
      ...seeds({ method: 'full', ipt: 32 }, [50]), ...seeds({ method: 'lora', ipt: 32 }, [45]),
      // The diversity grid's runs, all at 16 instances per task.
      ...seeds({ method: 'full', ipt: 16, k: 1 }, [90]), ...seeds({ method: 'lora', ipt: 16, k: 1 }, [10]),
    ];
    const a = ablation(axis('instancesPerTask'), rows)!;
    expect(a.points.map((p) => p.value)).toEqual([8, 32]);
    expect(ablation(axis('trainCategories'), rows)).toBeNull(); // one value: not an axis
  });

  it('instruction quality: values in the kinds\' order, named on the chart', () => {
    const rows = [
      ...seeds({ method: 'full', instruction: 'corrupted' }, [20]), ...seeds({ method: 'lora', instruction: 'corrupted' }, [5]),
      ...seeds({ method: 'full', instruction: 'definition' }, [30]), ...seeds({ method: 'lora', instruction: 'definition' }, [28]),
    ];
    const all = ablations(rows, '2-');
    expect(all.map((a) => a.axis.title)).toEqual(['instruction quality']);
    const a = all[0]!;
    expect(a.points.map((p) => [p.value, p.gapLora, p.gapAdapter])).toEqual([['definition', 2, null], ['corrupted', 15, null]]);
    expect(a.figures[0]!.file).toBe('2-ablation-quality.svg');
    expect(a.figures[0]!.svg).toContain('>corrupted</text>');
    expect(a.figures[0]!.svg).not.toContain('full − adapter');
  });
});
