// The report's verdict rules on results made up to sit on each side of a rule: a finding holds, does not hold,
// or is inconclusive for the reason the rule states (the numbers here are inputs, not outputs of peft-native).
import { describe, expect, it } from 'vitest';
import { findings } from '../src/report/findings.js';
import { compare, stats } from '../src/report/stats.js';
import type { ResultRow } from '../src/sweep/results.js';

interface RowInput {
  method: string;
  size?: number;
  lr: number;
  seed: number;
  test: number;
  mem?: number;
  n?: number;
  status?: ResultRow['status'];
  dev?: Array<[number, number]>;
}

function row(i: RowInput): ResultRow {
  const sizeFlag = i.method === 'lora' ? 'rank' : i.method === 'adapter' ? 'adapter-size' : 'virtual-tokens';
  const settings = { model: 'builtin:tiny', method: i.method, ...(i.size !== undefined ? { [sizeFlag]: i.size } : {}), lr: i.lr, ...(i.n !== undefined ? { 'train-tasks': i.n } : {}), seed: i.seed };
  return {
    id: JSON.stringify(settings), grids: ['g'], status: i.status ?? 'completed', settings: JSON.stringify(settings), model: 'builtin:tiny', method: i.method, lr: i.lr,
    size: i.size ?? null, trainTasks: i.n ?? null, seed: i.seed, steps: 10, totalSteps: 10, divergedSteps: i.status === 'diverged' ? 1 : 0, divergedAt: i.status === 'diverged' ? 5 : null,
    firstLoss: 3, lastLoss: 1, devSteps: (i.dev ?? []).map(([s]) => s), devRougeL: (i.dev ?? []).map(([, v]) => v), bestStep: 10, bestDevRougeL: i.test,
    testExactMatch: i.test, testRougeL: i.test, testRouge1: i.test, testPerTask: '{}', testPerCategory: '{}', memExactMatch: i.mem ?? null, memRougeL: i.mem ?? null,
    memPerTask: i.mem !== undefined ? '{}' : null, memPerCategory: i.mem !== undefined ? '{}' : null, tokensPerSec: 1, trainSec: 1, wallSec: 1, peakRssBytes: 1,
    trainableParameters: 1, totalParameters: 2, attempts: 1, error: null, hasMemorization: i.mem !== undefined, benchmarks: null,
  };
}

const seeds = (base: Omit<RowInput, 'seed' | 'test' | 'mem'>, tests: number[], mems?: number[]) => tests.map((test, k) => row({ ...base, seed: 42 + k, test, ...(mems ? { mem: mems[k]! } : {}) }));
const verdicts = (rows: ResultRow[]) => Object.fromEntries(findings(rows).map((f) => [f.number, f.verdict]));

describe('compare', () => {
  it('tells groups apart only when their seed ranges do not overlap (or one seed: more than 1 point)', () => {
    expect(compare(stats([10, 11])!, stats([12, 13])!)).toBe('below');
    expect(compare(stats([10, 12.5])!, stats([12, 13])!)).toBe('unclear');
    expect(compare(stats([14])!, stats([12, 13])!)).toBe('above');
    expect(compare(stats([13.5])!, stats([13])!)).toBe('unclear');
  });
});

