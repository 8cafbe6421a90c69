// Combined methods (`--method lora+adapter`): two method records on one model. The logits equal both methods
// applied by hand in float64 (test/fixtures/combined-methods, made by scripts/fixtures/make_combined_fixtures.py:
// HF PEFT's LoRA plus bottleneck adapters, BitFit biases or a prompt added by hand); the saved folder reloads
// to the same outputs; combinations that cannot coexist are refused with one line.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native, type NativeModel } from '../src/native/binding.js';
import { applyMethod, canonicalMethod, describeMethod, loadAdapter, resolveMethodSettings, saveAdapter, type MethodSettings, type TrainMethod } from '../src/peft/methods.js';
import type { MethodTrainOptions } from '../src/peft/method-spec.js';
import { resolveTrainOptions } from '../src/train/options.js';
import { train } from '../src/train/loop.js';
import { mergeAdapter } from '../src/peft/merge.js';
import { runEvaluation } from '../src/eval/run-eval.js';
import { fixtureBatch, fixturesDir, loadFixtureModel, maxRelativeError, readExpected, repoRoot } from './helpers/fixtures.js';

const casesDir = path.join(repoRoot, 'test/fixtures/combined-methods');
const batchFile = path.join(fixturesDir, 'llama/expected.safetensors');
const LORA: MethodTrainOptions = { rank: 4, alpha: 8, dropout: 0 };
const TARGETS = { modules: ['q_proj', 'v_proj'] };

const CASES: Array<{ name: string; method: TrainMethod; options: MethodTrainOptions; folders: string[] }> = [
  { name: 'lora-adapter', method: 'lora+adapter', options: { ...LORA, adapterSize: 8, adapterActivation: 'silu' }, folders: ['lora', 'adapter'] },
  { name: 'lora-bitfit', method: 'lora+bitfit', options: LORA, folders: ['lora', 'bitfit'] },
  { name: 'prompt-lora', method: 'lora+prompt', options: { ...LORA, virtualTokens: 5 }, folders: ['lora', 'prompt'] },
];

/** The fixture's weights copied into `model` by name; every method parameter of the model is among them. */
async function copyWeights(model: NativeModel, file: string): Promise<void> {
  const { tensors } = await native().safetensors.inspect(file);
  expect(new Set(model.parameterNames({ trainableOnly: true }))).toEqual(new Set(tensors.map((t) => t.name)));
  for (const t of tensors) model.setParameter(t.name, (await native().safetensors.readTensor(file, t.name)).data);
}

async function logits(model: NativeModel): Promise<Float32Array> {
  return (await model.forward(await fixtureBatch(batchFile), { returnLogits: true })).logits!;
}

