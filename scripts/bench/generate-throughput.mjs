#!/usr/bin/env node
// Generation throughput: peft-native (native-generate.mjs) vs HF transformers generate
// (generate_throughput.py) on the same libtorch, greedy, no EOS, at each batch size.
//
//   node scripts/bench/generate-throughput.mjs [--config scripts/bench/configs/llama-small.json]
//       [--batches 1,16] [--prompt 64] [--new 32] [--runs 3] [--rounds 2] [--threads 2]
//       [--python .venv/bin/python]
//
// Each round runs both tools in fresh processes, alternating which goes first; prints a Markdown table
// (median tokens/s over all timed calls of all rounds). Needs `npm run setup` (dist/ + addon).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const { values: a } = parseArgs({
  options: {
    config: { type: 'string', default: path.join(here, 'configs', 'llama-small.json') },
    batches: { type: 'string', default: '1,16' },
    prompt: { type: 'string', default: '64' },
    new: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    python: { type: 'string', default: path.join(root, '.venv', 'bin', 'python') },
  },
});

function runTool(tool, batch) {
  const flags = ['--config', a.config, '--batch', String(batch), '--prompt', a.prompt, '--new', a.new, '--runs', a.runs, '--threads', a.threads];
  const [cmd, args] = tool === 'hf' ? [a.python, [path.join(here, 'generate_throughput.py'), ...flags]] : [process.execPath, [path.join(here, 'native-generate.mjs'), ...flags]];
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${tool} (batch ${batch}) failed with exit ${r.status}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const rows = [];
for (const batch of a.batches.split(',').map(Number)) {
  const times = { hf: [], 'peft-native': [] };
  for (let round = 0; round < Number(a.rounds); round++) {
    const order = round % 2 === 0 ? ['peft-native', 'hf'] : ['hf', 'peft-native'];
    for (const tool of order) times[tool].push(...runTool(tool, batch).runTimesMs);
  }
  const tps = (tool) => (batch * Number(a.new)) / (median(times[tool]) / 1000);
  rows.push({ batch, native: tps('peft-native'), hf: tps('hf'), nativeMs: median(times['peft-native']), hfMs: median(times.hf) });
}
console.log(`| batch | prompt | new tokens | peft-native tok/s | HF generate tok/s | native / HF |`);
console.log(`|---:|---:|---:|---:|---:|---:|`);
for (const r of rows) console.log(`| ${r.batch} | ${a.prompt} | ${a.new} | ${r.native.toFixed(1)} | ${r.hf.toFixed(1)} | ${(r.native / r.hf).toFixed(2)}x |`);
