import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrainingBatch } from '../src/data/types.js';
import { lossSummary } from '../src/train/loop.js';
import { TrainOptionsError, resolveTrainOptions } from '../src/train/options.js';
import { isNoDecayParameter, runUpdate, stepBatches, totalUpdates, updateGroups } from '../src/train/updates.js';
import { MetricsWriter, readMetrics } from '../src/train/metrics.js';
import { ProgressReporter, formatDuration, formatProgressLine } from '../src/train/progress.js';
import type { NativeBatch, NativeTrainer } from '../src/native/binding.js';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'train-'));
}

function err(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TrainOptionsError);
    return (e as Error).message;
  }
  throw new Error('expected a TrainOptionsError');
}

function batch(targetTokens: number, realTokens = 10, tag = 0): TrainingBatch {
  return { inputIds: new Int32Array([tag]), labels: new Int32Array(1), attentionMask: new Int32Array(1), batchSize: 1, seqLen: 1, targetTokens, realTokens };
}

describe('resolveTrainOptions', () => {
  it('uses the tiny preset for the no-argument demo', () => {
    const r = resolveTrainOptions({ out: path.join(tmp(), 'run') });
    expect(r.model).toBe('builtin:tiny');
    expect(r.modelSpec).toEqual({ kind: 'builtin', name: 'tiny' });
    expect(r.data).toBe('builtin');
    expect(r.method).toBe('lora');
    expect(r.steps).toBeGreaterThan(0);
    expect(r.epochs).toBeNull();
    expect(r.lora?.r).toBe(16);
    expect(r.schedule).toBe('linear');
    expect(r.warmupRatio).toBe(0.03);
    expect(r.weightDecay).toBe(0.01);
    expect(r.maxGradNorm).toBe(1);
    expect(r.seed).toBe(42);
  });

  it('follows the study for HF models: LoRA 1e-4 / full 1e-5, decay 0.01 / 0, linear+warmup / constant', () => {
    const model = tmp();
    const lora = resolveTrainOptions({ model, out: path.join(tmp(), 'a') });
    expect(lora.modelSpec).toEqual({ kind: 'hf', dir: model });
    expect(lora.lr).toBe(1e-4);
    expect(lora.lora).toEqual({ r: 8, alpha: 8, dropout: 0.1, targets: { modules: ['q_proj', 'v_proj'] }, useRslora: false, init: 'kaiming' });
    expect(lora.epochs).toBe(2);
    expect(lora.steps).toBeNull();
    expect(lora.maxSourceLength).toBe(1024);
    expect(lora.maxTargetLength).toBe(128);
    const full = resolveTrainOptions({ model, method: 'full', out: path.join(tmp(), 'b') });
    expect(full.lr).toBe(1e-5);
    expect(full.weightDecay).toBe(0);
    expect(full.schedule).toBe('constant');
    expect(full.warmupRatio).toBe(0);
    expect(full.lora).toBeNull();
  });

  it("--recipe study: the released code's settings per method (docs/RECIPES.md), explicit options winning", () => {
    const study = (o: Parameters<typeof resolveTrainOptions>[0]) => resolveTrainOptions({ recipe: 'study', out: path.join(tmp(), 'run'), ...o });
    const lora = study({ method: 'lora' });
    expect(lora).toMatchObject({ recipe: 'study', epochs: 4, steps: null, maxGradNorm: 0, weightDecay: 0.01, weightDecayParams: 'all', schedule: 'linear', warmupRatio: 0.03 });
    expect(lora.adam.eps).toBe(1e-6);
    const full = study({ method: 'full' });
    expect(full).toMatchObject({ epochs: 4, maxGradNorm: 1, weightDecay: 0, weightDecayParams: 'all', schedule: 'constant', warmupRatio: 0 });
    expect(full.adam.eps).toBe(1e-8);
    expect(study({ method: 'adapter' }).methodSettings).toMatchObject({ adapter: { activation: 'silu-silu', init: 'normal', placement: 'houlsby' } });
    expect(study({ method: 'bitfit' }).methodSettings).toEqual({ method: 'bitfit', bitfit: { targets: { modules: ['q_proj', 'k_proj', 'v_proj'] }, init: 'normal' } });
    // Given options win; steps replace the recipe's epochs.
    const mine = study({ method: 'lora', epochs: 1, maxGradNorm: 0.5, adamEps: 1e-7, weightDecayParams: 'matrices' });
    expect(mine).toMatchObject({ epochs: 1, maxGradNorm: 0.5, weightDecayParams: 'matrices' });
    expect(mine.adam.eps).toBe(1e-7);
    expect(study({ method: 'lora', steps: 10 })).toMatchObject({ steps: 10, epochs: null });
    expect(study({ method: 'adapter', adapterActivation: 'relu' }).methodSettings).toMatchObject({ adapter: { activation: 'relu' } });
    // The default recipe changes nothing.
    const clean = resolveTrainOptions({ out: path.join(tmp(), 'run') });
    expect(clean).toMatchObject({ recipe: 'default', maxGradNorm: 1, weightDecayParams: 'matrices' });
    expect(clean.adam.eps).toBe(1e-8);
    expect(err(() => resolveTrainOptions({ recipe: 'nope' as never }))).toMatch(/unknown recipe "nope" \(expected default or study\)/);
    expect(err(() => resolveTrainOptions({ method: 'lora', bitfitInit: 'normal' }))).toMatch(/--bitfit-init applies only to BitFit \(--method bitfit\)/);
  });

  it('sets alpha = rank unless given', () => {
    const model = tmp();
    expect(resolveTrainOptions({ model, rank: 64, out: path.join(tmp(), 'x') }).lora?.alpha).toBe(64);
    expect(resolveTrainOptions({ model, rank: 64, alpha: 16, out: path.join(tmp(), 'x') }).lora?.alpha).toBe(16);
    expect(resolveTrainOptions({ rank: 4, out: path.join(tmp(), 'x') }).lora?.alpha).toBe(4);
    expect(resolveTrainOptions({ targetModules: 're:.*q_proj', out: path.join(tmp(), 'x') }).lora?.targets).toEqual({ regex: '.*q_proj' });
  });

  it('rejects bad values with one-line messages', () => {
    const out = path.join(tmp(), 'x');
    expect(err(() => resolveTrainOptions({ rank: -1, out }))).toMatch(/rank must be a positive integer/);
    expect(err(() => resolveTrainOptions({ lr: Number('abc'), out }))).toMatch(/learning rate/);
    expect(err(() => resolveTrainOptions({ method: 'qlora' as never, out }))).toMatch(/unknown method "qlora"/);
    expect(err(() => resolveTrainOptions({ model: '/no/such/dir', out }))).toMatch(/neither a built-in model nor an existing folder/);
    expect(err(() => resolveTrainOptions({ data: 'superni:/no/such/dir', out }))).toMatch(/does not exist/);
    expect(err(() => resolveTrainOptions({ data: '/no/task.json', out }))).toMatch(/does not exist/);
    expect(err(() => resolveTrainOptions({ steps: 5, epochs: 1, out }))).toMatch(/either steps or epochs/);
    expect(err(() => resolveTrainOptions({ batchSize: 0, out }))).toMatch(/batch size/);
    expect(err(() => resolveTrainOptions({ warmupRatio: 2, out }))).toMatch(/warmup ratio/);
    expect(err(() => resolveTrainOptions({ method: 'full', rank: 4, out }))).toMatch(/--rank applies only to LoRA/);
    expect(err(() => resolveTrainOptions({ schedule: 'step' as never, out }))).toMatch(/unknown schedule/);
  });

  it('refuses a non-empty output folder unless overwrite', () => {
    const out = tmp();
    writeFileSync(path.join(out, 'metrics.jsonl'), '');
    expect(err(() => resolveTrainOptions({ out }))).toMatch(/already exists and is not empty/);
    expect(resolveTrainOptions({ out, overwrite: true }).out).toBe(out);
  });

  it('names a default run folder by time and method', () => {
    const cwd = process.cwd();
    const dir = tmp();
    process.chdir(dir);
    try {
      const r = resolveTrainOptions({ now: new Date(2025, 0, 2, 3, 4, 5) });
      expect(r.out).toBe(path.join(dir, 'runs', '20250102-030405-lora'));
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('loop helpers', () => {
  it('groups batches for accumulation, per epoch, up to the step budget', () => {
    const epochs: number[] = [];
    const perEpoch = (e: number) => {
      epochs.push(e);
      return [batch(5, 10, e * 10 + 0), batch(5, 10, e * 10 + 1), batch(5, 10, e * 10 + 2)];
    };
    const groups = [...updateGroups(perEpoch, { accumulation: 2, maxUpdates: 5, maxEpochs: 10 })];
    expect(groups.map((g) => [g.epoch, g.batches.map((b) => b.inputIds[0])])).toEqual([
      [0, [0, 1]],
      [0, [2]],
      [1, [10, 11]],
      [1, [12]],
      [2, [20, 21]],
    ]);
    expect(epochs).toEqual([0, 1, 2]);
    expect(totalUpdates({ steps: null, epochs: 3, batchesPerEpoch: 3, accumulation: 2 })).toBe(6);
    expect(totalUpdates({ steps: 7, epochs: null, batchesPerEpoch: 3, accumulation: 2 })).toBe(7);
  });

  it('reports where the next group starts and can start from such a position', () => {
    const perEpoch = (e: number) => [batch(5, 10, e * 10 + 0), batch(5, 10, e * 10 + 1), batch(5, 10, e * 10 + 2)];
    const all = [...updateGroups(perEpoch, { accumulation: 2, maxUpdates: 5, maxEpochs: 10 })];
    expect(all.map((g) => g.next)).toEqual([
      { epoch: 0, batch: 2 },
      { epoch: 1, batch: 0 },
      { epoch: 1, batch: 2 },
      { epoch: 2, batch: 0 },
      { epoch: 2, batch: 2 },
    ]);
    // Starting where group 3 left off gives groups 4 and 5.
    const rest = [...updateGroups(perEpoch, { accumulation: 2, maxUpdates: 2, maxEpochs: 10, start: all[2]!.next })];
    expect(rest.map((g) => g.batches.map((b) => b.inputIds[0]))).toEqual(all.slice(3).map((g) => g.batches.map((b) => b.inputIds[0])));
  });

  it('skips groups without target tokens', () => {
    const groups = [...updateGroups(() => [batch(0), batch(3)], { accumulation: 1, maxUpdates: 10, maxEpochs: 1 })];
    expect(groups).toHaveLength(1);
  });

  it('gives the trainer each accumulation group in one step call, without copying the token buffers', async () => {
    const calls: Array<{ batches: NativeBatch[]; lr: number }> = [];
    const unused = async (): Promise<never> => {
      throw new Error('the loop steps through step() only');
    };
    const trainer = {
      accumulate: unused,
      update: unused,
      step: async (batches: NativeBatch | NativeBatch[], lr: number) => {
        calls.push({ batches: Array.isArray(batches) ? batches : [batches], lr });
        return { loss: 2, targetTokens: 3, gradNorm: 1 };
      },
    } as unknown as NativeTrainer;
    const group = [batch(3), batch(4)];
    await runUpdate(trainer, stepBatches(group, 42, 0), 0.1);
    await runUpdate(trainer, stepBatches([batch(3)], 42, 1), 0.2);
    expect(calls.map((c) => [c.batches.length, c.lr])).toEqual([[2, 0.1], [1, 0.2]]);
    expect(calls[0]!.batches[1]!.inputIds).toBe(group[1]!.inputIds);
    // Every batch of a run gets its own dropout seed, a function of (run seed, step, index) alone.
    const seeds = calls.flatMap((c) => c.batches.map((b) => b.dropoutSeed));
    expect(new Set(seeds).size).toBe(3);
    expect(stepBatches(group, 42, 0).map((b) => b.dropoutSeed)).toEqual(seeds.slice(0, 2));
    expect(stepBatches(group, 43, 0).map((b) => b.dropoutSeed)).not.toEqual(seeds.slice(0, 2));
  });

  it('excludes biases and norms from weight decay', () => {
    for (const n of ['model.norm.weight', 'model.layers.3.input_layernorm.weight', 'model.layers.0.post_attention_layernorm.weight', 'model.layers.0.self_attn.q_norm.weight', 'model.layers.0.self_attn.q_proj.bias']) {
      expect(isNoDecayParameter(n)).toBe(true);
    }
    for (const n of ['model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.q_proj.lora_A.weight', 'model.embed_tokens.weight', 'lm_head.weight']) {
      expect(isNoDecayParameter(n)).toBe(false);
    }
  });

  it('summarizes losses', () => {
    const losses = Array.from({ length: 25 }, (_, i) => 25 - i);
    expect(lossSummary(losses)).toEqual({ firstLoss: 25, lastLoss: 1, meanFirst10: 20.5, meanLast10: 5.5 });
    expect(lossSummary([])).toEqual({ firstLoss: null, lastLoss: null, meanFirst10: null, meanLast10: null });
  });
});

describe('metrics.jsonl', () => {
  it('appends one JSON object per step, keeping non-finite values', () => {
    const dir = tmp();
    const w = new MetricsWriter(dir);
    w.append({ step: 1, epoch: 0, loss: 2.5, lr: 1e-4, gradNorm: 1, targetTokens: 10, tokensPerSec: 100, elapsedSec: 0.1 });
    w.append({ step: 2, epoch: 0, loss: NaN, lr: 1e-4, gradNorm: Infinity, targetTokens: 10, tokensPerSec: 100, elapsedSec: 0.2 });
    w.close();
    const rows = readMetrics(path.join(dir, 'metrics.jsonl'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({ step: 1, epoch: 0, loss: 2.5, lr: 1e-4, gradNorm: 1, targetTokens: 10, tokensPerSec: 100, elapsedSec: 0.1 });
    expect(rows[1]!.loss).toBeNaN();
    expect(rows[1]!.gradNorm).toBe(Infinity);
  });
});

describe('progress', () => {
  class Sink {
    text = '';
    constructor(readonly isTTY: boolean) {}
    write(s: string) {
      this.text += s;
      return true;
    }
  }
  const u = (step: number) => ({ step, epoch: 0, loss: 3 - step / 10, lr: 1e-3, tokensPerSec: 12345, elapsedSec: step * 2 });

  it('formats step/total, loss, lr, tokens/s and ETA', () => {
    const line = formatProgressLine(u(10), 40);
    expect(line).toContain('step 10/40');
    expect(line).toContain('loss 2.0000');
    expect(line).toContain('lr 1.00e-3');
    expect(line).toContain('12.3k tok/s');
    expect(line).toContain('0:20 elapsed');
    expect(line).toContain('ETA 1:00');
    expect(formatDuration(3725)).toBe('1:02:05');
  });

  it('prints periodic plain lines without a TTY', () => {
    const s = new Sink(false);
    const p = new ProgressReporter({ total: 25, stream: s, logEvery: 10 });
    for (let i = 1; i <= 25; i++) p.update(u(i));
    p.finish();
    const lines = s.text.trim().split('\n');
    expect(lines.map((l) => /step\s+(\d+)/.exec(l)![1])).toEqual(['1', '10', '20', '25']);
    expect(s.text).not.toContain('\r');
  });

  it('redraws one line with \\r on a TTY', () => {
    const s = new Sink(true);
    let t = 0;
    const p = new ProgressReporter({ total: 3, stream: s, minIntervalMs: 0, now: () => (t += 1000) });
    for (let i = 1; i <= 3; i++) p.update(u(i));
    p.log('note');
    p.finish();
    expect(s.text.split('\r').length).toBeGreaterThan(3);
    expect(s.text).toContain('note\n');
    expect(s.text.endsWith('\n')).toBe(true);
    expect(s.text.split('\n').length).toBe(3); // the note, the final line, nothing else
  });
});

describe('final summary table', () => {
  it('lists status, steps, loss, speed, best checkpoint, divergence and the saved folder', async () => {
    const { formatSummaryTable } = await import('../src/train/summary-table.js');
    const table = formatSummaryTable({
      status: 'diverged',
      steps: 40,
      totalSteps: 100,
      epochs: 1,
      firstLoss: 7.25,
      lastLoss: NaN,
      meanFirst10: 7,
      meanLast10: null,
      realTokens: 123456,
      tokensPerSec: 5432,
      elapsedSec: 65,
      resumedFrom: 20,
      best: { step: 30, metric: 'train_loss', value: 4.5 },
      divergence: { step: 40, message: 'the loss became NaN at step 40' },
      divergedSteps: 1,
      saved: null,
      out: '/runs/x',
    });
    const lines = table.split('\n');
    expect(lines[0]).toBe('run summary');
    const row = (label: string) => lines.find((l) => l.trimStart().startsWith(label + ' '))!.trim().slice(label.length).trim();
    expect(row('status')).toBe('diverged');
    expect(row('steps')).toBe('40 / 100 (1 epoch), resumed at step 20');
    expect(row('loss')).toBe('7.2500 -> NaN');
    expect(row('tokens')).toBe('123.5k (5432 tok/s)');
    expect(row('time')).toBe('1:05');
    expect(row('best checkpoint')).toBe('step 30 (train_loss 4.5000)');
    expect(row('diverged')).toBe('the loss became NaN at step 40');
    expect(row('saved')).toBe('nothing');
    // values line up in one column
    expect(new Set(lines.slice(2, -1).map((l) => l.length - l.trimStart().length))).toEqual(new Set([2]));
  });
});
