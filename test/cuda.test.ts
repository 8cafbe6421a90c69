// Training on CUDA, checked against the CPU path (itself checked against transformers/peft in parity.test.ts):
// every method's steps, bf16 autocast, gradient checkpointing, packing, the trainer state, saved adapters,
// the allocator counters, and the train/bench CLIs end to end. The HF comparisons of logits, gradients and
// greedy generation run on CUDA in parity.test.ts and generate.test.ts.
// Skipped (with the reason) without a CUDA device. PEFT_NATIVE_TEST_DEVICE=cpu runs this file against the
// CPU instead, which checks the file itself on a machine without a GPU.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NativeBatch, NativeModel, NativeTrainerOptions } from '../src/native/binding.js';
import { addonBuilt } from './helpers/addon.js';
import { runCli } from './helpers/cli.js';

const built = addonBuilt(import.meta.filename);
const device = process.env.PEFT_NATIVE_TEST_DEVICE ?? 'cuda:0';

async function deviceUsable(): Promise<boolean> {
  if (!built) return false;
  const { native } = await import('../src/native/binding.js');
  return device === 'cpu' || native().info().cudaAvailable;
}
const usable = await deviceUsable();
const title = `training on ${device}${usable ? '' : ' (skipped: no CUDA device in this build/machine)'}`;

/** A fixed batch over the fixture vocabulary with padding and unlabelled prompt positions. */
function batch(vocab: number): NativeBatch {
  const rows = 3;
  const seqLen = 24;
  const inputIds = Int32Array.from({ length: rows * seqLen }, (_, k) => 1 + ((k * 7919) % (vocab - 1)));
  const labels = Int32Array.from(inputIds, (x, k) => (k % seqLen < 5 ? -100 : x));
  const attentionMask = Int32Array.from(inputIds, (_, k) => (Math.floor(k / seqLen) === 2 && k % seqLen >= 20 ? 0 : 1));
  for (let k = 0; k < inputIds.length; k++) if (attentionMask[k] === 0) labels[k] = -100;
  return { inputIds, labels, attentionMask, batchSize: rows, seqLen };
}

const LR = 1e-3;
const TRAINER: NativeTrainerOptions = { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1, precision: 'fp32' };

