// Adapters saved here load in HF PEFT with the same outputs (LoRA, rsLoRA, DoRA, IA3, prompt tuning, prefix
// tuning with and without the reparameterization MLP, GQA; LoRA, IA3 and prompt tuning on T5), and every method's saved folder loads back here
// with identical outputs (including this project's own bottleneck-adapter and BitFit layouts).
// The PEFT direction runs scripts/fixtures/check_peft_adapter.py with .venv/bin/python (CI installs torch,
// transformers and peft there); without it the test fails and says so.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native, type NativeModel, type NativeModelConfig } from '../src/native/binding.js';
import { readModelConfig } from '../src/models/config.js';
import { applyMethod, loadAdapter, saveAdapter, type MethodSettings } from '../src/peft/methods.js';
import { fixtureBatch, fixturesDir, loadFixtureModel, maxRelativeError, repoRoot } from './helpers/fixtures.js';

const python = path.join(repoRoot, '.venv/bin/python');
const checkScript = path.join(repoRoot, 'scripts/fixtures/check_peft_adapter.py');
const work = mkdtempSync(path.join(os.tmpdir(), 'peft-interop-'));

interface Case {
  name: string;
  variant: string;
  settings: MethodSettings;
  /** HF PEFT has the method (the other direction of the round trip applies). */
  peft: boolean;
}

const lora = { r: 4, alpha: 8, dropout: 0, useRslora: false, init: 'kaiming' as const };
const CASES: Case[] = [
  { name: 'lora-rslora', variant: 'llama', settings: { method: 'lora', lora: { ...lora, useRslora: true, targets: { modules: ['q_proj', 'o_proj', 'gate_proj'] } } }, peft: true },
  { name: 'dora', variant: 'llama', settings: { method: 'dora', lora: { ...lora, targets: { modules: ['v_proj', 'down_proj'] } } }, peft: true },
  { name: 'dora-regex-gqa', variant: 'llama3-gqa', settings: { method: 'dora', lora: { ...lora, targets: { regex: '.*\\.(k_proj|up_proj)' } } }, peft: true },
  { name: 'ia3', variant: 'llama', settings: { method: 'ia3', ia3: { targets: { modules: ['k_proj', 'v_proj', 'down_proj'] }, feedforwardModules: ['down_proj'] } }, peft: true },
  { name: 'ia3-gqa', variant: 'llama3-gqa', settings: { method: 'ia3', ia3: { targets: { modules: ['q_proj', 'up_proj'] }, feedforwardModules: ['up_proj'] } }, peft: true },
  { name: 'prompt', variant: 'llama', settings: { method: 'prompt', prompt: { virtualTokens: 3, init: 'vocab' } }, peft: true },
  { name: 'prefix-mlp', variant: 'llama', settings: { method: 'prefix', prefix: { virtualTokens: 2, projectionHiddenSize: 16 } }, peft: true },
  { name: 'prefix-gqa', variant: 'llama3-gqa', settings: { method: 'prefix', prefix: { virtualTokens: 3, projectionHiddenSize: null } }, peft: true },
  { name: 'adapter-houlsby', variant: 'llama', settings: { method: 'adapter', adapter: { placement: 'houlsby', size: { adapterSize: 8 }, activation: 'gelu', init: 'normal' } }, peft: false },
  { name: 'adapter-pfeiffer', variant: 'llama3-gqa', settings: { method: 'adapter', adapter: { placement: 'pfeiffer', size: { reductionFactor: 16 }, activation: 'relu', init: 'identity' } }, peft: false },
  { name: 'bitfit', variant: 'llama', settings: { method: 'bitfit', bitfit: { targets: null, init: 'zeros' } }, peft: false },
  // T5: the study's LoRA written in Llama names (q_proj = q), PEFT's IA3 defaults for T5, prompt tuning's two tables.
  { name: 't5-lora', variant: 't5-v1_1', settings: { method: 'lora', lora: { ...lora, targets: { modules: ['q_proj', 'v_proj'] } } }, peft: true },
  { name: 't5-ia3', variant: 't5-original', settings: { method: 'ia3', ia3: { targets: { modules: ['k', 'v', 'wo'] }, feedforwardModules: ['wo'] } }, peft: true },
  { name: 't5-prompt', variant: 't5-v1_1', settings: { method: 'prompt', prompt: { virtualTokens: 2, init: 'random' } }, peft: true },
  { name: 't5-prefix', variant: 't5-v1_1', settings: { method: 'prefix', prefix: { virtualTokens: 2, projectionHiddenSize: null } }, peft: true },
  { name: 't5-adapter', variant: 't5-original', settings: { method: 'adapter', adapter: { placement: 'houlsby', size: { adapterSize: 4 }, activation: 'silu', init: 'normal' } }, peft: false },
  { name: 't5-bitfit', variant: 't5-v1_1', settings: { method: 'bitfit', bitfit: { targets: null, init: 'zeros' } }, peft: false },
];

/** Each case runs on its base model's own fixture batch (a T5 one carries its separate labels). */
const batchFileOf = (variant: string) => path.join(fixturesDir, variant, 'expected.safetensors');

