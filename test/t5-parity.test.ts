// T5 encoder-decoder parity with Hugging Face transformers + peft on the committed random fixtures
// (scripts/fixtures/make_t5_fixtures.py): logits, loss and every parameter's gradient of T5 v1.1 (gated-GELU,
// own lm_head) and original T5 (ReLU, tied lm_head with the output rescale, heads * d_kv != d_model,
// fewer decoder than encoder blocks), on a batch with a padded source and -100 target padding; LoRA and IA3
// as PEFT places them on T5 (q, v; k, v, wo), PEFT's prompt and prefix tuning; bottleneck adapters and BitFit
// against their torch definitions;
// greedy generation against transformers' generate.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native, type NativeModel } from '../src/native/binding.js';
import { parseModelConfig } from '../src/models/config.js';
import { resolveCheckpoint } from '../src/models/checkpoint.js';
import { loadAdapter } from '../src/peft/methods.js';
import { loadModelWeights } from '../src/models/load.js';
import { fixtureBatch, fixturesDir, loadFixtureModel, maxRelativeError, nativeNameOfPeftKey, readExpected } from './helpers/fixtures.js';

const VARIANTS = ['t5-v1_1', 't5-original'];

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

async function expectLossAndLogits(model: NativeModel, baseExpected: string, expectedFile: string): Promise<void> {
  const batch = await fixtureBatch(baseExpected);
  const out = await model.forward(batch, { returnLogits: true });
  expect(maxRelativeError(out.logits!, (await readExpected(expectedFile, 'logits')).data)).toBeLessThan(1e-4);
  const loss = (await readExpected(expectedFile, 'loss')).data[0]!;
  expect(out.targetTokens).toBe((await readExpected(expectedFile, 'target_tokens')).data[0]);
  expect(Math.abs(out.lossSum / out.targetTokens - loss) / loss).toBeLessThan(1e-5);
}

/** Compares the gradients the file holds (those `include` admits); returns how many it compared. */
async function expectGradients(model: NativeModel, expectedFile: string, nameOf: (key: string) => string, include = (_name: string) => true): Promise<number> {
  const { tensors } = await native().safetensors.inspect(expectedFile);
  const keys = tensors.map((t) => t.name).filter((n) => n.startsWith('grad.') && include(nameOf(n.slice('grad.'.length))));
  for (const key of keys) {
    const name = nameOf(key.slice('grad.'.length));
    const grad = model.gradient(name);
    expect(grad, name).not.toBeNull();
    expect(maxRelativeError(grad!, (await readExpected(expectedFile, key)).data), name).toBeLessThan(1e-4);
  }
  return keys.length;
}

/**
 * The fixture with dropout off: backward() is a training forward, and the references are transformers'
 * gradients in eval mode (the same computation once dropout is 0).
 */
async function loadWithoutDropout(variant: string): Promise<NativeModel> {
  const dir = path.join(fixturesDir, variant);
  const config = parseModelConfig(await readJson(path.join(dir, 'config.json')));
  if (config.modelType !== 't5') throw new Error(`${variant} is not a T5 fixture`);
  const model = native().Model.create({ ...config, dropoutRate: 0 }, { seed: 0, initialize: false });
  await model.loadWeights((await resolveCheckpoint(dir)).weightFiles);
  return model;
}

