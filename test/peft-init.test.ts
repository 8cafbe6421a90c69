// Each method's initialization as specified: the methods that start as the identity (DoRA: B = 0 and the
// magnitude = ||W|| rows; IA3: ones; BitFit: zero biases; adapters with init=identity: zero up-projection)
// leave the base model's logits unchanged; prompt tuning's vocab init copies embedding rows; adapters'
// normal init has std 0.02. Also: prompt/prefix tuning refuse packed batches.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readModelConfig } from '../src/models/config.js';
import { applyMethod, type MethodSettings } from '../src/peft/methods.js';
import { fixtureBatch, fixturesDir, loadFixtureModel, maxRelativeError } from './helpers/fixtures.js';

const batchFile = path.join(fixturesDir, 'llama/expected.safetensors');

async function setup(variant = 'llama3-gqa') {
  const model = await loadFixtureModel(variant);
  const { config } = await readModelConfig(path.join(fixturesDir, variant, 'config.json'));
  return { model, config };
}

describe.each<[string, MethodSettings]>([
  ['dora', { method: 'dora', lora: { r: 4, alpha: 8, dropout: 0, targets: { modules: ['q_proj', 'down_proj'] }, useRslora: false, init: 'kaiming' } }],
  ['ia3', { method: 'ia3', ia3: { targets: { modules: ['k_proj', 'v_proj', 'down_proj'] }, feedforwardModules: ['down_proj'] } }],
  ['bitfit', { method: 'bitfit', bitfit: { targets: null, init: 'zeros' } }],
  ['adapter identity', { method: 'adapter', adapter: { placement: 'houlsby', size: { adapterSize: 8 }, activation: 'silu', init: 'identity' } }],
])('%s at init', (_name, settings) => {
  it.each(['llama', 'llama3-gqa'])('leaves the logits of %s unchanged', async (variant) => {
    const batch = await fixtureBatch(batchFile);
    const base = (await (await loadFixtureModel(variant)).forward(batch, { returnLogits: true })).logits!;
    const { model, config } = await setup(variant);
    applyMethod(model, settings, 3);
    expect(model.parameterCount().trainable).toBeGreaterThan(0);
    const got = (await model.forward(batch, { returnLogits: true })).logits!;
    expect(maxRelativeError(got, base)).toBeLessThan(1e-6);
  });
});

it('bitfit adds zero biases only where a linear has none', async () => {
  const { model, config } = await setup('llama');
  applyMethod(model, { method: 'bitfit', bitfit: { targets: null, init: 'zeros' } }, 0);
  const added = model.parameterNames({ group: 'adapter' });
  expect(added).toHaveLength(config.numHiddenLayers * 7);
  for (const n of added) expect(model.getParameter(n).every((v) => v === 0)).toBe(true);
  const gqa = await setup('llama3-gqa'); // attention and MLP biases exist: they train, none is added
  applyMethod(gqa.model, { method: 'bitfit', bitfit: { targets: null, init: 'zeros' } }, 0);
  expect(gqa.model.parameterNames({ group: 'adapter' })).toEqual([]);
  expect(gqa.model.parameterNames({ trainableOnly: true })).toHaveLength(gqa.config.numHiddenLayers * 7);
});

it("bitfit on chosen linears with normal(0, 1) biases (the study's code): only those biases train", async () => {
  const { model, config } = await setup('llama');
  const targets = applyMethod(model, { method: 'bitfit', bitfit: { targets: { modules: ['q_proj', 'k_proj', 'v_proj'] }, init: 'normal' } }, 5);
  expect(targets).toHaveLength(config.numHiddenLayers * 3);
  const trainable = model.parameterNames({ trainableOnly: true });
  expect(trainable).toEqual(model.parameterNames({ group: 'adapter' }));
  expect(trainable.every((n) => /\.self_attn\.[qkv]_proj\.bias$/.test(n))).toBe(true);
  const values = trainable.flatMap((n) => Array.from(model.getParameter(n)));
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  expect(values.length).toBeGreaterThan(100);
  expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(values.length));
  expect(std).toBeGreaterThan(0.8);
  expect(std).toBeLessThan(1.2);
  // The seed decides the values.
  const again = await setup('llama');
  applyMethod(again.model, { method: 'bitfit', bitfit: { targets: { modules: ['q_proj', 'k_proj', 'v_proj'] }, init: 'normal' } }, 5);
  expect(Array.from(again.model.getParameter(trainable[0]!))).toEqual(Array.from(model.getParameter(trainable[0]!)));
});

it('adapter normal init: weights normal(0, 0.02), biases zero', async () => {
  const { model, config } = await setup('llama');
  applyMethod(model, { method: 'adapter', adapter: { placement: 'pfeiffer', size: { adapterSize: 32 }, activation: 'silu', init: 'normal' } }, 1);
  const names = model.parameterNames({ trainableOnly: true });
  expect(names).toHaveLength(config.numHiddenLayers * 4); // pfeiffer: MLP adapter only
  const w = Array.from(model.getParameter('model.layers.0.mlp_adapter.down_proj.weight'));
  const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
  expect(std).toBeGreaterThan(0.018);
  expect(std).toBeLessThan(0.022);
  expect(model.getParameter('model.layers.1.mlp_adapter.up_proj.bias').every((v) => v === 0)).toBe(true);
});

it('prompt tuning vocab init copies embedding rows; random init is normal(0, 1)', async () => {
  const { model, config } = await setup('llama');
  applyMethod(model, { method: 'prompt', prompt: { virtualTokens: 4, init: 'vocab' } }, 5);
  const emb = model.getParameter('model.embed_tokens.weight');
  const prompt = model.getParameter('prompt_encoder.embedding.weight');
  const h = config.hiddenSize;
  for (let i = 0; i < 4; i++) {
    const row = prompt.subarray(i * h, (i + 1) * h);
    let found = false;
    for (let v = 0; v < config.vocabSize && !found; v++) found = emb.subarray(v * h, (v + 1) * h).every((x, j) => x === row[j]);
    expect(found, `virtual token ${i}`).toBe(true);
  }
  const r = await setup('llama');
  applyMethod(r.model, { method: 'prompt', prompt: { virtualTokens: 64, init: 'random' } }, 5);
  const p = Array.from(r.model.getParameter('prompt_encoder.embedding.weight'));
  const std = Math.sqrt(p.reduce((a, v) => a + v * v, 0) / p.length);
  expect(std).toBeGreaterThan(0.95);
  expect(std).toBeLessThan(1.05);
});

it('prompt and prefix tuning refuse packed batches', async () => {
  for (const settings of [
    { method: 'prompt', prompt: { virtualTokens: 2, init: 'random' } },
    { method: 'prefix', prefix: { virtualTokens: 2, projectionHiddenSize: null } },
  ] as MethodSettings[]) {
    const { model, config } = await setup('llama');
    applyMethod(model, settings, 0);
    const batch = await fixtureBatch(batchFile);
    const positionIds = new Int32Array(batch.batchSize * batch.seqLen).map((_, i) => i % batch.seqLen);
    await expect(model.forward({ ...batch, positionIds })).rejects.toThrow(/does not support packed batches/);
  }
});