describe.each(CASES)('$method', ({ name, method, options, folders }) => {
  const settings = (): MethodSettings => resolveMethodSettings(method, options, TARGETS);

  it('logits equal both methods applied by hand in float64 (rel 1e-5)', async () => {
    const model = await loadFixtureModel('llama');
    applyMethod(model, settings(), 0);
    expect(model.peftMethod()).toBe(method);
    await copyWeights(model, path.join(casesDir, name, 'weights.safetensors'));
    const want = (await readExpected(path.join(casesDir, name, 'expected.safetensors'), 'logits')).data;
    const got = await logits(model);
    expect(got.length).toBe(want.length);
    expect(maxRelativeError(got, want)).toBeLessThan(1e-5);
  });

  it('saves a folder per method that reloads to the same logits and settings', async () => {
    const model = await loadFixtureModel('llama');
    const s = settings();
    applyMethod(model, s, 0);
    await copyWeights(model, path.join(casesDir, name, 'weights.safetensors'));
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-combined-')), 'adapter');
    await saveAdapter(model, dir, s, { baseModelNameOrPath: 'llama', config: model.config() });
    const root = JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    expect(root).toMatchObject({ peft_type: 'PEFT_NATIVE_COMBINED', parts: folders, task_type: 'CAUSAL_LM' });
    for (const f of folders) expect(existsSync(path.join(dir, f, 'adapter_model.safetensors')), f).toBe(true);
    const again = await loadFixtureModel('llama');
    const loaded = await loadAdapter(again, dir);
    expect(loaded.method).toBe(method);
    expect(describeMethod(loaded)).toBe(describeMethod(s));
    expect(Array.from(await logits(again))).toEqual(Array.from(await logits(model)));
    // Saved again into the same folder (a run folder saved at an interruption, then at the end of the resumed
    // run): each part's folder is replaced whole, beside files that are not the adapter's.
    writeFileSync(path.join(dir, 'metrics.jsonl'), '{}\n');
    await saveAdapter(model, dir, s, { baseModelNameOrPath: 'llama', config: model.config() });
    expect(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe('{}\n');
    const third = await loadFixtureModel('llama');
    await loadAdapter(third, dir);
    expect(Array.from(await logits(third))).toEqual(Array.from(await logits(model)));
    // The LoRA part is an HF PEFT LoRA folder of its own.
    const loraOnly = await loadFixtureModel('llama');
    expect((await loadAdapter(loraOnly, path.join(dir, 'lora'))).method).toBe('lora');
  });
});

it('trains every part: one backward gives each method gradients', async () => {
  const model = await loadFixtureModel('llama');
  applyMethod(model, resolveMethodSettings('lora+adapter', { ...LORA, adapterSize: 8 }, TARGETS), 0);
  await copyWeights(model, path.join(casesDir, 'lora-adapter', 'weights.safetensors'));
  await model.backward(await fixtureBatch(batchFile));
  for (const n of ['model.layers.0.self_attn.q_proj.lora_A.weight', 'model.layers.1.mlp_adapter.up_proj.weight']) {
    expect(model.gradient(n)!.some((v) => v !== 0), n).toBe(true);
  }
  expect(model.gradient('model.layers.0.self_attn.q_proj.weight')).toBeNull();
});

describe('combinations that cannot coexist', () => {
  const fail = (method: string) => {
    try {
      resolveTrainOptions({ method: method as TrainMethod, out: path.join(os.tmpdir(), 'pn-never-written') });
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`${method} was accepted`);
  };

  it.each([
    ['lora+ia3', /LoRA and IA3 cannot be combined: both live in the model's linear layers/],
    ['lora+dora', /LoRA and DoRA cannot be combined: both live in the model's linear layers/],
    ['prompt+prefix', /prompt tuning and prefix tuning cannot be combined: both live in the model's virtual tokens/i],
    ['lora+full', /full finetuning trains every weight and combines with no other method/],
    ['lora+lora', /LoRA is listed twice/],
    ['lora+nope', /--method lora\+nope: unknown method "nope"/],
  ])('--method %s is refused in one line', (method, message) => {
    const text = fail(method);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('names one combination one way, and refuses what its parts do not take', () => {
    expect(canonicalMethod('adapter+lora')).toBe('lora+adapter');
    expect(resolveTrainOptions({ method: 'adapter+lora' as TrainMethod, out: path.join(os.tmpdir(), 'pn-never-written') }).method).toBe('lora+adapter');
    expect(() => resolveTrainOptions({ method: 'lora+adapter', virtualTokens: 4, out: path.join(os.tmpdir(), 'pn-never-written') })).toThrow(/--virtual-tokens applies only to/);
    expect(() => resolveTrainOptions({ method: 'lora+prompt', packing: true, out: path.join(os.tmpdir(), 'pn-never-written') })).toThrow(/--packing cannot be used with --method lora\+prompt/);
  });

  it('the native host refuses overlapping parts whatever the caller', async () => {
    const model = await loadFixtureModel('llama');
    model.applyIa3({ targetModules: ['v_proj'], feedforwardModules: [] });
    expect(() => model.applyLora({ r: 4, alpha: 4, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, init: 'kaiming', seed: 0 })).toThrow(/LoRA cannot adapt model\.layers\.0\.self_attn\.v_proj: ia3 already adapts it/);
    expect(() => model.applyIa3({ targetModules: ['k_proj'], feedforwardModules: [] })).toThrow(/ia3: it is already applied/);
    model.applyPromptTuning({ virtualTokens: 2, init: 'random', seed: 0 });
    expect(() => model.applyPrefixTuning({ virtualTokens: 2, projection: false, encoderHiddenSize: 0, seed: 0 })).toThrow(/cannot apply prefix tuning with ia3\+prompt: both prepend virtual tokens/);
    expect(() => model.enableFullFinetuning()).toThrow(/full finetuning trains every weight and combines with no other method/);
    expect(model.peftMethod()).toBe('ia3+prompt');
  });

  it('a combined folder that lists methods which cannot coexist names the file and field', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pn-combined-bad-'));
    writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'PEFT_NATIVE_COMBINED', parts: ['lora', 'ia3'] }));
    await expect(loadAdapter(await loadFixtureModel('llama'), dir)).rejects.toThrow(/adapter_config\.json: "parts": --method lora\+ia3: LoRA and IA3 cannot be combined/);
    writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'PEFT_NATIVE_COMBINED', parts: 'lora' }));
    await expect(loadAdapter(await loadFixtureModel('llama'), dir)).rejects.toThrow(/"parts" must list the combined methods/);
    writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'PEFT_NATIVE_COMBINED', parts: ['lora', 'adapter'] }));
    await expect(loadAdapter(await loadFixtureModel('llama'), dir)).rejects.toThrow(/lora is not an adapter folder|lora does not exist/);
  });
});

