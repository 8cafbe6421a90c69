// Greedy generation throughput of a Llama config in peft-native: the twin of generate_throughput.py (same
// flags, same one-line JSON on stdout). Run after `npm run setup` (uses dist/ and the built addon).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { native } from '../../dist/native/binding.js';
import { parseModelConfig } from '../../dist/models/config.js';

const { values: a } = parseArgs({
  options: {
    config: { type: 'string' },
    batch: { type: 'string', default: '1' },
    prompt: { type: 'string', default: '64' },
    new: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
  },
});
if (!a.config) throw new Error('--config <HF config.json> is required');
const [batch, promptLen, newTokens, runs] = [a.batch, a.prompt, a.new, a.runs].map(Number);
const pn = native();
pn.setNumThreads(Number(a.threads));
const config = parseModelConfig(JSON.parse(readFileSync(a.config, 'utf8')), a.config);
const model = pn.Model.create(config, { seed: Number(a.seed) });
// Random prompts (no padding), no EOS: every row makes exactly `new` tokens.
let state = Number(a.seed) + 1;
const inputIds = Int32Array.from({ length: batch * promptLen }, () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return 3 + (state % (config.vocabSize - 3));
});
const once = async () => {
  const out = await pn.generate(model, { inputIds, batchSize: batch, seqLen: promptLen }, { maxNewTokens: newTokens, eosTokenIds: [] });
  if (out.steps !== newTokens) throw new Error(`ran ${out.steps} steps, expected ${newTokens}`);
};
await once();
const times = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  await once();
  times.push(performance.now() - t0);
}
const median = [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)];
console.log(JSON.stringify({ tool: 'peft-native', batch, promptTokens: promptLen, newTokens, runTimesMs: times, tokensPerSec: (batch * newTokens) / (median / 1000), threads: Number(a.threads), torch: pn.info().torchVersion }));
