// Parity with Hugging Face transformers + peft on the committed random-weight fixtures:
// logits, loss, full-finetuning gradients and LoRA gradients.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native/binding.js';
import {
  fixtureBatch,
  fixturesDir,
  loadFixtureModel,
  maxRelativeError,
  nativeNameOfPeftKey,
  readExpected,
} from './helpers/fixtures.js';
import { TEST_DEVICES, skipNote, unavailable } from './helpers/devices.js';

const ARCHITECTURES = ['llama', 'llama3-gqa', 'mistral', 'qwen2', 'qwen3'];
const LOADING_VARIANTS = ['llama-sharded', 'llama-bf16', 'llama-fp16'];

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

// Every HF comparison runs on the CPU and on CUDA (skipped, with the reason, where there is none).
const DEVICE_CASES = TEST_DEVICES.map((device) => ({ device, note: skipNote(device), skip: unavailable(device) }));

describe.each([...ARCHITECTURES, ...LOADING_VARIANTS])('%s matches transformers', (variant) => {
  const dir = path.join(fixturesDir, variant);
  const expectedFile = path.join(dir, 'expected.safetensors');

  it.for(DEVICE_CASES)('logits and loss on $device$note', async ({ device, skip }, ctx) => {
    if (skip) return ctx.skip();
    const model = await loadFixtureModel(variant, device);
    const batch = await fixtureBatch(expectedFile);
    const out = await model.forward(batch, { returnLogits: true });
    const logits = await readExpected(expectedFile, 'logits');
    expect(maxRelativeError(out.logits!, logits.data)).toBeLessThan(1e-4);
    const loss = (await readExpected(expectedFile, 'loss')).data[0]!;
    const tokens = (await readExpected(expectedFile, 'target_tokens')).data[0]!;
    expect(out.targetTokens).toBe(tokens);
    expect(Math.abs(out.lossSum / out.targetTokens - loss) / loss).toBeLessThan(1e-5);
    const meta = await readJson(path.join(dir, 'expected.json'));
    expect(model.parameterCount().total).toBe(meta.total_params);
  });
});

describe.each(ARCHITECTURES)('%s full-finetuning gradients match transformers', (variant) => {
  it.for(DEVICE_CASES)('every parameter on $device$note', async ({ device, skip }, ctx) => {
    if (skip) return ctx.skip();
    const dir = path.join(fixturesDir, variant);
    const expectedFile = path.join(dir, 'expected.safetensors');
    const model = await loadFixtureModel(variant, device);
    model.enableFullFinetuning();
    const out = await model.backward(await fixtureBatch(expectedFile));
    const loss = (await readExpected(expectedFile, 'loss')).data[0]!;
    expect(Math.abs(out.lossSum / out.targetTokens - loss) / loss).toBeLessThan(1e-5);
    const { tensors } = await native().safetensors.inspect(expectedFile);
    const gradKeys = tensors.map((t) => t.name).filter((n) => n.startsWith('grad.'));
    expect(gradKeys.length).toBe(model.parameterNames().length);
    for (const key of gradKeys) {
      const name = key.slice('grad.'.length);
      const grad = model.gradient(name);
      expect(grad, name).not.toBeNull();
      const expected = await readExpected(expectedFile, key);
      expect(maxRelativeError(grad!, expected.data), name).toBeLessThan(1e-4);
    }
  });
});

interface LoraCase {
  variant: string;
  adapterDir: string;
  options: { r: number; alpha: number; targetModules?: string[]; targetRegex?: string; useRslora: boolean };
}

const LORA_CASES: LoraCase[] = [
  ...ARCHITECTURES.map((variant) => ({
    variant,
    adapterDir: path.join(fixturesDir, variant, 'lora'),
    options: { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'], useRslora: false },
  })),
  {
    variant: 'llama',
    adapterDir: path.join(fixturesDir, 'llama', 'lora-rslora-regex'),
    options: { r: 8, alpha: 16, targetRegex: '.*\\.(k_proj|down_proj)', useRslora: true },
  },
];

describe.each(LORA_CASES)('LoRA on $variant ($adapterDir) matches peft', ({ variant, adapterDir, options }) => {
  it.for(DEVICE_CASES)('trainable count, logits, loss and LoRA gradients on $device$note', async ({ device, skip }, ctx) => {
    if (skip) return ctx.skip();
    const model = await loadFixtureModel(variant, device);
    const applied = model.applyLora({ ...options, dropout: 0, init: 'kaiming', seed: 1 });
    const meta = await readJson(path.join(adapterDir, 'expected.json'));
    expect(applied.targetedModules.map((m) => `base_model.model.${m}`).sort()).toEqual([...(meta.wrapped_modules as string[])].sort());
    expect(model.parameterCount()).toEqual({ trainable: meta.trainable_params, total: meta.total_params });

    // Load PEFT's saved adapter weights into our LoRA parameters.
    const adapterFile = path.join(adapterDir, 'adapter_model.safetensors');
    const { tensors } = await native().safetensors.inspect(adapterFile);
    for (const t of tensors) {
      model.setParameter(nativeNameOfPeftKey(t.name), (await readExpected(adapterFile, t.name)).data);
    }
    const expectedFile = path.join(adapterDir, 'expected.safetensors');
    const batch = await fixtureBatch(path.join(fixturesDir, variant, 'expected.safetensors'));
    const out = await model.forward(batch, { returnLogits: true });
    expect(maxRelativeError(out.logits!, (await readExpected(expectedFile, 'logits')).data)).toBeLessThan(1e-4);

    const back = await model.backward(batch);
    const loss = (await readExpected(expectedFile, 'loss')).data[0]!;
    expect(Math.abs(back.lossSum / back.targetTokens - loss) / loss).toBeLessThan(1e-5);
    for (const t of tensors) {
      const name = nativeNameOfPeftKey(t.name);
      const expected = await readExpected(expectedFile, `grad.${t.name}`);
      expect(maxRelativeError(model.gradient(name)!, expected.data), name).toBeLessThan(1e-4);
    }
    // The frozen base gets no gradient.
    expect(model.gradient('model.layers.0.self_attn.q_proj.weight')).toBeNull();
  });
});

describe('bad token ids', () => {
  it('ids >= vocab size and negative ids are errors, not crashes', async () => {
    const model = await loadFixtureModel('llama');
    const vocab = model.config().vocabSize;
    const ids = new Int32Array([1, 2, vocab]);
    await expect(model.forward({ inputIds: ids, batchSize: 1, seqLen: 3 })).rejects.toThrow(/token id 320 is outside the vocabulary/);
    await expect(model.forward({ inputIds: new Int32Array([1, -5, 2]), batchSize: 1, seqLen: 3 })).rejects.toThrow(
      /token id -5 is outside the vocabulary/,
    );
    await expect(
      model.forward({ inputIds: new Int32Array([1, 2, 3]), labels: new Int32Array([1, 2, 999]), batchSize: 1, seqLen: 3 }),
    ).rejects.toThrow(/labels must be -100 or token ids/);
    await expect(model.forward({ inputIds: new Int32Array([1, 2]), batchSize: 1, seqLen: 3 })).rejects.toThrow(/has 2 elements/);
    // The model still works after the errors.
    const ok = await model.forward({ inputIds: new Int32Array([1, 2, 3]), batchSize: 1, seqLen: 3 }, { returnLogits: true });
    expect(ok.logits!.length).toBe(3 * vocab);
  });
});
