// One training step of a Llama config in peft-native, measured: the counterpart of hf_train_step.py
// (same flags, same one-line JSON on stdout). Run after `npm run setup` (uses dist/ and the built addon).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { native } from '../../dist/native/binding.js';
import { parseModelConfig } from '../../dist/models/config.js';

const { values: a } = parseArgs({
  options: {
    method: { type: 'string' },
    config: { type: 'string' },
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '256' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    rank: { type: 'string', default: '8' },
    alpha: { type: 'string', default: '16' },
    'target-modules': { type: 'string', default: 'q_proj,v_proj' },
    lr: { type: 'string', default: '1e-4' },
    'gradient-checkpointing': { type: 'boolean', default: false },
  },
});
const log = (...m) => console.error('[peft-native]', ...m);
if (a.method !== 'lora' && a.method !== 'full') throw new Error('--method must be lora or full');
if (!a.config) throw new Error('--config <HF config.json> is required');

const pn = native();
const threads = Number(a.threads);
pn.setNumThreads(threads);
const config = parseModelConfig(JSON.parse(readFileSync(a.config, 'utf8')), a.config);
const model = pn.Model.create(config, { seed: Number(a.seed) });
if (a.method === 'lora') {
  model.applyLora({
    r: Number(a.rank),
    alpha: Number(a.alpha),
    dropout: 0,
    targetModules: a['target-modules'].split(',').map((s) => s.trim()).filter(Boolean),
    useRslora: false,
    init: 'kaiming',
    seed: Number(a.seed),
  });
} else {
  model.enableFullFinetuning();
}
if (a['gradient-checkpointing']) model.setGradientCheckpointing(true);
const { trainable, total } = model.parameterCount();
log(`method=${a.method} trainable=${trainable} total=${total} threads=${pn.info().threads} torch=${pn.info().torchVersion}`);
const trainer = new pn.Trainer(model, { lr: Number(a.lr), weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1.0 });

const batchSize = Number(a.batch);
const seqLen = Number(a.seq);
// Deterministic token ids (mulberry32), labels = inputs as in the HF script.
let s = (Number(a.seed) + 1) >>> 0;
const rand = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const inputIds = Int32Array.from({ length: batchSize * seqLen }, () => Math.floor(rand() * config.vocabSize));
const batch = { inputIds, labels: inputIds, batchSize, seqLen };

const times = [];
const losses = [];
const steps = Number(a.steps);
const warmup = Number(a.warmup);
for (let i = 0; i < warmup + steps; i++) {
  const t0 = process.hrtime.bigint();
  const r = await trainer.step(batch, Number(a.lr));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  losses.push(r.loss);
  if (i >= warmup) times.push(ms);
  log(`step ${i}${i < warmup ? ' (warmup)' : ''}: ${ms.toFixed(1)} ms loss=${r.loss.toFixed(4)}`);
}
const result = {
  tool: 'peft-native',
  method: a.method,
  gradientCheckpointing: a['gradient-checkpointing'],
  stepTimesMs: times.map((t) => Math.round(t * 1000) / 1000),
  tokensPerStep: batchSize * seqLen,
  peakRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
  trainable,
  total,
  torch: pn.info().torchVersion,
  threads: pn.info().threads,
  batch: batchSize,
  seq: seqLen,
  losses: losses.map((l) => Math.round(l * 1e5) / 1e5),
};
process.stdout.write(JSON.stringify(result) + '\n');