describe.each(VARIANTS)('%s matches transformers', (variant) => {
  const dir = path.join(fixturesDir, variant);
  const expectedFile = path.join(dir, 'expected.safetensors');

  it('reads config.json as transformers does', async () => {
    const raw = await readJson(path.join(dir, 'config.json'));
    const config = parseModelConfig(raw, 'config.json');
    expect(config.modelType).toBe('t5');
    if (config.modelType !== 't5') return;
    const v1 = variant === 't5-v1_1';
    expect(config.gatedActivation).toBe(v1);
    expect(config.denseActivation).toBe(v1 ? 'gelu_new' : 'relu');
    expect(config.tieWordEmbeddings).toBe(!v1);
    expect(config.scaleDecoderOutputs).toBe(!v1);
    expect(config.numDecoderLayers).toBe(raw.num_decoder_layers);
  });

  it('logits, loss and the parameter count', async () => {
    const model = await loadFixtureModel(variant);
    await expectLossAndLogits(model, expectedFile, expectedFile);
    expect(model.parameterCount().total).toBe((await readJson(path.join(dir, 'expected.json'))).total_params);
  });

  it('full finetuning: the gradient of every parameter', async () => {
    const model = await loadWithoutDropout(variant);
    model.enableFullFinetuning();
    const out = await model.backward(await fixtureBatch(expectedFile));
    const loss = (await readExpected(expectedFile, 'loss')).data[0]!;
    expect(Math.abs(out.lossSum / out.targetTokens - loss) / loss).toBeLessThan(1e-5);
    expect(await expectGradients(model, expectedFile, (k) => k)).toBe(model.parameterNames().length);
  });

  it.each([
    ['lora', (m: NativeModel) => m.applyLora({ r: 4, alpha: 8, dropout: 0, targetModules: ['q', 'v'], useRslora: false, init: 'kaiming', seed: 1 })],
    ['ia3', (m: NativeModel) => m.applyIa3({ targetModules: ['k', 'v', 'wo'], feedforwardModules: ['wo'] })],
  ] as const)('%s as PEFT places it: modules, counts, logits, loss, adapter gradients', async (sub, apply) => {
    const adapterDir = path.join(dir, sub);
    const meta = await readJson(path.join(adapterDir, 'expected.json'));
    const model = await loadWithoutDropout(variant);
    const applied = apply(model);
    expect(applied.targetedModules.map((m) => `base_model.model.${m}`).sort()).toEqual([...(meta.wrapped_modules as string[])].sort());
    expect(model.parameterCount()).toEqual({ trainable: meta.trainable_params, total: meta.total_params });
    const adapterFile = path.join(adapterDir, 'adapter_model.safetensors');
    const { tensors } = await native().safetensors.inspect(adapterFile);
    for (const t of tensors) model.setParameter(nativeNameOfPeftKey(t.name), (await readExpected(adapterFile, t.name)).data);
    const adapterExpected = path.join(adapterDir, 'expected.safetensors');
    await expectLossAndLogits(model, expectedFile, adapterExpected);
    await model.backward(await fixtureBatch(expectedFile));
    expect(await expectGradients(model, adapterExpected, nativeNameOfPeftKey)).toBe(tensors.length);
    expect(model.gradient('encoder.block.0.layer.0.SelfAttention.q.weight')).toBeNull();
  });
});

describe.each(VARIANTS)('%s with PEFT prompt tuning', (variant) => {
  it('the adapter PEFT saved loads with its table of two submodules: counts, logits, loss, gradient', async () => {
    const dir = path.join(fixturesDir, variant);
    const meta = await readJson(path.join(dir, 'prompt', 'expected.json'));
    const model = await loadWithoutDropout(variant);
    const settings = await loadAdapter(model, path.join(dir, 'prompt'));
    expect(settings).toEqual({ method: 'prompt', prompt: { virtualTokens: 3, init: 'random' } });
    expect(model.parameterCount()).toEqual({ trainable: meta.trainable_params, total: meta.total_params });
    const expectedFile = path.join(dir, 'prompt', 'expected.safetensors');
    await expectLossAndLogits(model, path.join(dir, 'expected.safetensors'), expectedFile);
    await model.backward(await fixtureBatch(path.join(dir, 'expected.safetensors')));
    expect(await expectGradients(model, expectedFile, (k) => k)).toBe(1);
  });
});

describe('t5-v1_1 with PEFT prefix tuning (keys and values before the decoder\'s own in its self-attention)', () => {
  const dir = path.join(fixturesDir, 't5-v1_1');
  it('applied here with PEFT\'s table: counts, logits, loss, the table\'s gradient', async () => {
    const meta = await readJson(path.join(dir, 'prefix', 'expected.json'));
    const model = await loadWithoutDropout('t5-v1_1');
    model.applyPrefixTuning({ virtualTokens: 3, projection: false, encoderHiddenSize: 0, seed: 0 });
    expect(model.parameterCount()).toEqual({ trainable: meta.trainable_params, total: meta.total_params });
    const table = path.join(dir, 'prefix', 'adapter_model.safetensors');
    model.setParameter('prompt_encoder.embedding.weight', (await readExpected(table, 'prompt_embeddings')).data);
    const expectedFile = path.join(dir, 'prefix', 'expected.safetensors');
    await expectLossAndLogits(model, path.join(dir, 'expected.safetensors'), expectedFile);
    await model.backward(await fixtureBatch(path.join(dir, 'expected.safetensors')));
    expect(await expectGradients(model, expectedFile, (k) => k)).toBe(1);
  });

  it('with the reparameterization MLP: the saved table loads with PEFT\'s logits and loss', async () => {
    const model = await loadWithoutDropout('t5-v1_1');
    await loadAdapter(model, path.join(dir, 'prefix-projection'));
    await expectLossAndLogits(model, path.join(dir, 'expected.safetensors'), path.join(dir, 'prefix-projection', 'expected.safetensors'));
  });
});

