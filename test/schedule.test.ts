import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { learningRate, lrMultiplier, makeSchedule, warmupStepsFor } from '../src/train/schedule.js';

// Closed forms of transformers' schedulers (0-based step s, total T, warmup W):
//   warmup (s < W): s / W
//   linear:   (T - s) / (T - W)
//   cosine:   0.5 * (1 + cos(pi * (s - W) / (T - W)))
//   constant: 1
describe('learning-rate schedules', () => {
  const T = 100;
  const W = 10;
  const lr = 2e-4;

  it('warms up linearly from 0', () => {
    for (const kind of ['linear', 'constant', 'cosine'] as const) {
      expect(learningRate(0, { kind, baseLr: lr, totalSteps: T, warmupSteps: W })).toBe(0);
      expect(learningRate(5, { kind, baseLr: lr, totalSteps: T, warmupSteps: W })).toBeCloseTo(lr * 0.5, 15);
      expect(learningRate(9, { kind, baseLr: lr, totalSteps: T, warmupSteps: W })).toBeCloseTo(lr * 0.9, 15);
    }
  });

  it('decays linearly to 0 after warmup', () => {
    const o = { kind: 'linear' as const, baseLr: lr, totalSteps: T, warmupSteps: W };
    for (const s of [10, 11, 37, 55, 99, 100]) expect(learningRate(s, o)).toBeCloseTo((lr * (T - s)) / (T - W), 15);
    expect(learningRate(10, o)).toBe(lr);
    expect(learningRate(100, o)).toBe(0);
    expect(learningRate(120, o)).toBe(0);
  });

  it('cosine follows half a cosine to 0', () => {
    const o = { kind: 'cosine' as const, baseLr: lr, totalSteps: T, warmupSteps: W };
    for (const s of [10, 20, 55, 77, 99, 100]) {
      expect(learningRate(s, o)).toBeCloseTo(lr * 0.5 * (1 + Math.cos((Math.PI * (s - W)) / (T - W))), 15);
    }
    expect(learningRate(55, o)).toBeCloseTo(lr / 2, 15); // midpoint
    expect(learningRate(100, o)).toBeCloseTo(0, 15);
  });

  it('constant stays at the base LR', () => {
    const o = { kind: 'constant' as const, baseLr: lr, totalSteps: T, warmupSteps: 0 };
    for (const s of [0, 1, 50, 99]) expect(learningRate(s, o)).toBe(lr);
  });

  it('without warmup, linear starts at the base LR (lambda(0) = 1)', () => {
    expect(lrMultiplier(0, { kind: 'linear', totalSteps: 4, warmupSteps: 0 })).toBe(1);
    expect([0, 1, 2, 3].map((s) => lrMultiplier(s, { kind: 'linear', totalSteps: 4, warmupSteps: 0 }))).toEqual([1, 0.75, 0.5, 0.25]);
  });

  it('rounds warmup steps up like TrainingArguments.get_warmup_steps', () => {
    expect(warmupStepsFor(100, 0.03)).toBe(3);
    expect(warmupStepsFor(150, 0.03)).toBe(5); // ceil(4.5)
    expect(warmupStepsFor(10, 0)).toBe(0);
    expect(warmupStepsFor(10, 0.01)).toBe(1);
    expect(() => warmupStepsFor(10, 1.5)).toThrow(/warmup ratio/);
  });

  it('validates its options', () => {
    expect(() => makeSchedule({ kind: 'linear', baseLr: 0, totalSteps: 10, warmupSteps: 0 })).toThrow(/learning rate/);
    expect(() => makeSchedule({ kind: 'linear', baseLr: 1e-3, totalSteps: 0, warmupSteps: 0 })).toThrow(/total steps/);
    expect(() => makeSchedule({ kind: 'nope' as never, baseLr: 1e-3, totalSteps: 10, warmupSteps: 0 })).toThrow(/unknown schedule/);
    const f = makeSchedule({ kind: 'linear', baseLr: 1, totalSteps: 10, warmupSteps: 2 });
    expect([0, 1, 2, 6, 10].map(f)).toEqual([0, 0.5, 1, 0.5, 0]);
  });
});

// transformers' own schedulers driving a torch optimizer (scripts/fixtures/make_schedule_fixtures.py):
// warmup steps from the ratio as TrainingArguments computes them, then the rate of every update.
interface ScheduleCase {
  kind: 'linear' | 'constant' | 'cosine';
  totalSteps: number;
  warmupRatio: number;
  warmupSteps: number;
  lrs: number[];
}
const fixture = JSON.parse(
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/schedules.json'), 'utf8'),
) as { baseLr: number; cases: ScheduleCase[] };

describe('schedules match transformers (get_scheduler + warmup ratio)', () => {
  it.each(fixture.cases.map((c) => [`${c.kind} T=${c.totalSteps} ratio=${c.warmupRatio}`, c] as const))('%s', (_name, c) => {
    const warmupSteps = warmupStepsFor(c.totalSteps, c.warmupRatio);
    expect(warmupSteps).toBe(c.warmupSteps);
    const f = makeSchedule({ kind: c.kind, baseLr: fixture.baseLr, totalSteps: c.totalSteps, warmupSteps });
    for (let s = 0; s < c.totalSteps; s++) expect(f(s)).toBeCloseTo(c.lrs[s]!, 15);
  });
});
