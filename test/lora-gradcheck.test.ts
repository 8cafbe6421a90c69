// The LoRA linear's hand-written backward against autograd and central finite differences, in float64.
import { describe, expect, it } from 'vitest';
import { native } from '../src/native/binding.js';
import { maxRelativeError } from './helpers/fixtures.js';

describe.each([
  { dropout: 0, bias: true, seed: 1 },
  { dropout: 0, bias: false, seed: 2 },
  { dropout: 0.3, bias: true, seed: 3 },
  { dropout: 0.5, bias: false, seed: 4 },
])('LoRA linear backward (dropout $dropout, bias $bias)', (options) => {
  it('equals autograd to float64 precision and finite differences to O(eps^2)', () => {
    const grads = native().testing.loraLinearGradients(options);
    const names = options.bias ? (['x', 'weight', 'loraA', 'loraB', 'bias'] as const) : (['x', 'weight', 'loraA', 'loraB'] as const);
    for (const name of names) {
      const g = grads[name];
      expect(g.custom.length, name).toBeGreaterThan(0);
      expect(g.custom.some((v) => v !== 0), name).toBe(true);
      expect(maxRelativeError(g.custom, g.autograd), name).toBeLessThan(1e-12);
      expect(maxRelativeError(g.custom, g.finiteDifference), name).toBeLessThan(1e-7);
    }
    if (!options.bias) expect(grads.bias).toBeUndefined();
  });
});