describe('a combined run', () => {
  const sink = { write: () => true, isTTY: false };
  const base = { method: 'lora+adapter' as TrainMethod, rank: 4, adapterSize: 8, lr: 1e-2, steps: 6, batchSize: 4, saveSteps: 3, threads: 2, warmupRatio: 0, seed: 5, stdout: sink };
  const outDir = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-combined-run-')), 'run');

  it('resumes after a crash with the losses of the uninterrupted run', async () => {
    const uninterrupted = await train({ ...base, out: outDir() });
    const out = outDir();
    await expect(train({ ...base, out, onStep: (m) => { if (m.step === 5) throw new Error('simulated crash'); } })).rejects.toThrow('simulated crash');
    const resumed = await train({ resume: out, stdout: sink });
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.losses).toEqual(uninterrupted.losses);
    expect(JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8')).options.methodSettings.parts.map((p: { method: string }) => p.method)).toEqual(['lora', 'adapter']);

    // `eval --run` loads the combined folder; the built-in data gave every task to training, so the test split
    // is a clear usage error and the memorization split evaluates.
    const evalOut = () => mkdtempSync(path.join(os.tmpdir(), 'pn-combined-eval-'));
    await expect(runEvaluation({ run: out, quiet: true, out: evalOut() })).rejects.toThrow(/no tasks to evaluate in builtin \(test\): the run recorded no test tasks/);
    const evaluated = await runEvaluation({ run: out, split: 'memorization', maxInstances: 1, maxNewTokens: 2, threads: 2, quiet: true, out: evalOut() });
    expect(evaluated.instances).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(evaluated.files!.metrics, 'utf8')).adapter).toBe(path.resolve(out));
  }, 120_000);

  it('merge refuses it in one line: the bottleneck adapters do not fold into the weights', async () => {
    const model = await loadFixtureModel('llama');
    const s = resolveMethodSettings('lora+adapter', { ...LORA, adapterSize: 8 }, TARGETS);
    applyMethod(model, s, 0);
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-combined-merge-')), 'adapter');
    await saveAdapter(model, dir, s, { baseModelNameOrPath: 'llama', config: model.config() });
    const out = path.join(path.dirname(dir), 'merged');
    await expect(mergeAdapter({ model: path.join(fixturesDir, 'llama'), adapter: dir, out })).rejects.toThrow(/holds a LoRA .* \+ bottleneck adapter .*adapter; only lora, dora, ia3 adapters can be merged/);
    expect(existsSync(out)).toBe(false);
  });
});
