// Models and trainers release their native memory on dispose() and tell V8 what host memory they hold, so the
// garbage collector weighs a multi-GB model by its size (the total V8 has been told of is read back through
// napi_adjust_external_memory). The expected sizes are computed here from the parameter counts: 4 bytes per float32
// parameter, and AdamW's two moments per trainable parameter.
// Without a built addon: skipped with the reason (a failure under CI).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { NativeBatch, NativeModelConfig } from '../src/native/binding.js';
import { addonBuilt } from './helpers/addon.js';

const root = path.resolve(import.meta.dirname, '..');
const built = addonBuilt(import.meta.filename);

async function fixtureConfig(variant: string): Promise<NativeModelConfig> {
  const { readModelConfig } = await import('../src/models/config.js');
  return (await readModelConfig(path.join(root, 'test/fixtures/models', variant, 'config.json'))).config;
}

function batch(vocab: number): NativeBatch {
  const inputIds = Int32Array.from({ length: 2 * 16 }, (_, i) => 1 + ((i * 7) % (vocab - 1)));
  return { inputIds, labels: inputIds, batchSize: 2, seqLen: 16 };
}

describe.skipIf(!built)('dispose and native memory reported to V8', () => {
  it('a model reports its parameters, grows with a method, and gives everything back on dispose', async () => {
    const { native } = await import('../src/native/binding.js');
    const external = () => native().testing.externalMemory();
    const config = { ...(await fixtureConfig('llama')), hiddenSize: 256, intermediateSize: 1024, numHiddenLayers: 4 };
    const before = external();
    const model = native().Model.create(config, { seed: 1 });
    const baseBytes = 4 * model.parameterCount().total;
    expect(baseBytes).toBeGreaterThan(8e6);
    // Only these handles report here; the slack covers rounding, not other allocations.
    const slack = 0.001 * baseBytes;
    expect(Math.abs(external() - before - baseBytes)).toBeLessThan(slack);

    native().manualSeed(1);
    model.applyLora({ r: 64, alpha: 64, targetModules: ['q_proj', 'v_proj'], seed: 1 });
    const loraBytes = 4 * model.parameterCount().trainable;
    expect(loraBytes).toBeGreaterThan(20 * slack);
    expect(Math.abs(external() - before - baseBytes - loraBytes)).toBeLessThan(slack);

    const trainer = new (native().Trainer)(model, {});
    const withModel = external();
    await trainer.step(batch(config.vocabSize), 1e-3);
    // AdamW's state appears at the first step: two moments per trainable parameter. The step is awaited, and other
    // buffers of the test process (tens of KB) come and go meanwhile, so this bound is wider; the exact amount is
    // checked around the synchronous dispose below.
    expect(Math.abs(external() - withModel - 2 * loraBytes)).toBeLessThan(0.1 * loraBytes);

    // Each dispose gives back what its handle reported, measured around the (synchronous) call: other buffers
    // of the test process come and go across awaits.
    const beforeTrainerDispose = external();
    trainer.dispose();
    expect(Math.abs(beforeTrainerDispose - external() - 2 * loraBytes)).toBeLessThan(slack);
    await expect(trainer.step(batch(config.vocabSize), 1e-3)).rejects.toThrow(/the trainer was disposed/);
    const beforeModelDispose = external();
    model.dispose();
    expect(Math.abs(beforeModelDispose - external() - baseBytes - loraBytes)).toBeLessThan(slack);
    await expect(model.forward(batch(config.vocabSize))).rejects.toThrow(/the model was disposed/);
    expect(() => model.parameterCount()).toThrow(/the model was disposed/);
  });

  it('a trainer keeps its model usable after the model handle is disposed', async () => {
    const { native } = await import('../src/native/binding.js');
    const config = await fixtureConfig('llama');
    const model = native().Model.create(config, { seed: 2 });
    model.enableFullFinetuning();
    const trainer = new (native().Trainer)(model, {});
    model.dispose();
    const r = await trainer.step(batch(config.vocabSize), 1e-3);
    expect(Number.isFinite(r.loss)).toBe(true);
    trainer.dispose();
  });
});
