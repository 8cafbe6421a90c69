// One training step of a Llama or T5 config in peft-native, measured: the counterpart of hf_train_step.py
// (same flags, same one-line JSON on stdout). Run after `npm run setup` (uses dist/ and the built addon).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { native } from '../../dist/native/binding.js';
import { parseModelConfig } from '../../dist/models/config.js';
import { peakRssBytes, timeTrainingSteps } from '../../dist/bench/worker.js';

const { values: a } = parseArgs({
  options: {
    method: { type: 'string' },
    config: { type: 'string' },
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '256' },
    'target-len': { type: 'string', default: '0' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    rank: { type: 'string', default: '8' },
    alpha: { type: 'string', default: '16' },
    'target-modules': { type: 'string', default: 'q_proj,v_proj' },
    lr: { type: 'string', default: '1e-4' },
    'gradient-checkpointing': { type: 'boolean', default: false },
    device: { type: 'string', default: 'cpu' },
    precision: { type: 'string', default: 'fp32' },
    labels: { type: 'string', default: 'superni' },
    'base-dtype': { type: 'string', default: '' },
  },
});
const log = (...m) => console.error('[peft-native]', ...m);
if (a.method !== 'lora' && a.method !== 'full') throw new Error('--method must be lora or full');
if (!a.config) throw new Error('--config <HF config.json> is required');
if (a.precision !== 'fp32' && a.precision !== 'bf16') throw new Error('--precision must be fp32 or bf16');

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
const baseDtype = a['base-dtype'] || a.precision;
model.setPrecision({ compute: a.precision, base: baseDtype });
const device = pn.checkDevice(a.device);
await model.moveTo(device);
const { trainable, total } = model.parameterCount();
log(`method=${a.method} trainable=${trainable} total=${total} threads=${pn.info().threads} torch=${pn.info().torchVersion}`);

const batchSize = Number(a.batch);
const seqLen = Number(a.seq);
// The same timing loop as `peft-native bench` (random tokens from mulberry32, labels = inputs, as the HF script).
const { stepTimesMs: times, losses } = await timeTrainingSteps(
  model,
  { batchSize, seqLen, ...(Number(a['target-len']) > 0 ? { targetLen: Number(a['target-len']) } : {}), steps: Number(a.steps), warmup: Number(a.warmup), seed: Number(a.seed), lr: Number(a.lr), label: a.method, precision: a.precision, labels: a.labels },
  log,
);
const cuda = device === 'cpu' ? null : pn.cudaMemory(device);
const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
const result = {
  tool: 'peft-native',
  method: a.method,
  gradientCheckpointing: a['gradient-checkpointing'],
  stepTimesMs: times.map((t) => Math.round(t * 1000) / 1000),
  tokensPerStep: batchSize * seqLen,
  peakRssMb: mb(peakRssBytes()),
  peakCudaAllocatedMb: cuda ? mb(cuda.peakAllocatedBytes) : null,
  peakCudaReservedMb: cuda ? mb(cuda.peakReservedBytes) : null,
  device,
  precision: a.precision,
  baseDtype: a.method === 'lora' ? baseDtype : 'fp32',
  labels: a.labels,
  trainable,
  total,
  torch: pn.info().torchVersion,
  threads: pn.info().threads,
  batch: batchSize,
  seq: seqLen,
  targetLen: config.modelType === 't5' ? Number(a['target-len']) || Math.max(1, Math.floor(seqLen / 8)) : null,
  losses: losses.map((l) => Math.round(l * 1e5) / 1e5),
  cpuAllocator: pn.cpuMemory(),
};
process.stdout.write(JSON.stringify(result) + '\n');