/** Deterministic pseudo-random values in [-1, 1) (a small LCG; the values only need to be non-trivial). */
function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Sets every trainable parameter to non-trivial values (scales stay near 1, the rest small). */
function randomizeTrainable(model: NativeModel, seed: number): void {
  model.parameterNames({ trainableOnly: true }).forEach((name, k) => {
    const current = model.getParameter(name);
    const u = noise(current.length, seed * 1000 + k);
    const scale = /ia3_l|lora_magnitude_vector/.test(name);
    model.setParameter(name, scale ? current.map((v, i) => v * (1 + 0.3 * u[i]!)) : u.map((v) => (name.includes('prompt_encoder.embedding') ? 0.5 : 0.1) * v));
  });
}

interface Built {
  dir: string;
  logits: Float32Array;
  config: NativeModelConfig;
}
const built = new Map<string, Built>();
let peftResults: Record<string, { max_rel_err?: number; peft_type?: string; error?: string; shape?: number[] }> = {};
let peftFailure = '';

beforeAll(async () => {
  const manifest: Array<{ name: string; base: string; adapter: string; batch: string }> = [];
  for (const [i, c] of CASES.entries()) {
    const batch = await fixtureBatch(batchFileOf(c.variant));
    const model = await loadFixtureModel(c.variant);
    const { config } = await readModelConfig(path.join(fixturesDir, c.variant, 'config.json'));
    applyMethod(model, c.settings, 11 + i);
    randomizeTrainable(model, 7 + i);
    const { logits } = await model.forward(batch, { returnLogits: true });
    const dir = path.join(work, c.name);
    await saveAdapter(model, dir, c.settings, { baseModelNameOrPath: path.join(fixturesDir, c.variant), config });
    built.set(c.name, { dir, logits: logits!, config });
    if (!c.peft) continue;
    const file = path.join(work, `${c.name}-batch.safetensors`);
    await native().safetensors.writeTensors(file, [
      { name: 'input_ids', shape: [batch.batchSize, batch.seqLen], data: Float32Array.from(batch.inputIds) },
      { name: 'attention_mask', shape: [batch.batchSize, batch.seqLen], data: Float32Array.from(batch.attentionMask!) },
      ...(batch.labelLen !== undefined ? [{ name: 'labels', shape: [batch.batchSize, batch.labelLen], data: Float32Array.from(batch.labels!) }] : []),
      { name: 'logits', shape: [batch.batchSize, batch.labelLen ?? batch.seqLen, config.vocabSize], data: logits! },
    ]);
    manifest.push({ name: c.name, base: path.join(fixturesDir, c.variant), adapter: dir, batch: file });
  }
  if (!existsSync(python)) {
    peftFailure = `${python} is missing: this test needs the project's Python venv with torch, transformers and peft (CI installs them)`;
    return;
  }
  const manifestFile = path.join(work, 'manifest.json');
  writeFileSync(manifestFile, JSON.stringify(manifest));
  const run = spawnSync(python, [checkScript, manifestFile], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (run.status !== 0) {
    peftFailure = `check_peft_adapter.py failed (exit ${run.status}): ${run.error?.message ?? ''}${run.stderr.slice(-2000)}`;
    return;
  }
  peftResults = JSON.parse(run.stdout.trim().split('\n').pop()!);
}, 240_000);

describe.each(CASES)('adapter saved here: $name', (c) => {
  it('loads back here with identical logits', async () => {
    const b = built.get(c.name)!;
    const model = await loadFixtureModel(c.variant);
    const settings = await loadAdapter(model, b.dir);
    expect(settings.method).toBe(c.settings.method);
    const { logits } = await model.forward(await fixtureBatch(batchFileOf(c.variant)), { returnLogits: true });
    expect(maxRelativeError(logits!, b.logits)).toBeLessThan(1e-6);
    const base = await (await loadFixtureModel(c.variant)).forward(await fixtureBatch(batchFileOf(c.variant)), { returnLogits: true });
    expect(maxRelativeError(base.logits!, b.logits)).toBeGreaterThan(1e-3);
  });
});

describe.each(CASES.filter((c) => c.peft))('adapter saved here, loaded by HF PEFT: $name', (c) => {
  it('PeftModel.from_pretrained gives the same logits (rel 1e-4)', () => {
    expect(peftFailure).toBe('');
    const r = peftResults[c.name];
    expect(r, `no result for ${c.name}`).toBeDefined();
    expect(r!.error).toBeUndefined();
    expect(r!.max_rel_err!).toBeLessThan(1e-4);
  });
});

describe.each(CASES.filter((c) => !c.peft))('adapter without a PEFT equivalent: $name', (c) => {
  it('is saved in the documented own layout', () => {
    const cfg = JSON.parse(readFileSync(path.join(built.get(c.name)!.dir, 'adapter_config.json'), 'utf8'));
    expect(cfg.peft_type).toBe(c.settings.method === 'bitfit' ? 'PEFT_NATIVE_BITFIT' : 'PEFT_NATIVE_BOTTLENECK');
    expect(cfg.format_version).toBe(1);
  });
});