describe.each(VARIANTS)('%s with the methods PEFT does not have, against their definitions in torch on transformers', (variant) => {
  const dir = path.join(fixturesDir, variant);
  it.each([
    ['bottleneck', (m: NativeModel) => m.applyAdapters({ placement: 'houlsby', size: 6, activation: 'silu', init: 'normal', seed: 0 })],
    ['bitfit', (m: NativeModel) => m.applyBitfit({ init: 'zeros', seed: 0 })],
  ] as const)('%s: placement, logits, loss and the gradient of every added parameter', async (sub, apply) => {
    const model = await loadWithoutDropout(variant);
    apply(model);
    const weightsFile = path.join(dir, sub, 'weights.safetensors');
    const { tensors } = await native().safetensors.inspect(weightsFile);
    // Exactly the reference's parameters: adapters after self-attention and FFN of every block (none after
    // cross-attention); a bias on every linear of the blocks.
    expect(model.parameterNames({ trainableOnly: true }).sort()).toEqual(tensors.map((t) => t.name).sort());
    for (const t of tensors) model.setParameter(t.name, (await readExpected(weightsFile, t.name)).data);
    const expectedFile = path.join(dir, sub, 'expected.safetensors');
    await expectLossAndLogits(model, path.join(dir, 'expected.safetensors'), expectedFile);
    await model.backward(await fixtureBatch(path.join(dir, 'expected.safetensors')));
    // A key bias adds q·b to every score of a row, which softmax ignores: its gradient is zero up to rounding
    // in both implementations, so it is checked against the scale of the others instead of element-wise.
    const isKeyBias = (name: string) => name.endsWith('.k.bias');
    const checked = await expectGradients(model, expectedFile, (k) => k, (name) => !isKeyBias(name));
    const scale = Math.max(...tensors.filter((t) => !isKeyBias(t.name)).map((t) => Math.max(...Array.from(model.gradient(t.name)!, Math.abs))));
    for (const t of tensors.filter((t) => isKeyBias(t.name))) {
      expect(Math.max(...Array.from(model.gradient(t.name)!, Math.abs)), t.name).toBeLessThan(1e-5 * scale);
    }
    expect(checked + tensors.filter((t) => isKeyBias(t.name)).length).toBe(tensors.length);
  });
});

describe('T5 greedy generation matches transformers generate(do_sample=False)', () => {
  const dir = path.join(fixturesDir, 't5-v1_1');

  async function generateFixture(model: NativeModel, sourcePadding: 'right' | 'left') {
    const reference = await readJson(path.join(dir, 'generate.json'));
    const batch = await fixtureBatch(path.join(dir, 'expected.safetensors'));
    let { inputIds, attentionMask } = batch as { inputIds: Int32Array; attentionMask: Int32Array };
    if (sourcePadding === 'left') {
      // The same sources, padded on the left: an encoder-decoder's result must not depend on the side.
      const rows = Array.from({ length: batch.batchSize }, (_, b) => {
        const ids = Array.from(inputIds.subarray(b * batch.seqLen, (b + 1) * batch.seqLen));
        const real = Array.from(attentionMask.subarray(b * batch.seqLen, (b + 1) * batch.seqLen)).filter((m) => m === 1).length;
        return { ids: ids.slice(0, real), pad: batch.seqLen - real };
      });
      inputIds = Int32Array.from(rows.flatMap((r) => [...new Array<number>(r.pad).fill(0), ...r.ids]));
      attentionMask = Int32Array.from(rows.flatMap((r) => [...new Array<number>(r.pad).fill(0), ...new Array<number>(r.ids.length).fill(1)]));
    }
    const out = await native().generate(
      model,
      { inputIds, attentionMask, batchSize: batch.batchSize, seqLen: batch.seqLen },
      { maxNewTokens: reference.max_new_tokens as number, eosTokenIds: [reference.eos_token_id as number], padTokenId: 0 },
    );
    const rows = Array.from({ length: out.batchSize }, (_, b) => Array.from(out.tokens.subarray(b * out.maxNewTokens, b * out.maxNewTokens + out.lengths[b]!)));
    return { rows, reference };
  }

  it.each(['right', 'left'] as const)('the base model, sources padded on the %s; one row stops at EOS, one runs to the limit', async (side) => {
    const { rows, reference } = await generateFixture(await loadFixtureModel('t5-v1_1'), side);
    expect(rows).toEqual(reference.base);
  });

  it.each(['lora', 'prefix'])('with the PEFT %s adapter loaded', async (adapter) => {
    const model = await loadFixtureModel('t5-v1_1');
    await loadAdapter(model, path.join(dir, adapter));
    const { rows, reference } = await generateFixture(model, 'right');
    expect(rows).toEqual(reference[adapter]);
  });
});