const METHODS: Record<string, (m: NativeModel) => void> = {
  full: (m) => m.enableFullFinetuning(),
  lora: (m) => void m.applyLora({ r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'], useRslora: false, init: 'gaussian', seed: 3 }),
  dora: (m) => void m.applyLora({ r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, useDora: true, init: 'gaussian', seed: 3 }),
  ia3: (m) => void m.applyIa3({ targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] }),
  adapter: (m) => void m.applyAdapters({ placement: 'houlsby', size: 8, activation: 'silu', init: 'normal', seed: 3 }),
  prompt: (m) => m.applyPromptTuning({ virtualTokens: 4, init: 'random', seed: 3 }),
  prefix: (m) => m.applyPrefixTuning({ virtualTokens: 4, projection: true, encoderHiddenSize: 16, seed: 3 }),
  bitfit: (m) => void m.applyBitfit(),
};

describe.skipIf(!usable)(title, async () => {
  const { native } = await import('../src/native/binding.js');
  const { loadFixtureModel, maxRelativeError } = await import('./helpers/fixtures.js');

  /** `steps` optimizer steps of `method` on `where`; the method is applied on the CPU model, then it moves. */
  async function trainSteps(where: string, method: string, steps: number, options: Partial<NativeTrainerOptions> = {}, checkpointing = false) {
    const model = await loadFixtureModel('llama');
    METHODS[method]!(model);
    if (checkpointing) model.setGradientCheckpointing(true);
    await model.moveTo(where);
    expect(model.device()).toBe(where === 'cuda' ? 'cuda:0' : where);
    const trainer = new (native().Trainer)(model, { ...TRAINER, ...options });
    const b = batch(model.config().vocabSize);
    const results = [];
    for (let i = 0; i < steps; i++) results.push(await trainer.step(b, LR));
    const names = model.parameterNames({ trainableOnly: true });
    return { model, trainer, results, params: names.map((n) => ({ name: n, value: model.getParameter(n) })) };
  }

  it.each(Object.keys(METHODS))('%s: three steps equal the CPU path (loss, gradient norm, trained parameters)', async (method) => {
    const cpu = await trainSteps('cpu', method, 3);
    const dev = await trainSteps(device, method, 3);
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(dev.results[i]!.loss - cpu.results[i]!.loss) / cpu.results[i]!.loss, `step ${i} loss`).toBeLessThan(1e-4);
      expect(Math.abs(dev.results[i]!.gradNorm - cpu.results[i]!.gradNorm) / cpu.results[i]!.gradNorm, `step ${i} grad norm`).toBeLessThan(1e-3);
      expect(dev.results[i]!.targetTokens).toBe(cpu.results[i]!.targetTokens);
    }
    expect(dev.params.map((p) => p.name)).toEqual(cpu.params.map((p) => p.name));
    dev.params.forEach((p, k) => expect(maxRelativeError(p.value, cpu.params[k]!.value), p.name).toBeLessThan(1e-3));
    expect(dev.results[2]!.loss).toBeLessThan(dev.results[0]!.loss);
  });

  it('bf16 autocast: close to float32 on the device, and training lowers the loss', async () => {
    const fp32 = await trainSteps(device, 'lora', 3);
    const bf16 = await trainSteps(device, 'lora', 3, { precision: 'bf16' });
    expect(Math.abs(bf16.results[0]!.loss - fp32.results[0]!.loss) / fp32.results[0]!.loss).toBeLessThan(2e-2);
    expect(bf16.results[2]!.loss).toBeLessThan(bf16.results[0]!.loss);
  });

  it('gradient checkpointing gives the same steps as keeping activations', async () => {
    const plain = await trainSteps(device, 'full', 2);
    const recomputed = await trainSteps(device, 'full', 2, {}, true);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(recomputed.results[i]!.loss - plain.results[i]!.loss) / plain.results[i]!.loss).toBeLessThan(1e-5);
      expect(Math.abs(recomputed.results[i]!.gradNorm - plain.results[i]!.gradNorm) / plain.results[i]!.gradNorm).toBeLessThan(1e-4);
    }
  });

  it('a packed batch gives the CPU loss (positions and sequence ids uploaded)', async () => {
    const packed: NativeBatch = {
      inputIds: Int32Array.from([5, 9, 13, 2, 7, 11, 4, 8, 6, 3, 10, 12]),
      labels: Int32Array.from([5, 9, 13, 2, 7, 11, 4, 8, 6, 3, 10, 12]),
      positionIds: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 3, 4]),
      sequenceIds: Int32Array.from([1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
      batchSize: 1,
      seqLen: 12,
    };
    const cpuModel = await loadFixtureModel('llama');
    const devModel = await loadFixtureModel('llama', device);
    const cpu = await cpuModel.forward(packed);
    const dev = await devModel.forward(packed);
    expect(dev.targetTokens).toBe(cpu.targetTokens);
    expect(Math.abs(dev.lossSum - cpu.lossSum) / cpu.lossSum).toBeLessThan(1e-5);
  });

  it('the trainer state saved on the device resumes to the same steps', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cuda-state-'));
    const straight = await trainSteps(device, 'lora', 4);
    const first = await trainSteps(device, 'lora', 2);
    await first.trainer.saveState(path.join(dir, 'state.safetensors'));
    const model = await loadFixtureModel('llama');
    METHODS.lora!(model);
    await model.moveTo(device);
    const trainer = new (native().Trainer)(model, TRAINER);
    await trainer.loadState(path.join(dir, 'state.safetensors'));
    const b = batch(model.config().vocabSize);
    const third = await trainer.step(b, LR);
    const fourth = await trainer.step(b, LR);
    expect(third.loss).toBeCloseTo(straight.results[2]!.loss, 5);
    expect(fourth.loss).toBeCloseTo(straight.results[3]!.loss, 5);
  });

  it('parameters saved from the device read back as they are', async () => {
    const { model } = await trainSteps(device, 'lora', 1);
    const name = 'model.layers.0.self_attn.q_proj.lora_B.weight';
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cuda-save-')), 'adapter.safetensors');
    await model.saveParameters(file, [[name, name]]);
    const saved = await native().safetensors.readTensor(file, name);
    expect(Array.from(saved.data)).toEqual(Array.from(model.getParameter(name)));
    expect(saved.data.some((x) => x !== 0)).toBe(true);
  });

  it.skipIf(device === 'cpu')(`the CUDA allocator counts the weights, and its peak resets${device === 'cpu' ? ' (skipped: the CPU has no allocator counters)' : ''}`, async () => {
    const model = await loadFixtureModel('llama', device);
    const weightsBytes = 4 * model.parameterCount().total;
    const m = native().cudaMemory(device);
    expect(m.allocatedBytes).toBeGreaterThanOrEqual(weightsBytes);
    expect(m.reservedBytes).toBeGreaterThanOrEqual(m.allocatedBytes);
    expect(m.peakAllocatedBytes).toBeGreaterThanOrEqual(m.allocatedBytes);
    native().resetCudaPeakMemory(device);
    expect(native().cudaMemory(device).peakAllocatedBytes).toBe(native().cudaMemory(device).allocatedBytes);
  });

  it('peft-native train --device trains the built-in model there and records it', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'cuda-train-')), 'run');
    const r = runCli(['train', '--device', device, '--model', 'builtin:tiny', '--steps', '4', '--batch-size', '4', '--out', out, '--no-tensorboard'], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8')) as { device: string };
    expect(config.device).toBe(device === 'cuda' ? 'cuda:0' : device);
    const losses = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number }).filter((m) => m.loss !== undefined);
    expect(losses.length).toBeGreaterThan(0);
    expect(losses.every((m) => Number.isFinite(m.loss))).toBe(true);
  });

  it('peft-native bench --device reports the device memory of each method', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'cuda-bench-')), 'bench');
    const r = runCli(['bench', '--device', device, '--model', 'tiny', '--methods', 'full,lora:r=8', '--steps', '2', '--warmup', '1', '--batch-size', '2', '--seq-len', '32', '--out', out], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8')) as {
      device: string;
      results: Array<{ label: string; peakCudaAllocatedBytes: number | null; trainableParameters: number; tokensPerSec: number }>;
    };
    expect(report.device).toBe(device === 'cuda' ? 'cuda:0' : device);
    for (const res of report.results) {
      expect(res.tokensPerSec).toBeGreaterThan(0);
      if (device === 'cpu') expect(res.peakCudaAllocatedBytes).toBeNull();
      else expect(res.peakCudaAllocatedBytes).toBeGreaterThan(0);
    }
    if (device !== 'cpu') {
      const [full, lora] = report.results;
      // Full finetuning keeps AdamW moments and gradients for every weight; LoRA for a few.
      expect(lora!.peakCudaAllocatedBytes!).toBeLessThan(full!.peakCudaAllocatedBytes!);
    }
  });
});
