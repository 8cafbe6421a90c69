// One rank of a data-parallel run for test/distributed.test.ts (or the whole run when WORLD_SIZE is 1): trains a
// small Llama for a few steps, each rank taking every WORLD_SIZE-th micro-batch of every step, and writes the
// losses, gradient norms and final trainable parameters as JSON to the file in argv[2].
// Environment: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (torchrun's); METHOD lora|full; DIE_AT_STEP (this
// rank exits at that step, for the failure test); DROPOUT (LoRA dropout, default 0); ZERO=1 (ZeRO-1: AdamW state sharded over the ranks);
// STEPS (default 4) and FIRST_STEP (default 0: steps before it are skipped in the batch stream); LOAD_STATE
// (comma-separated state files to resume from, rank 0's first); SAVE_STATE_DIR (each rank saves its state
// there at the end: state-<rank>.safetensors).
import { writeFileSync } from 'node:fs';

const dist = new URL('../../dist/', import.meta.url);
const { native } = await import(new URL('native/binding.js', dist).href);
const { parseModelConfig } = await import(new URL('models/config.js', dist).href);

const rank = Number(process.env.RANK ?? 0);
const worldSize = Number(process.env.WORLD_SIZE ?? 1);
const method = process.env.METHOD ?? 'lora';
const dieAt = process.env.DIE_AT_STEP === undefined ? -1 : Number(process.env.DIE_AT_STEP);
const pn = native();
pn.setNumThreads(1);
const hf = { model_type: 'llama', vocab_size: 96, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6, rope_theta: 10000 };
const model = pn.Model.create(parseModelConfig(hf, 'config.json'), { seed: 11 });
if (method === 'lora') model.applyLora({ r: 4, alpha: 8, dropout: Number(process.env.DROPOUT ?? 0), targetModules: ['q_proj', 'v_proj'], useRslora: false, init: 'kaiming', seed: 11 });
else model.enableFullFinetuning();
const trainer = new pn.Trainer(model, { weightDecay: 0.01, maxGradNorm: 1.0, ...(process.env.BUCKET_BYTES ? { bucketBytes: Number(process.env.BUCKET_BYTES) } : {}) });
if (worldSize > 1) {
  const group = new pn.ProcessGroup({ rank, worldSize, masterAddr: process.env.MASTER_ADDR, masterPort: Number(process.env.MASTER_PORT),
    timeoutMs: Number(process.env.TIMEOUT_MS ?? 60000) });
  await group.join();
  await trainer.joinProcessGroup(group, { shardOptimizerState: process.env.ZERO === '1' });
}
if (process.env.LOAD_STATE) await trainer.loadState(process.env.LOAD_STATE.split(','));

// The batches come from a seeded linear congruential stream, the same on every rank.
let state = 12345;
const next = () => (state = (state * 1103515245 + 12345) % 2147483648);
// A step's micro-batches: rows of 16 tokens whose first part is prompt (-100) and the rest answer, the answer
// length varying so each micro-batch has its own target count (the normalization is over the whole step).
function microBatch() {
  const batchSize = 2, seqLen = 16;
  const inputIds = new Int32Array(batchSize * seqLen).map(() => next() % 96);
  const labels = new Int32Array(inputIds);
  for (let r = 0; r < batchSize; r++) {
    const prompt = 2 + (next() % 12);
    for (let t = 0; t < prompt; t++) labels[r * seqLen + t] = -100;
  }
  return { inputIds, labels, batchSize, seqLen };
}
const losses = [], gradNorms = [], tokens = [], buckets = [];
const firstStep = Number(process.env.FIRST_STEP ?? 0);
const steps = Number(process.env.STEPS ?? 4);
for (let step = 0; step < firstStep + steps; step++) {
  // 3 micro-batches: ranks get unequal shares; each carries its own dropout seed, as the training loop gives it.
  const group = Array.from({ length: 3 }, (_, i) => ({ ...microBatch(), dropoutSeed: step * 3 + i }));
  if (step < firstStep) continue;
  if (step === dieAt) process.exit(3);
  const mine = group.filter((_, i) => i % worldSize === rank);
  const r = await trainer.step(mine, 1e-2);
  losses.push(r.loss);
  gradNorms.push(r.gradNorm);
  tokens.push(r.targetTokens);
  if (r.buckets !== undefined) buckets.push({ total: r.buckets, overlapped: r.bucketsOverlapped, batches: mine.length });
}
const params = Object.fromEntries(model.parameterNames({ trainableOnly: true }).map((n) => [n, Array.from(model.getParameter(n))]));
if (process.env.SAVE_STATE_DIR) await trainer.saveState(`${process.env.SAVE_STATE_DIR}/state-${rank}.safetensors`);
writeFileSync(process.argv[2], JSON.stringify({ rank, losses, gradNorms, tokens, buckets, params, optimizerState: trainer.optimizerState() }));
