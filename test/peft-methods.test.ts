// Every PEFT method that HF PEFT also has, against adapters PEFT saved (test/fixtures/peft-methods, made by
// scripts/fixtures/make_peft_method_fixtures.py): loaded through the product's own adapter loader, the
// logits and loss match PEFT's, and the trainable-parameter counts equal what PEFT reports.
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readModelConfig } from '../src/models/config.js';
import { applyMethod, loadAdapter, type MethodSettings } from '../src/peft/methods.js';
import { fixtureBatch, fixturesDir, loadFixtureModel, maxRelativeError, readExpected, repoRoot } from './helpers/fixtures.js';

const methodsDir = path.join(repoRoot, 'test/fixtures/peft-methods');
const cases = readdirSync(methodsDir).filter((d) => !d.includes('.'));
const batchFile = path.join(fixturesDir, 'llama/expected.safetensors');

interface Expected {
  base: string;
  peft_type: string;
  trainable_params: number;
  total_params: number;
  loss: number;
}

function expectedOf(name: string): Expected {
  return JSON.parse(readFileSync(path.join(methodsDir, name, 'expected.json'), 'utf8')) as Expected;
}

function variantOf(e: Expected): string {
  return path.basename(e.base);
}

/** The method PEFT trained, as the training CLI would set it up (prefix projection included). */
function trainingSettings(name: string): MethodSettings {
  const cfg = JSON.parse(readFileSync(path.join(methodsDir, name, 'adapter_config.json'), 'utf8'));
  switch (cfg.peft_type) {
    case 'LORA':
      return { method: cfg.use_dora ? 'dora' : 'lora', lora: { r: cfg.r, alpha: cfg.lora_alpha, dropout: 0, targets: { modules: cfg.target_modules }, useRslora: cfg.use_rslora, init: 'kaiming' } };
    case 'IA3':
      return { method: 'ia3', ia3: { targets: { modules: cfg.target_modules }, feedforwardModules: cfg.feedforward_modules } };
    case 'PROMPT_TUNING':
      return { method: 'prompt', prompt: { virtualTokens: cfg.num_virtual_tokens, init: 'random' } };
    case 'PREFIX_TUNING':
      return { method: 'prefix', prefix: { virtualTokens: cfg.num_virtual_tokens, projectionHiddenSize: cfg.prefix_projection ? cfg.encoder_hidden_size : null } };
    default:
      throw new Error(`unexpected fixture ${name}`);
  }
}

it('has fixtures for LoRA+DoRA, IA3, prompt and prefix tuning', () => {
  expect(new Set(cases.map((c) => expectedOf(c).peft_type))).toEqual(new Set(['LORA', 'IA3', 'PROMPT_TUNING', 'PREFIX_TUNING']));
});

describe.each(cases)('HF PEFT fixture %s', (name) => {
  const expected = expectedOf(name);

  it('trainable and total parameter counts equal PEFT get_nb_trainable_parameters', async () => {
    const variant = variantOf(expected);
    const model = await loadFixtureModel(variant);
    const { config } = await readModelConfig(path.join(fixturesDir, variant, 'config.json'));
    applyMethod(model, trainingSettings(name), 0);
    expect(model.parameterCount()).toEqual({ trainable: expected.trainable_params, total: expected.total_params });
  });

  it('the PEFT-saved adapter loads with logits (rel 1e-4) and loss equal to PEFT', async () => {
    const variant = variantOf(expected);
    const model = await loadFixtureModel(variant);
    const { config } = await readModelConfig(path.join(fixturesDir, variant, 'config.json'));
    const settings = await loadAdapter(model, path.join(methodsDir, name));
    expect(settings.method).toBe(trainingSettings(name).method);
    const batch = await fixtureBatch(batchFile);
    const out = await model.forward(batch, { returnLogits: true });
    const want = await readExpected(path.join(methodsDir, name, 'expected.safetensors'), 'logits');
    expect(out.logits!.length).toBe(want.data.length);
    expect(maxRelativeError(out.logits!, want.data)).toBeLessThan(1e-4);
    const loss = (await readExpected(path.join(methodsDir, name, 'expected.safetensors'), 'loss')).data[0]!;
    expect(out.lossSum / out.targetTokens).toBeCloseTo(loss, 4);
    // The adapter changed the outputs: the base model alone differs.
    const base = await (await loadFixtureModel(variant)).forward(batch, { returnLogits: true });
    expect(maxRelativeError(base.logits!, want.data)).toBeGreaterThan(1e-3);
  });
});