describe('t5-v1_1 as transformers 5 re-saves it (bfloat16, three shards, tie_word_embeddings: true with its own lm_head)', () => {
  it('loads with the head untied, as transformers does, and gives its logits and loss', async () => {
    const dir = path.join(fixturesDir, 't5-v1_1-bf16-sharded');
    const raw = await readJson(path.join(dir, 'config.json'));
    expect(raw.tie_word_embeddings).toBe(true);
    expect((await resolveCheckpoint(dir)).weightFiles).toHaveLength(3);
    const { model, config } = await loadModelWeights(dir);
    expect(config).toMatchObject({ modelType: 't5', tieWordEmbeddings: false, scaleDecoderOutputs: false });
    expect(model.parameterNames()).toContain('lm_head.weight');
    const expectedFile = path.join(dir, 'expected.safetensors');
    await expectLossAndLogits(model, expectedFile, expectedFile);
    expect(model.parameterCount().total).toBe((await readJson(path.join(dir, 'expected.json'))).total_params);
  });
});

describe('T5 inputs', () => {
  it('dropout acts in training forwards only (backward), at the config rate', async () => {
    const expectedFile = path.join(fixturesDir, 't5-v1_1', 'expected.safetensors');
    const batch = await fixtureBatch(expectedFile);
    const withDropout = await loadFixtureModel('t5-v1_1');
    withDropout.enableFullFinetuning();
    const evalLoss = (await withDropout.forward(batch)).lossSum;
    const trainLosses = [(await withDropout.backward(batch)).lossSum, (await withDropout.backward(batch)).lossSum];
    expect(trainLosses[0]).not.toBe(evalLoss);
    expect(trainLosses[1]).not.toBe(trainLosses[0]); // a new mask each forward
    const noDropout = await loadWithoutDropout('t5-v1_1');
    noDropout.enableFullFinetuning();
    expect((await noDropout.backward(batch)).lossSum).toBeCloseTo(evalLoss, 4);
  });

  it('refuses a batch without labels, packed batches and out-of-vocabulary ids, and still works after', async () => {
    const model = await loadFixtureModel('t5-original');
    const inputIds = new Int32Array([5, 6, 7]);
    await expect(model.forward({ inputIds, batchSize: 1, seqLen: 3 })).rejects.toThrow(/needs labels/);
    await expect(
      model.forward({ inputIds, labels: new Int32Array([1, 2]), labelLen: 2, positionIds: new Int32Array([0, 1, 0]), sequenceIds: new Int32Array([1, 1, 2]), batchSize: 1, seqLen: 3 }),
    ).rejects.toThrow(/packed batches/);
    await expect(model.forward({ inputIds, labels: new Int32Array([1, 999]), labelLen: 2, batchSize: 1, seqLen: 3 })).rejects.toThrow(/labels must be -100 or token ids/);
    await expect(model.forward({ inputIds: new Int32Array([5, 320, 7]), labels: new Int32Array([1]), labelLen: 1, batchSize: 1, seqLen: 3 })).rejects.toThrow(/outside the vocabulary/);
    const ok = await model.forward({ inputIds, labels: new Int32Array([8, 1]), labelLen: 2, batchSize: 1, seqLen: 3 }, { returnLogits: true });
    expect(ok.targetTokens).toBe(2);
    expect(ok.logits!.length).toBe(2 * model.config().vocabSize);
  });

  it('gradient checkpointing says it is not available yet', async () => {
    const model = await loadFixtureModel('t5-original');
    expect(() => model.setGradientCheckpointing(true)).toThrow(/gradient checkpointing is not supported for T5/);
  });
});
