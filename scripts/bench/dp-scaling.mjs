// Step time of one training step split over data-parallel CPU ranks (c10d Gloo) against one process with all the
// threads: the same global batch (SuperNI-shaped labels), each rank taking batch / nproc rows. Prints one JSON
// line per case. Run after `npm run setup` (uses dist/ and the built addon).
//   node scripts/bench/dp-scaling.mjs --config C [--method lora|full] [--batch 4] [--seq 256] [--steps 6]
//        [--warmup 2] [--threads 2 (in all)] [--nproc 1,2] [--zero 0|1 (ZeRO-1: AdamW state sharded over the ranks)]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { native } from '../../dist/native/binding.js';
import { parseModelConfig } from '../../dist/models/config.js';
import { benchLabels } from '../../dist/bench/labels.js';
import { peakRssBytes, randomTokens } from '../../dist/bench/worker.js';
import { freeLocalPort } from '../../dist/distributed/launch.js';

const { values: a } = parseArgs({
  options: {
    config: { type: 'string' },
    method: { type: 'string', default: 'lora' },
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '256' },
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    nproc: { type: 'string', default: '1,2' },
    zero: { type: 'string', default: '0' },
    worker: { type: 'boolean', default: false },
  },
});
if (!a.config) throw new Error('--config <HF config.json> is required');
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function worker() {
  const rank = Number(process.env.RANK ?? 0);
  const worldSize = Number(process.env.WORLD_SIZE ?? 1);
  const pn = native();
  pn.setNumThreads(Number(a.threads));
  const config = parseModelConfig(JSON.parse(readFileSync(a.config, 'utf8')), a.config);
  const model = pn.Model.create(config, { seed: 0 });
  if (a.method === 'lora') model.applyLora({ r: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, init: 'kaiming', seed: 0 });
  else model.enableFullFinetuning();
  const trainer = new pn.Trainer(model, { maxGradNorm: 1.0 });
  if (worldSize > 1) {
    const group = new pn.ProcessGroup({ rank, worldSize, masterAddr: '127.0.0.1', masterPort: Number(process.env.MASTER_PORT) });
    await group.join();
    await trainer.joinProcessGroup(group, { shardOptimizerState: a.zero === '1' });
  }
  const batch = Number(a.batch), seq = Number(a.seq), rows = batch / worldSize;
  // The global batch, the same on every rank; this rank takes rows [rank * rows, (rank + 1) * rows).
  const inputIds = randomTokens(batch * seq, config.vocabSize, 0);
  const labels = benchLabels(inputIds, batch, seq, 'superni');
  const mine = { inputIds: inputIds.slice(rank * rows * seq, (rank + 1) * rows * seq), labels: labels.slice(rank * rows * seq, (rank + 1) * rows * seq), batchSize: rows, seqLen: seq };
  const times = [];
  for (let i = 0; i < Number(a.warmup) + Number(a.steps); i++) {
    const t0 = performance.now();
    await trainer.step([mine], 1e-4);
    if (i >= Number(a.warmup)) times.push(performance.now() - t0);
  }
  process.stdout.write(JSON.stringify({ rank, medianMs: median(times), peakRssMb: peakRssBytes() / 2 ** 20, stateMb: trainer.optimizerState().hostBytes / 2 ** 20 }) + '\n');
}

async function runCase(nproc) {
  const port = await freeLocalPort();
  const threads = Math.max(1, Math.floor(Number(a.threads) / nproc));
  const args = [fileURLToPath(import.meta.url), '--worker', '--config', a.config, '--method', a.method, '--batch', a.batch, '--seq', a.seq,
    '--steps', a.steps, '--warmup', a.warmup, '--threads', String(threads), '--zero', a.zero];
  const ranks = await Promise.all(
    Array.from({ length: nproc }, (_, rank) => new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        env: { ...process.env, RANK: String(rank), WORLD_SIZE: String(nproc), MASTER_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`rank ${rank} exited with ${code}`))));
    })),
  );
  const ms = Math.max(...ranks.map((r) => r.medianMs));
  const tokens = Number(a.batch) * Number(a.seq);
  return { nproc, zero: Number(a.zero), threadsPerRank: threads, method: a.method, medianStepMs: Math.round(ms * 10) / 10, tokensPerSec: Math.round((tokens / ms) * 1000 * 10) / 10,
    peakRssMbAllRanks: Math.round(ranks.reduce((s, r) => s + r.peakRssMb, 0)), peakRssMbPerRank: Math.round(Math.max(...ranks.map((r) => r.peakRssMb))),
    adamStateMbPerRank: Math.round(Math.max(...ranks.map((r) => r.stateMb))) };
}

if (a.worker) {
  await worker();
} else {
  for (const n of a.nproc.split(',').map(Number)) {
    if (Number(a.batch) % n !== 0) throw new Error(`--batch ${a.batch} does not split over ${n} ranks`);
    process.stdout.write(JSON.stringify(await runCase(n)) + '\n');
  }
}
