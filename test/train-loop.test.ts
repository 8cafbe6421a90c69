// train() end to end over the built-in data with a stand-in for the native addon: what the loop sends to the
// Trainer (batches, learning rates, normalizers, no-decay list) and what it writes to the run folder.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NativeBatch, NativeModelConfig, NativeTrainerOptions } from '../src/native/binding.js';

interface Recorded {
  config?: NativeModelConfig;
  seed?: number;
  device?: string;
  lora?: unknown;
  full: boolean;
  trainerOptions?: NativeTrainerOptions;
  steps: Array<{ lr: number; batchSize: number; seqLen: number; ids: number; hash: number }>;
  /** Batches per step call (gradient accumulation groups). */
  groups: number[];
  saved: Array<{ file: string; entries: Array<[string, string]> }>;
  losses: number[];
  precision?: { compute: string; base?: string };
}

const rec: Recorded = { full: false, steps: [], groups: [], saved: [], losses: [] };
let lossAt: (i: number) => number = (i) => 5 / (1 + i / 10);

vi.mock('../src/native/binding.js', () => {
  const baseNames = ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.input_layernorm.weight', 'model.norm.weight'];
  const loraNames = ['model.layers.0.self_attn.q_proj.lora_A.weight', 'model.layers.0.self_attn.q_proj.lora_B.weight'];
  class FakeModel {
    private lora = false;
    private full = false;
    constructor(private readonly cfg: NativeModelConfig) {}
    config() {
      return this.cfg;
    }
    async loadWeights() {}
    async moveTo(device: string) {
      rec.device = device;
    }
    applyLora(o: unknown) {
      rec.lora = o;
      this.lora = true;
      return { targetedModules: ['model.layers.0.self_attn.q_proj'] };
    }
    enableFullFinetuning() {
      rec.full = true;
      this.full = true;
    }
    setPrecision(o: { compute: string; base?: string }) {
      rec.precision = o;
    }
    parameterCount() {
      return { total: 1000, trainable: this.lora ? 10 : this.full ? 1000 : 0 };
    }
    parameterNames(o?: { trainableOnly?: boolean }) {
      if (o?.trainableOnly) return this.lora ? loraNames : this.full ? baseNames : [];
      return this.lora ? [...baseNames, ...loraNames] : baseNames;
    }
    async saveParameters(file: string, entries: Array<[string, string]>) {
      rec.saved.push({ file, entries });
      await writeFile(file, 'fake safetensors');
    }
  }
  class FakeTrainer {
    private n = 0;
    constructor(_m: unknown, o: NativeTrainerOptions) {
      rec.trainerOptions = o;
    }
    private result(lr: number, group: NativeBatch[], tokens: number) {
      const loss = lossAt(this.n++);
      rec.losses.push(loss);
      const hash = group.flatMap((b) => [...b.inputIds]).reduce((h, x, i) => (h * 31 + x * (i + 1)) % 1000003, 7);
      rec.steps.push({ lr, batchSize: group[0]!.batchSize, seqLen: group[0]!.seqLen, ids: group.reduce((n, b) => n + b.inputIds.length, 0), hash });
      return { loss, targetTokens: tokens, gradNorm: 1.5 };
    }
    async step(batches: NativeBatch | NativeBatch[], lr: number) {
      const group = Array.isArray(batches) ? batches : [batches];
      rec.groups.push(group.length);
      let t = 0;
      for (const b of group) for (let i = 1; i < b.labels!.length; i++) if (b.labels![i] !== -100 && i % b.seqLen !== 0) t++;
      return this.result(lr, group, t);
    }
    async saveState(file: string) {
      await writeFile(file, JSON.stringify({ n: this.n }));
    }
    async loadState(files: string | string[]) {
      const file = Array.isArray(files) ? files[0]! : files;
      this.n = (JSON.parse(await readFile(file, 'utf8')) as { n: number }).n;
    }
  }
  const addon = {
    info: () => ({ torchVersion: 'fake', cudaAvailable: false, cudaDeviceCount: 0, cudaDevices: [], threads: 1, collectives: 'gloo' }),
    setNumThreads: () => {},
    manualSeed: () => {},
    checkDevice: (d: string) => {
      if (d !== 'cpu') throw new Error(`device '${d}': CUDA is not available`);
      return 'cpu';
    },
    Model: {
      create: (config: NativeModelConfig, o: { seed: number }) => {
        rec.config = config;
        rec.seed = o.seed;
        return new FakeModel(config);
      },
    },
    Trainer: FakeTrainer,
  };
  return { native: () => addon };
});

