// Gradient checkpointing (recomputing each decoder layer in backward) must not change any method's
// gradients: DoRA magnitudes, IA3 scales, BitFit biases and bottleneck adapters live inside the recomputed
// layers; prompt and prefix tuning parameters live outside them (prefix tuning is never recomputed).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readModelConfig } from '../src/models/config.js';
import { applyMethod, type MethodSettings } from '../src/peft/methods.js';
import { fixtureBatch, fixturesDir, loadFixtureModel, maxRelativeError } from './helpers/fixtures.js';

const batchFile = path.join(fixturesDir, 'llama/expected.safetensors');

const METHODS: Array<[string, MethodSettings]> = [
  ['dora', { method: 'dora', lora: { r: 4, alpha: 8, dropout: 0, targets: { modules: ['q_proj', 'down_proj'] }, useRslora: false, init: 'gaussian' } }],
  ['ia3', { method: 'ia3', ia3: { targets: { modules: ['k_proj', 'v_proj', 'down_proj'] }, feedforwardModules: ['down_proj'] } }],
  ['bitfit', { method: 'bitfit', bitfit: { targets: null, init: 'zeros' } }],
  ['adapter', { method: 'adapter', adapter: { placement: 'houlsby', size: { adapterSize: 8 }, activation: 'gelu', init: 'normal' } }],
  ['prompt', { method: 'prompt', prompt: { virtualTokens: 3, init: 'vocab' } }],
  ['prefix', { method: 'prefix', prefix: { virtualTokens: 2, projectionHiddenSize: 8 } }],
];

describe.each(METHODS)('%s with gradient checkpointing', (_name, settings) => {
  it('gives the gradients of the plain backward', async () => {
    const { config } = await readModelConfig(path.join(fixturesDir, 'llama3-gqa', 'config.json'));
    const batch = await fixtureBatch(batchFile);
    const grads = [];
    for (const checkpointing of [false, true]) {
      const model = await loadFixtureModel('llama3-gqa');
      applyMethod(model, settings, 9);
      model.setGradientCheckpointing(checkpointing);
      await model.backward(batch);
      const names = model.parameterNames({ trainableOnly: true });
      grads.push(new Map(names.map((n) => [n, model.gradient(n)])));
    }
    const [plain, recomputed] = grads;
    expect([...recomputed!.keys()]).toEqual([...plain!.keys()]);
    for (const [name, g] of plain!) {
      expect(g, name).not.toBeNull();
      expect(maxRelativeError(recomputed!.get(name)!, g!), name).toBeLessThan(1e-5);
    }
  });
});
