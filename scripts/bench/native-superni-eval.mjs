// One side of scripts/bench/superni-eval.mjs: peft-native's generation of a prepared SuperNI evaluation
// (token ids in, token ids out), greedy, through generateTokens (src/eval/generate.ts) as `peft-native eval`
// runs it. Writes {rows: [[new ids without EOS], ...], stoppedAtEos: [...]} to --out and prints one JSON line
// {tool, generateMs, ...}. --min-shared-prefix N sets continuous batching's prefix sharing (0: off; default the
// library's); continuous runs then count the prompt tokens it reused, in a second untimed call of one new token.
//
//   node scripts/bench/native-superni-eval.mjs --model <HF dir> --prompts <prepared.json> --out <ids.json>
//       [--batching continuous|fixed] [--min-shared-prefix N] [--batch 16] [--threads 2] [--device cpu|cuda|cuda:N]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { native } from '../../dist/native/binding.js';
import { loadModelWeights } from '../../dist/models/load.js';
import { generateTokens, leftPad } from '../../dist/eval/generate.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    prompts: { type: 'string' },
    out: { type: 'string' },
    batching: { type: 'string', default: 'continuous' },
    'min-shared-prefix': { type: 'string' },
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
const sharing = a['min-shared-prefix'] === undefined ? {} : { minSharedPrefix: Number(a['min-shared-prefix']) };
const t0 = performance.now();
const out = await generateTokens(model, prepared.prompts, {
  maxNewTokens: prepared.maxNewTokens,
  eosTokenIds: [prepared.eosId],
  padTokenId: prepared.padId,
  batchSize: Number(a.batch),
  batching: a.batching,
  ...sharing,
});
const generateMs = performance.now() - t0;
writeFileSync(a.out, JSON.stringify({ rows: out.map((g) => g.tokens), stoppedAtEos: out.map((g) => g.stoppedAtEos) }));
// Untimed: how many prompt tokens continuous batching took from shared prefixes (the prefills as above, one new token).
const reusedPromptTokens =
  a.batching === 'continuous'
    ? (await native().generateContinuous(model, leftPad(prepared.prompts, prepared.padId), { maxNewTokens: 1, padTokenId: prepared.padId, slots: Number(a.batch), ...sharing })).reusedPromptTokens
    : 0;
console.log(JSON.stringify({ tool: `peft-native ${a.batching}`, generateMs, reusedPromptTokens, threads: Number(a.threads), torch: native().info().torchVersion, cpuAllocator: native().cpuMemory() }));
