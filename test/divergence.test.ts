import { describe, expect, it } from 'vitest';
import { DivergenceDetector } from '../src/train/divergence.js';

describe('DivergenceDetector', () => {
  it('flags non-finite losses and gradient norms at once', () => {
    const d = new DivergenceDetector({ factor: 4, window: 10 });
    expect(d.check(1, NaN, 1)?.reason).toBe('non-finite loss');
    expect(d.check(2, Infinity, 1)?.reason).toBe('non-finite loss');
    expect(d.check(3, 2, NaN)?.reason).toBe('non-finite gradient norm');
    expect(d.check(4, 2, -Infinity)).toMatchObject({ reason: 'non-finite gradient norm', step: 4, loss: 2 });
    expect(d.check(5, 2, 1)).toBeNull();
  });

  it('flags a loss above factor x the running median, once enough history exists', () => {
    const d = new DivergenceDetector({ factor: 3, window: 5, minHistory: 3 });
    // Too little history: a huge loss on step 1 or 2 is not a spike.
    expect(d.check(1, 9, 1)).toBeNull();
    expect(d.check(2, 1, 1)).toBeNull();
    expect(d.check(3, 2, 1)).toBeNull();
    // median(9, 1, 2) = 2: 6 is not above 3 x 2, 6.01 is.
    expect(d.check(4, 6, 1)).toBeNull();
    // window now 9, 1, 2, 6: median (2 + 6) / 2 = 4; 12.5 > 12
    const e = d.check(5, 12.5, 1);
    expect(e).toMatchObject({ reason: 'loss spike', step: 5, median: 4 });
    expect(e!.message).toContain('more than 3 x the median 4.0000');
    // The spike does not join the window.
    expect(d.history()).toEqual([9, 1, 2, 6]);
  });

  it('keeps only the last `window` losses and restores them', () => {
    const d = new DivergenceDetector({ factor: 2, window: 3 });
    for (let s = 1; s <= 6; s++) d.check(s, s, 1);
    expect(d.history()).toEqual([4, 5, 6]);
    const e = new DivergenceDetector({ factor: 2, window: 3, minHistory: 1 });
    e.restore([1, 2, 3, 4, 5]);
    expect(e.history()).toEqual([3, 4, 5]);
    expect(e.check(1, 8.5, 1)?.reason).toBe('loss spike'); // median 4
  });

  it('rejects bad settings', () => {
    expect(() => new DivergenceDetector({ factor: 1, window: 3 })).toThrow(/factor/);
    expect(() => new DivergenceDetector({ factor: 2, window: 0 })).toThrow(/window/);
  });
});

describe('train command exit code', () => {
  it('is 3 when the run diverged, and passes the divergence flags through', async () => {
    const { trainCommand, EXIT_DIVERGED } = await import('../src/cli/train.js');
    expect(EXIT_DIVERGED).toBe(3);
    const seen: unknown[] = [];
    const run = async (o: unknown) => {
      seen.push(o);
      return { diverged: true } as never;
    };
    const saved = process.exitCode;
    try {
      const cmd = trainCommand(run).exitOverride();
      await cmd.parseAsync(['--on-divergence', 'continue', '--divergence-factor', '6', '--divergence-window', '12'], { from: 'user' });
      expect(process.exitCode).toBe(3);
      expect(seen[0]).toMatchObject({ onDivergence: 'continue', divergenceFactor: 6, divergenceWindow: 12 });
    } finally {
      process.exitCode = saved;
    }
  });
});

describe('DivergenceDetector defaults', () => {
  it('catches a run that explodes on its second step, and keeps flagging it against the healthy baseline', () => {
    const d = new DivergenceDetector({ factor: 4, window: 25 });
    expect(d.check(1, 6.94, 4.6)).toBeNull();
    expect(d.check(2, 5509.5, 3693)?.reason).toBe('loss spike');
    expect(d.check(3, 3173.4, 500)?.median).toBe(6.94);
    expect(d.check(4, 6.5, 2)).toBeNull();
  });
});