const { train } = await import('../src/train/loop.js');
const { readMetrics } = await import('../src/train/metrics.js');

function outDir(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'loop-')), 'run');
}

const sink = { write: () => true, isTTY: false };

beforeEach(() => {
  rec.full = false;
  rec.steps = [];
  rec.groups = [];
  rec.saved = [];
  rec.losses = [];
  rec.lora = undefined;
  lossAt = (i) => 5 / (1 + i / 10);
});

describe('train() with a stand-in addon', () => {
  it('trains LoRA on the built-in model and data and writes the run folder', async () => {
    const out = outDir();
    const lines: string[] = [];
    const result = await train({ out, steps: 12, batchSize: 4, seed: 7, stdout: { write: (s: string) => lines.push(s), isTTY: false } });

    expect(rec.config?.hiddenSize).toBe(256);
    expect(rec.seed).toBe(7);
    expect(rec.device).toBe('cpu'); // auto without CUDA
    expect(rec.lora).toMatchObject({ r: 16, alpha: 32, seed: 7 });
    expect(rec.trainerOptions).toMatchObject({ weightDecay: 0.01, maxGradNorm: 1, beta1: 0.9, beta2: 0.999 });
    expect(rec.trainerOptions?.noDecay).toEqual([]); // LoRA A/B decay
    expect(rec.precision).toEqual({ compute: 'fp32', base: 'fp32' }); // set on the model after the method
    expect(rec.steps).toHaveLength(12);
    expect(rec.steps.every((s) => s.batchSize === 4 && s.ids === 4 * s.seqLen)).toBe(true);

    // linear schedule with ceil(0.03 * 12) = 1 warmup step: lr(s) = base * (12 - s) / 11 after step 0
    const base = result.options.lr;
    expect(rec.steps[0]!.lr).toBe(0);
    for (let s = 1; s < 12; s++) expect(rec.steps[s]!.lr).toBeCloseTo((base * (12 - s)) / 11, 12);

    expect(readdirSync(out).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'metrics.jsonl', 'run_config.json', 'summary.json', 'tensorboard']);
    expect(readdirSync(path.join(out, 'tensorboard'))).toHaveLength(1);
    const adapter = JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
    expect(adapter).toMatchObject({ peft_type: 'LORA', r: 16, lora_alpha: 32, base_model_name_or_path: 'builtin:tiny' });
    expect(rec.saved[0]!.entries.map((e) => e[0])).toEqual([
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
    ]);

    const metrics = readMetrics(path.join(out, 'metrics.jsonl'));
    expect(metrics).toHaveLength(12);
    expect(Object.keys(metrics[0]!).sort()).toEqual(['elapsedSec', 'epoch', 'gradNorm', 'loss', 'lr', 'step', 'targetTokens', 'tokensPerSec'].sort());
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(metrics.map((m) => m.loss)).toEqual(rec.losses);

    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.steps).toBe(12);
    expect(summary.firstLoss).toBe(rec.losses[0]);
    expect(summary.lastLoss).toBe(rec.losses[11]);
    expect(summary.meanFirst10).toBeCloseTo(rec.losses.slice(0, 10).reduce((a, b) => a + b) / 10, 12);
    expect(summary.meanLast10).toBeCloseTo(rec.losses.slice(2).reduce((a, b) => a + b) / 10, 12);
    expect(summary.diverged).toBe(false);
    expect(summary.status).toBe('completed');
    expect(result.savedFiles.map((f) => path.basename(f)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);

    const runConfig = JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8'));
    expect(runConfig.options).toMatchObject({ method: 'lora', steps: 12, batchSize: 4, seed: 7, out });
    expect(runConfig.schedule).toMatchObject({ totalSteps: 12, warmupSteps: 1 });

    const text = lines.join('');
    expect(text).toContain('trainable params: 10 || all params: 1,000 || trainable%: 1.0000');
    expect(text).toContain(`saved to ${out}`);
    expect(text).toContain('--model <hf model dir> --data superni:');
  });

  it('full finetuning: constant LR, no decay on norms, HF checkpoint with tokenizer files', async () => {
    const out = outDir();
    await train({ out, method: 'full', steps: 5, batchSize: 2, stdout: sink });
    expect(rec.full).toBe(true);
    expect(rec.trainerOptions?.weightDecay).toBe(0);
    expect(rec.trainerOptions?.noDecay).toEqual(['model.layers.0.input_layernorm.weight', 'model.norm.weight']);
    expect(new Set(rec.steps.map((s) => s.lr)).size).toBe(1);
    const files = readdirSync(out);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'metrics.jsonl', 'summary.json', 'run_config.json']) expect(files).toContain(f);
    const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_type: 'llama', hidden_size: 256, tie_word_embeddings: true, torch_dtype: 'float32' });
  });

  it('gives each optimizer step its accumulation group in one trainer call', async () => {
    await train({ out: outDir(), steps: 3, batchSize: 2, gradientAccumulation: 3, stdout: sink });
    expect(rec.groups).toEqual([3, 3, 3]);
    expect(rec.steps.every((s) => s.batchSize === 2)).toBe(true);
  });

  it('stops on a non-finite loss, saves no weights, and records status, step and the last good metrics', async () => {
    lossAt = (i) => (i === 3 ? NaN : 2 + i / 100);
    const out = outDir();
    const result = await train({ out, steps: 10, stdout: sink });
    expect(result.diverged).toBe(true);
    expect(result.steps).toBe(4);
    expect(existsSync(path.join(out, 'adapter_config.json'))).toBe(false);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'diverged', diverged: true, divergedSteps: 1 });
    expect(summary.divergence).toMatchObject({ reason: 'non-finite loss', step: 4 });
    expect(summary.lastGood).toMatchObject({ step: 3, loss: 2.02 });
    const metrics = readMetrics(path.join(out, 'metrics.jsonl'));
    expect(metrics.map((m) => m.divergence ?? null)).toEqual([null, null, null, 'non-finite loss']);
  });

  it('scores a diverged run: with continue the final weights, stopped the best checkpoint before the divergence, else says why not', async () => {
    const finalEvaluator = { evaluate: async () => ({ rougeL: 7 }) };
    lossAt = (i) => (i === 4 ? NaN : 2);
    const continued = await train({ out: outDir(), steps: 8, stdout: sink, onDivergence: 'continue', finalEvaluator });
    expect(continued).toMatchObject({ status: 'diverged', test: { step: 8, weights: null, metrics: { rougeL: 7 } } });

    // Stopped at step 5: the best checkpoint (lowest train loss: the latest, step 4) is scored.
    lossAt = (i) => (i === 4 ? NaN : 3 - i / 10);
    const stoppedOut = outDir();
    const stopped = await train({ out: stoppedOut, steps: 8, stdout: sink, saveSteps: 2, finalEvaluator });
    expect(stopped).toMatchObject({ status: 'diverged', steps: 5, test: { step: 4, weights: path.join(stoppedOut, 'best'), metrics: { rougeL: 7 } } });
    expect(existsSync(path.join(stoppedOut, 'best', 'adapter_model.safetensors'))).toBe(true);
    expect(existsSync(path.join(stoppedOut, 'adapter_config.json'))).toBe(false); // the diverged final weights are not saved

    const lines: string[] = [];
    const none = await train({ out: outDir(), steps: 8, stdout: { write: (t: string) => lines.push(t), isTTY: false }, finalEvaluator });
    expect(none).toMatchObject({ status: 'diverged', test: null });
    expect(lines.join('')).toMatch(/no final evaluation: the run diverged before any checkpoint was saved/);
  });

  it('stops at a loss spike beyond factor x the running median', async () => {
    lossAt = (i) => (i === 7 ? 30 : 3);
    const result = await train({ out: outDir(), steps: 20, stdout: sink, divergenceFactor: 5, divergenceWindow: 4 });
    expect(result.status).toBe('diverged');
    expect(result.divergence).toMatchObject({ reason: 'loss spike', step: 8, median: 3 });
    expect(result.steps).toBe(8);
    // 14 < 5 x 3 is no spike
    lossAt = (i) => (i === 7 ? 14 : 3);
    expect((await train({ out: outDir(), steps: 20, stdout: sink, divergenceFactor: 5, divergenceWindow: 4 })).status).toBe('completed');
  });

  it('with --on-divergence continue, flags diverged steps, finishes and saves', async () => {
    lossAt = (i) => (i === 2 || i === 5 ? Infinity : 2);
    const out = outDir();
    const result = await train({ out, steps: 8, stdout: sink, onDivergence: 'continue' });
    expect(result.steps).toBe(8);
    expect(result).toMatchObject({ status: 'diverged', divergedSteps: 2, saved: out });
    expect(result.divergence).toMatchObject({ step: 3, reason: 'non-finite loss' });
    expect(result.lastGood).toMatchObject({ step: 2 });
    expect(readMetrics(path.join(out, 'metrics.jsonl')).filter((m) => m.divergence).map((m) => m.step)).toEqual([3, 6]);
    expect(existsSync(path.join(out, 'adapter_config.json'))).toBe(true);
  });

  it('stops early on abort and still saves', async () => {
    const controller = new AbortController();
    const out = outDir();
    const result = await train({
      out,
      steps: 50,
      stdout: sink,
      signal: controller.signal,
      onStep: (m) => {
        if (m.step === 4) controller.abort();
      },
    });
    expect(result.interrupted).toBe(true);
    expect(result.steps).toBe(4);
    expect(existsSync(path.join(out, 'adapter_config.json'))).toBe(true);
  });

  it('runs epochs over the data: steps = epochs x ceil(batches / accumulation)', async () => {
    const result = await train({ out: outDir(), epochs: 1, batchSize: 64, stdout: sink });
    const batches = Math.ceil(result.dataSummary.examples / 64);
    expect(result.steps).toBe(batches);
    expect(result.epochs).toBe(1);
  });
});

