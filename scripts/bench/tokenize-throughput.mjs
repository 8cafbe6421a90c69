// Data pipeline throughput (uses dist/: run `npx tsc -p tsconfig.json` first; no addon needed):
//   1. tokenization: SuperNI task files -> prompts -> token ids + labels (loadTrainingData), tokens/s;
//   2. Arrow: the tokenized table written as an IPC file and read back (tableToArrowFile / tableFromArrowFile), tokens/s;
//   3. batches: collation (padded and packed) tokens/s, and the overhead between "batch ready" and "step
//      started" when the loop consumes the prefetcher while a simulated step (--step-ms) runs.
// Prints one JSON line on stdout; progress on stderr.
//   node scripts/bench/tokenize-throughput.mjs --tasks assets/superni-mini/tasks --tokenizer test/fixtures/hf/fake_gpt2
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadTokenizer } from '../../dist/tokenizer/load.js';
import { loadTrainingData } from '../../dist/data/sources.js';
import { tableFromArrowFile, tableToArrowFile, toColumns } from '../../dist/data/arrow-table.js';
import { BatchSource, prefetch } from '../../dist/data/batch-source.js';

const { values: a } = parseArgs({
  options: {
    tasks: { type: 'string' },
    tokenizer: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    'instances-per-task': { type: 'string', default: '100' },
    'batch-size': { type: 'string', default: '8' },
    'step-ms': { type: 'string', default: '50' },
    steps: { type: 'string', default: '100' },
  },
});
if (!a.tasks || !a.tokenizer) throw new Error('--tasks <folder of SuperNI task files> and --tokenizer <folder with tokenizer.json> are required');
const log = (...m) => console.error('[tokenize-throughput]', ...m);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const repeats = Number(a.repeats);

const tokenizer = await loadTokenizer(a.tokenizer);
const options = { instancesPerTask: Number(a['instances-per-task']) };

// 1. Tokenization (reading + prompt building + encodeBatch + encoding), end to end.
const tokenizeSec = [];
let data;
for (let i = 0; i < repeats; i++) {
  const t0 = performance.now();
  data = await loadTrainingData(`superni:${a.tasks}`, tokenizer, options);
  tokenizeSec.push((performance.now() - t0) / 1000);
}
const tokens = data.summary.tokens;
log(`tokenized ${data.summary.examples} examples, ${tokens} tokens: median ${median(tokenizeSec).toFixed(3)} s`);

// 2. Arrow IPC write + read (through the file system).
const dir = mkdtempSync(path.join(os.tmpdir(), 'arrow-bench-'));
const file = path.join(dir, 'data.arrow');
const writeSec = [];
const readSec = [];
let bytes = 0;
for (let i = 0; i < repeats; i++) {
  let t0 = performance.now();
  const table = toColumns(data.examples, 'train');
  const ipc = tableToArrowFile(table, { summary: data.summary });
  writeFileSync(file, ipc);
  writeSec.push((performance.now() - t0) / 1000);
  bytes = ipc.byteLength;
  t0 = performance.now();
  const back = tableFromArrowFile(readFileSync(file), file);
  readSec.push((performance.now() - t0) / 1000);
  if (back.table.examples.length !== data.examples.length) throw new Error('Arrow read-back lost rows');
}
rmSync(dir, { recursive: true, force: true });
log(`Arrow: ${bytes} bytes, write median ${median(writeSec).toFixed(4)} s, read median ${median(readSec).toFixed(4)} s`);

// 3. Collation and the prefetcher's hand-over while a simulated step runs.
const batchSize = Number(a['batch-size']);
const collate = {};
for (const [name, source] of [
  ['padded', new BatchSource(data.examples, { batchSize, padId: tokenizer.padId, seed: 1 })],
  ['packed', new BatchSource(data.examples, { batchSize, padId: tokenizer.padId, seed: 1, packing: { maxTokens: 1152 } })],
]) {
  const t0 = performance.now();
  let real = 0;
  let slots = 0;
  for (let e = 0; e < repeats; e++) for (const b of source.batches(e)) (real += b.realTokens), (slots += b.batchSize * b.seqLen);
  const sec = (performance.now() - t0) / 1000;
  collate[name] = { tokensPerSec: Math.round(real / sec), paddingFraction: +(1 - real / slots).toFixed(4) };
}
const stepMs = Number(a['step-ms']);
const source = new BatchSource(data.examples, { batchSize, padId: tokenizer.padId, seed: 1 });
function* endless() {
  for (let e = 0; ; e++) yield* source.batches(e);
}
const waits = [];
let n = 0;
const batches = prefetch(endless());
for (;;) {
  const asked = performance.now();
  const { value } = await batches.next();
  waits.push(performance.now() - asked); // batch ready -> step can start
  if (++n > Number(a.steps)) break;
  await new Promise((resolve) => setTimeout(resolve, stepMs, value));
}
await batches.return();
// The first batch is made on demand (nothing to overlap with yet); the rest were prefetched during a step.
const firstMs = +waits.shift().toFixed(4);
waits.sort((x, y) => x - y);
const overhead = { stepMs, firstMs, steps: waits.length, meanMs: +(waits.reduce((s, w) => s + w, 0) / waits.length).toFixed(4), p99Ms: +waits[Math.floor(0.99 * (waits.length - 1))].toFixed(4), maxMs: +waits[waits.length - 1].toFixed(4) };

console.log(
  JSON.stringify({
    examples: data.summary.examples,
    tokens,
    tokenize: { medianSec: +median(tokenizeSec).toFixed(4), tokensPerSec: Math.round(tokens / median(tokenizeSec)) },
    arrow: { bytes, writeTokensPerSec: Math.round(tokens / median(writeSec)), readTokensPerSec: Math.round(tokens / median(readSec)) },
    collate,
    batchReadyToStepStart: overhead,
  }),
);
