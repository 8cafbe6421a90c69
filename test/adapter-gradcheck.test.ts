// The bottleneck adapter's hand-written backward against autograd and central finite differences, in float64.
import { describe, expect, it } from 'vitest';
import { native } from '../src/native/binding.js';
import { maxRelativeError } from './helpers/fixtures.js';

describe.each([
  { activation: 'silu' as const, seed: 1 },
  { activation: 'relu' as const, seed: 2 },
  { activation: 'gelu' as const, seed: 3 },
  // The study's released adapter applies SiLU twice.
  { activation: 'silu-silu' as const, seed: 4 },
])('bottleneck adapter backward ($activation)', (options) => {
  it('equals autograd to float64 precision and finite differences to O(eps^2)', () => {
    const grads = native().testing.bottleneckAdapterGradients(options);
    for (const name of ['input', 'downWeight', 'downBias', 'upWeight', 'upBias'] as const) {
      const g = grads[name];
      expect(g.custom.length, name).toBeGreaterThan(0);
      expect(g.custom.some((v) => v !== 0), name).toBe(true);
      expect(maxRelativeError(g.custom, g.autograd), name).toBeLessThan(1e-12);
      expect(maxRelativeError(g.custom, g.finiteDifference), name).toBeLessThan(1e-7);
    }
  });
});

it('rejects an unknown activation', () => {
  expect(() => native().testing.bottleneckAdapterGradients({ activation: 'tanh' as never })).toThrow(/silu, silu-silu, relu or gelu/);
});