describe('checkpoints and resume (stand-in addon)', () => {
  it('writes step-N checkpoints atomically, keeps the last K plus the best, and records best.json', async () => {
    // Loss dips at steps 3-4 (the best window), then rises.
    lossAt = (i) => [5, 4, 1, 1, 3, 3, 3, 3, 3, 3][i] ?? 3;
    const out = outDir();
    const result = await train({ out, steps: 10, batchSize: 2, stdout: sink, saveSteps: 2, saveTotalLimit: 2 });
    const ckpt = path.join(out, 'checkpoints');
    // step-4 holds the best train_loss (mean of steps 3-4 = 1); step-8 and step-10 are the last two.
    expect(readdirSync(ckpt).sort()).toEqual(['best.json', 'step-10', 'step-4', 'step-8']);
    expect(readdirSync(path.join(ckpt, 'step-8')).sort()).toEqual(['checkpoint.json', 'metrics.jsonl', 'trainer_state.safetensors']);
    expect(JSON.parse(readFileSync(path.join(ckpt, 'best.json'), 'utf8'))).toMatchObject({ step: 4, metric: 'train_loss', value: 1 });
    expect(result.best).toMatchObject({ step: 4, value: 1 });
    const record = JSON.parse(readFileSync(path.join(ckpt, 'step-8', 'checkpoint.json'), 'utf8'));
    expect(record).toMatchObject({ step: 8, totalSteps: 10, metrics: { train_loss: 3 } });
    expect(record.losses).toEqual([5, 4, 1, 1, 3, 3, 3, 3]);
    expect(readMetrics(path.join(ckpt, 'step-8', 'metrics.jsonl')).map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(readdirSync(ckpt).some((n) => n.startsWith('.'))).toBe(false);
  });

  it.each([
    ['steps, one batch per update', { steps: 10, batchSize: 3, gradientAccumulation: 1 }],
    ['epochs with accumulation (the data position crosses epochs)', { epochs: 3, batchSize: 200, gradientAccumulation: 2 }],
  ] as const)('resumes after a crash with the same batches, learning rates and losses as an uninterrupted run: %s', async (_name, shape) => {
    lossAt = (i) => 5 / (1 + i / 10);
    const base = { ...shape, seed: 11, stdout: sink, saveSteps: 3 };
    const uninterrupted = await train({ ...base, out: outDir() });
    const total = uninterrupted.steps;
    expect(total).toBeGreaterThanOrEqual(7);
    const full = [...rec.steps];
    const crashAt = total - 1; // after the checkpoint at a multiple of 3 below it
    const checkpointed = Math.floor((crashAt - 1) / 3) * 3;

    rec.steps = [];
    const out = outDir();
    await expect(
      train({
        ...base,
        out,
        onStep: (m) => {
          if (m.step === crashAt) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect(readMetrics(path.join(out, 'metrics.jsonl'))).toHaveLength(crashAt);

    rec.steps = [];
    const resumed = await train({ resume: out, stdout: sink });
    expect(resumed.resumedFrom).toBe(checkpointed);
    expect(resumed.steps).toBe(total);
    expect(rec.steps).toEqual(full.slice(full.length - (total - checkpointed)));
    expect(resumed.losses).toEqual(uninterrupted.losses);
    const metrics = readMetrics(path.join(out, 'metrics.jsonl'));
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(metrics.map((m) => m.epoch)).toEqual(readMetrics(path.join(uninterrupted.out, 'metrics.jsonl')).map((m) => m.epoch));
    expect(readdirSync(path.join(out, 'tensorboard'))).toHaveLength(2);
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', steps: total, resumedFrom: checkpointed });
  });

  it('refuses options that would change a resumed run, and folders without checkpoints', async () => {
    const out = outDir();
    await train({ out, steps: 2, stdout: sink });
    await expect(train({ resume: out, stdout: sink })).rejects.toThrow(/no checkpoint in .*checkpoints yet/);
    await expect(train({ resume: out, lr: 1, stdout: sink })).rejects.toThrow(/lr cannot be given with it/);
    await expect(train({ resume: path.join(out, 'nope'), stdout: sink })).rejects.toThrow(/does not exist/);
  });

  it('calls the evaluator at its steps, logs eval metrics and keeps the best checkpoint by them', async () => {
    const out = outDir();
    const dev = new Map([[2, 0.3], [4, 0.5], [6, 0.4]]);
    const seen: number[] = [];
    const result = await train({
      out,
      steps: 6,
      stdout: sink,
      saveTotalLimit: 1,
      bestMetric: { name: 'rougeL', greaterIsBetter: true },
      evaluator: {
        steps: [2, 4, 6],
        evaluate: async ({ step }) => {
          seen.push(step);
          return { rougeL: dev.get(step)! };
        },
      },
    });
    expect(seen).toEqual([2, 4, 6]);
    expect(result.best).toMatchObject({ step: 4, metric: 'rougeL', value: 0.5 });
    expect(readdirSync(path.join(out, 'checkpoints')).sort()).toEqual(['best.json', 'step-4', 'step-6']);
    expect(readMetrics(path.join(out, 'metrics.jsonl')).filter((m) => 'eval_rougeL' in m).map((m) => [m.step, m.eval_rougeL])).toEqual([
      [2, 0.3],
      [4, 0.5],
      [6, 0.4],
    ]);
  });

  it('an evaluation that fails saves the weights trained so far before the error', async () => {
    const out = outDir();
    const run = train({
      out,
      steps: 6,
      stdout: sink,
      evaluator: {
        steps: [3, 6],
        evaluate: async ({ step }) => {
          if (step === 3) throw new Error('no room for the predictions');
          return { rougeL: 1 };
        },
      },
    });
    await expect(run).rejects.toThrow(new RegExp(`evaluation at step 3 failed: no room for the predictions \\(the weights trained so far are saved in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    expect(existsSync(path.join(out, 'adapter_config.json'))).toBe(true);
    expect(existsSync(path.join(out, 'adapter_model.safetensors'))).toBe(true);
  });
});
