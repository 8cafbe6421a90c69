// One side of scripts/bench/superni-eval.mjs: peft-native's generation of a prepared SuperNI evaluation
// (token ids in, token ids out), greedy, through generateTokens (src/eval/generate.ts) as `peft-native eval`
// runs it. Prints one JSON line: {tool, generateMs, rows: [[new ids without EOS], ...], stoppedAtEos: [...]}.
//
//   node scripts/bench/native-superni-eval.mjs --model <HF dir> --prompts <prepared.json> [--batching continuous|fixed]
//       [--batch 16] [--threads 2] [--device cpu|cuda|cuda:N]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { native } from '../../dist/native/binding.js';
import { loadModelWeights } from '../../dist/models/load.js';
import { generateTokens } from '../../dist/eval/generate.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    prompts: { type: 'string' },
    out: { type: 'string' },
    batching: { type: 'string', default: 'continuous' },
    batch: { type: 'string', default: '16' },
    threads: { type: 'string', default: '2' },
    device: { type: 'string', default: 'cpu' },
  },
});
if (!a.model || !a.prompts || !a.out) throw new Error('--model, --prompts and --out are required');
native().setNumThreads(Number(a.threads));
const prepared = JSON.parse(readFileSync(a.prompts, 'utf8'));
const { model } = await loadModelWeights(a.model);
await model.moveTo(native().checkDevice(a.device));
const t0 = performance.now();
const out = await generateTokens(model, prepared.prompts, {
  maxNewTokens: prepared.maxNewTokens,
  eosTokenIds: [prepared.eosId],
  padTokenId: prepared.padId,
  batchSize: Number(a.batch),
  batching: a.batching,
});
const generateMs = performance.now() - t0;
writeFileSync(a.out, JSON.stringify({ rows: out.map((g) => g.tokens), stoppedAtEos: out.map((g) => g.stoppedAtEos) }));
console.log(JSON.stringify({ tool: `peft-native ${a.batching}`, generateMs, threads: Number(a.threads), torch: native().info().torchVersion, cpuAllocator: native().cpuMemory() }));
