#!/usr/bin/env node
// Per-operator profile of peft-native training steps (libtorch's profiler, trainer.step(..., { profile: true })):
// the operators that take the most self time, summed over the profiled steps, as a Markdown table.
//
//   node scripts/bench/profile-step.mjs [--config scripts/bench/configs/llama-small.json] [--methods lora,full]
//       [--batch 4] [--seq 256] [--warmup 2] [--steps 3] [--threads 2] [--precision fp32|bf16]
//       [--base-dtype fp32|bf16] [--labels superni|all] [--top 15] [--seed 0] [--device cpu|cuda|cuda:N]
//
// The batch is the benchmarks' (src/bench/labels.ts: SuperNI-shaped labels by default), LoRA r=8 on q,v.
// Needs `npm run setup` (dist/ + addon).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { native } from '../../dist/native/binding.js';
import { parseModelConfig } from '../../dist/models/config.js';
import { randomTokens } from '../../dist/bench/worker.js';
import { benchLabels } from '../../dist/bench/labels.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    config: { type: 'string', default: path.join(here, 'configs', 'llama-small.json') },
    methods: { type: 'string', default: 'lora,full' },
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '256' },
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    precision: { type: 'string', default: 'fp32' },
    'base-dtype': { type: 'string', default: '' },
    labels: { type: 'string', default: 'superni' },
    top: { type: 'string', default: '15' },
    seed: { type: 'string', default: '0' },
    device: { type: 'string', default: 'cpu' },
  },
});
const pn = native();
pn.setNumThreads(Number(a.threads));
const config = parseModelConfig(JSON.parse(readFileSync(a.config, 'utf8')), a.config);
const batchSize = Number(a.batch);
const seqLen = Number(a.seq);
const inputIds = randomTokens(batchSize * seqLen, config.vocabSize, Number(a.seed));
const batch = { inputIds, labels: benchLabels(inputIds, batchSize, seqLen, a.labels), batchSize, seqLen };

for (const method of a.methods.split(',')) {
  const model = pn.Model.create(config, { seed: Number(a.seed) });
  if (method === 'lora') {
    model.applyLora({ r: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, init: 'kaiming', seed: 0 });
  } else if (method === 'full') {
    model.enableFullFinetuning();
  } else {
    throw new Error(`--methods: lora or full, got ${method}`);
  }
  const baseDtype = a['base-dtype'] || a.precision;
  model.setPrecision({ compute: a.precision, base: baseDtype });
  await model.moveTo(pn.checkDevice(a.device));
  const trainer = new pn.Trainer(model, { weightDecay: 0, maxGradNorm: 1, precision: a.precision });
  for (let i = 0; i < Number(a.warmup); i++) await trainer.step(batch, 1e-4);
  const byName = new Map();
  let stepMs = 0;
  for (let i = 0; i < Number(a.steps); i++) {
    const t0 = performance.now();
    const r = await trainer.step(batch, 1e-4, { profile: true });
    stepMs += performance.now() - t0;
    for (const op of r.profile) {
      const t = byName.get(op.name) ?? { name: op.name, calls: 0, selfMs: 0, totalMs: 0 };
      t.calls += op.calls;
      t.selfMs += op.selfMs;
      t.totalMs += op.totalMs;
      byName.set(op.name, t);
    }
  }
  const ops = [...byName.values()].sort((x, y) => y.selfMs - x.selfMs);
  const selfSum = ops.reduce((s, o) => s + o.selfMs, 0);
  const steps = Number(a.steps);
  const lines = [
    `### ${method}, ${a.precision}${a.precision === 'bf16' && method === 'lora' ? ` (base ${baseDtype})` : ''}, batch ${batchSize} x ${seqLen}, ${a.labels === 'superni' ? 'SuperNI-shaped labels' : 'every token trained'}, ${a.device === 'cpu' ? `${pn.info().threads} threads` : `${a.device} (host side of each operator)`}`,
    '',
    `${(stepMs / steps).toFixed(1)} ms per profiled step (profiler on); operators' self time ${(selfSum / steps).toFixed(1)} ms per step.`,
    '',
    '| operator | calls / step | self ms / step | share of self time | total ms / step |',
    '|---|---:|---:|---:|---:|',
    ...ops.slice(0, Number(a.top)).map((o) => `| \`${o.name}\` | ${(o.calls / steps).toFixed(0)} | ${(o.selfMs / steps).toFixed(1)} | ${((100 * o.selfMs) / selfSum).toFixed(1)}% | ${(o.totalMs / steps).toFixed(1)} |`),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  trainer.dispose();
  model.dispose();
}