describe('findings', () => {
  it('finding 1 holds: LoRA and adapters close to full finetuning at their largest size, prompt tuning far below', () => {
    const rows = [
      ...seeds({ method: 'full', lr: 1e-5 }, [40, 41]),
      ...seeds({ method: 'lora', size: 8, lr: 1e-4 }, [30, 31]),
      ...seeds({ method: 'lora', size: 64, lr: 1e-4 }, [39, 40]),
      ...seeds({ method: 'adapter', size: 64, lr: 1e-4 }, [38, 40]),
      ...seeds({ method: 'prompt', size: 32, lr: 1e-3 }, [10, 12]),
    ];
    const f1 = findings(rows)[0]!;
    expect(f1.verdict).toBe('holds');
    expect(f1.why.join('\n')).toMatch(/lora at lr 0.0001: the largest size tried \(64\) is \(or ties with\) the best/);
    expect(f1.figures.map((f) => f.file)).toContain('finding1-lora.svg');
  });

  it('finding 1 does not hold when prompt tuning is as close as LoRA, or LoRA peaks at a small rank', () => {
    const base = [...seeds({ method: 'full', lr: 1e-5 }, [40, 41]), ...seeds({ method: 'lora', size: 64, lr: 1e-4 }, [39, 40])];
    expect(verdicts([...base, ...seeds({ method: 'prompt', size: 32, lr: 1e-3 }, [39, 41])])[1]).toBe('does not hold');
    expect(verdicts([...base, ...seeds({ method: 'lora', size: 256, lr: 1e-4 }, [20, 22])])[1]).toBe('does not hold');
  });

  it('finding 1 is inconclusive without full finetuning, or when nothing was learned', () => {
    expect(verdicts(seeds({ method: 'lora', size: 8, lr: 1e-4 }, [30, 31]))[1]).toBe('inconclusive');
    expect(verdicts([...seeds({ method: 'full', lr: 1e-5 }, [0, 0]), ...seeds({ method: 'lora', size: 8, lr: 1e-4 }, [0, 0.5])])[1]).toBe('inconclusive');
  });

  it('finding 2 holds when collapses concentrate at the highest learning rate, not when they are spread or absent', () => {
    const grid = (high: number[], low: number[], highStatus?: ResultRow['status']) => [
      ...seeds({ method: 'lora', size: 8, lr: 1e-4 }, low),
      ...high.map((t, k) => row({ method: 'lora', size: 8, lr: 1e-3, seed: 42 + k, test: t, ...(highStatus ? { status: highStatus } : {}) })),
    ];
    expect(verdicts(grid([2, 3], [30, 31]))[2]).toBe('holds');
    expect(verdicts(grid([30, 31], [30, 31], 'diverged'))[2]).toBe('holds');
    expect(verdicts(grid([30, 31], [30, 31]))[2]).toBe('does not hold');
    expect(verdicts(grid([30, 2], [2, 31]))[2]).toBe('does not hold');
    expect(verdicts(seeds({ method: 'lora', size: 8, lr: 1e-4 }, [30, 31]))[2]).toBe('inconclusive');
  });

  it('finding 3: LoRA behind full finetuning with few tasks and catching up with many, and slower on the dev curve', () => {
    const dev = (early: number, late: number): Array<[number, number]> => [[5, early], [10, late]];
    const rows = [
      ...[8, 64].flatMap((n) => seeds({ method: 'full', lr: 1e-5, n, dev: dev(30, 35) }, n === 8 ? [30, 31] : [40, 41])),
      ...[8, 64].flatMap((n) => seeds({ method: 'lora', size: 64, lr: 1e-4, n, dev: dev(10, 35) }, n === 8 ? [15, 16] : [38, 39])),
    ];
    const f3 = findings(rows)[2]!;
    expect(f3.verdict).toBe('holds');
    expect(f3.why.join('\n')).toMatch(/full finetuning leads LoRA by 15\.0 points with 8 tasks and by 2\.0 with 64/);
    expect(f3.why.join('\n')).toMatch(/LoRA has 29% of its best dev score, full finetuning 86%/);
    const same = [
      ...[8, 64].flatMap((n) => seeds({ method: 'full', lr: 1e-5, n, dev: dev(30, 35) }, [30, 31])),
      ...[8, 64].flatMap((n) => seeds({ method: 'lora', size: 64, lr: 1e-4, n, dev: dev(30, 35) }, [29, 30])),
    ];
    expect(verdicts(same)[3]).toBe('does not hold');
  });

  it('finding 4 holds when LoRA scores lower on held-out instances of training tasks, and not when it scores higher', () => {
    const lower = [...seeds({ method: 'full', lr: 1e-5 }, [40, 41], [60, 62]), ...seeds({ method: 'lora', size: 64, lr: 1e-4 }, [39, 40], [45, 47])];
    expect(verdicts(lower)[4]).toBe('holds');
    const higher = [...seeds({ method: 'full', lr: 1e-5 }, [40, 41], [45, 47]), ...seeds({ method: 'lora', size: 64, lr: 1e-4 }, [39, 40], [60, 62])];
    expect(verdicts(higher)[4]).toBe('does not hold');
    const overlap = [...seeds({ method: 'full', lr: 1e-5 }, [40, 41], [50, 60]), ...seeds({ method: 'lora', size: 64, lr: 1e-4 }, [39, 40], [55, 58])];
    expect(verdicts(overlap)[4]).toBe('inconclusive');
    expect(verdicts(seeds({ method: 'lora', size: 64, lr: 1e-4 }, [39, 40]))[4]).toBe('inconclusive');
    // The verdict compares with full finetuning; adapters are shown beside it.
    const aboveAdapters = [...lower, ...seeds({ method: 'adapter', size: 64, lr: 1e-4 }, [39, 40], [20, 22])];
    const f4 = findings(aboveAdapters)[3]!;
    expect(f4.verdict).toBe('holds');
    expect(f4.why.join('\n')).toMatch(/LoRA 46\.0 vs adapter 21\.0 .*LoRA higher \(for reference; the verdict compares with full finetuning\)/);
  });

  it('failed runs are left out of every score; finding 5 is inconclusive without TÜLU runs', () => {
    const rows = [...seeds({ method: 'full', lr: 1e-5 }, [40, 41]), ...seeds({ method: 'lora', size: 64, lr: 1e-4 }, [39, 40]), row({ method: 'lora', size: 64, lr: 1e-4, seed: 1, test: 0, status: 'failed' })];
    const f1 = findings(rows)[0]!;
    expect(f1.table.join('\n')).toMatch(/\| lora \| lora, rank 64, lr 0.0001 \| 39\.5 ± 0\.7 \(2 seeds\)/);
    expect(findings(rows)[4]!.verdict).toBe('inconclusive');
  });

  it('finding 5 compares full, LoRA and adapters on the reasoning/coding/long-form benchmarks of TÜLU runs', () => {
    const tulu = (method: string, bench: Record<string, Record<string, number>>): ResultRow => {
      const r = row({ method, lr: 1e-4, seed: 42, test: 0 });
      return { ...r, settings: JSON.stringify({ ...JSON.parse(r.settings), data: 'tulu:x.jsonl' }), testRougeL: null, benchmarks: JSON.stringify(bench) };
    };
    const suite = (gsm: number, mmlu: number) => ({ gsm8k: { exact_match: gsm }, mmlu: { average_acc: mmlu, macro_acc: 0 } });
    const holds = [tulu('full', suite(0.3, 0.5)), tulu('lora', suite(0.2, 0.5)), tulu('adapter', suite(0.1, 0.5))];
    const f5 = findings(holds)[4]!;
    expect(f5.verdict).toBe('holds');
    expect(f5.table.join('\n')).toMatch(/\| method \| gsm8k \(exact_match\) \| mmlu \(average_acc\) \|/);
    expect(f5.table.join('\n')).toMatch(/\| lora \| 0\.200 \(n=1\) \| 0\.500 \(n=1\) \|/);
    expect(f5.why.join('\n')).toMatch(/gsm8k: full 0\.300, lora 0\.200, adapter 0\.100: both PEFT methods fall short of full finetuning, and LoRA is stronger than adapters/);
    // Adapters ahead of LoRA on GSM8K: the claim does not hold.
    expect(findings([tulu('full', suite(0.3, 0.5)), tulu('lora', suite(0.1, 0.5)), tulu('adapter', suite(0.2, 0.5))])[4]!.verdict).toBe('does not hold');
    // MMLU alone is not one of the claim's benchmarks; a missing method leaves it open.
    expect(findings([tulu('full', { mmlu: { average_acc: 0.5 } }), tulu('lora', { mmlu: { average_acc: 0.4 } })])[4]!.why.join(' ')).toMatch(/none of the claim's benchmarks/);
    expect(findings([tulu('full', suite(0.3, 0.5)), tulu('lora', suite(0.2, 0.5))])[4]!.verdict).toBe('inconclusive');
    // TÜLU runs never count as SuperNI results.
    expect(findings(holds)[0]!.verdict).toBe('inconclusive');
  });
});