describe('adapter loading errors', () => {
  function copyCase(name: string): string {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'peft-err-')), name);
    cpSync(path.join(methodsDir, name), dir, { recursive: true });
    return dir;
  }
  async function llama() {
    const { config } = await readModelConfig(path.join(fixturesDir, 'llama', 'config.json'));
    return { model: await loadFixtureModel('llama'), config };
  }

  it('an adapter for another base model is an error naming the tensor and both shapes', async () => {
    const { model, config } = await llama();
    await expect(loadAdapter(model, path.join(methodsDir, 'dora-rslora-gqa'))).rejects.toThrow(
      /k_proj\.lora_B\.weight has shape \[32, 4\] but this model needs \[64, 4\].*different base model/,
    );
    const m2 = await llama();
    await expect(loadAdapter(m2.model, path.join(methodsDir, 'prefix-gqa'))).rejects.toThrow(/width 128.*width 256|another base model/);
    const m3 = await llama();
    await expect(loadAdapter(m3.model, path.join(methodsDir, 'ia3-gqa'))).rejects.toThrow(/shape \[32, 1\] but this model needs \[64, 1\]/);
  });

  it('an unknown peft_type is an error listing the supported ones', async () => {
    const dir = copyCase('ia3');
    const cfg = JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, peft_type: 'LOHA' }));
    const { model, config } = await llama();
    await expect(loadAdapter(model, dir)).rejects.toThrow(/unknown peft_type "LOHA" \(supported: LORA, PEFT_NATIVE_BOTTLENECK, IA3, PROMPT_TUNING, PREFIX_TUNING, PEFT_NATIVE_BITFIT, PEFT_NATIVE_COMBINED\)/);
  });

  it('a target module the model lacks is an error naming it', async () => {
    const dir = copyCase('ia3');
    const cfg = JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, target_modules: ['c_attn'], feedforward_modules: [] }));
    const { model, config } = await llama();
    await expect(loadAdapter(model, dir)).rejects.toThrow(/adapter_config\.json: IA3 target modules c_attn match no linear layer/);
  });

  it('unsupported options and missing files are errors naming the file', async () => {
    const dir = copyCase('dora');
    const cfg = JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, rank_pattern: { q_proj: 8 } }));
    const { model, config } = await llama();
    await expect(loadAdapter(model, dir)).rejects.toThrow(/"rank_pattern" .* is not supported/);
    await expect(loadAdapter(model, path.join(dir, 'nope'))).rejects.toThrow(/does not exist/);
    await expect(loadAdapter(model, fixturesDir)).rejects.toThrow(/no adapter_config\.json/);
  });

  it('a second method that would adapt the same linear layers is refused (combinations: combined-methods.test.ts)', async () => {
    const { model } = await llama();
    await loadAdapter(model, path.join(methodsDir, 'ia3'));
    expect(() => model.applyLora({ r: 2, alpha: 2, dropout: 0, targetModules: ['v_proj'], useRslora: false, init: 'kaiming', seed: 0 })).toThrow(/LoRA cannot adapt .*v_proj: ia3 already adapts it/);
    await expect(loadAdapter(model, path.join(methodsDir, 'ia3'))).rejects.toThrow(/already has adapter weights/);
  });
});
