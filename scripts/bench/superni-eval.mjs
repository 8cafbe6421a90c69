#!/usr/bin/env node
// SuperNI evaluation at batch 16: peft-native's continuous batching (generateTokens, as `peft-native eval` runs
// it) vs HF transformers `generate` in fixed left-padded batches of 16 (the prompts sorted as ours, longest
// first), greedy, 128 new tokens at most, on the same checkpoint; then the same scoring (the official metrics,
// src/eval/metrics) of both outputs. Each round runs both in fresh processes, alternating which goes first.
//
//   node scripts/bench/superni-eval.mjs --model <HF checkpoint dir with tokenizer.json>
//       [--data superni:assets/superni-mini] [--instances 1000] [--batch 16] [--new 128] [--rounds 2]
//       [--threads 2] [--native-fixed] [--native-unshared] [--python .venv/bin/python] [--device cpu|cuda|cuda:N]
//
// The prompts: the `test` split of --data (every task of the folder), the first instances of each task in file
// order, prompted exactly as `peft-native eval` prompts them (buildEvalInstances) and encoded as generateTexts
// encodes them; the first --instances of them. The checkpoint must end its answers with EOS as a finetuned
// model does (BENCHMARKS.md says how the one measured there was trained), or every row runs to --new tokens.
// --native-fixed adds peft-native's own fixed batches (batching 'fixed') as a column; --native-unshared adds
// continuous batching with every prompt computed whole (no shared prefixes, minSharedPrefix 0).
// Prints a Markdown table: wall time of generation + scoring (median over rounds), new tokens/s, and how many
// rows' ids differ from HF's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../dist/models/load.js';
import { buildEvalInstances } from '../../dist/eval/superni-eval.js';
import { encodePrompts } from '../../dist/eval/generate.js';
import { scoreInstance, aggregateScores } from '../../dist/eval/metrics/index.js';
import { maxPositions } from '../../dist/models/config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string', default: 'superni:' + path.join(root, 'assets', 'superni-mini', 'tasks') },
    instances: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '16' },
    new: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    'native-fixed': { type: 'boolean', default: false },
    'native-unshared': { type: 'boolean', default: false },
    device: { type: 'string', default: 'cpu' },
    python: { type: 'string', default: path.join(root, '.venv', 'bin', 'python') },
  },
});
if (!a.model) throw new Error('--model <HF checkpoint dir> is required');
const instancesWanted = Number(a.instances);

// Prepare the prompts once: both tools read the same ids.
const { tokenizer, model } = await loadModel(a.model);
const config = model.config();
const tasks = Number((await buildEvalInstances(tokenizer, { data: a.data, split: 'test', maxInstances: 1 })).length);
const instances = (await buildEvalInstances(tokenizer, { data: a.data, split: 'test', maxInstances: Math.ceil(instancesWanted / tasks) })).slice(0, instancesWanted);
const addBos = tokenizer.addBos === true;
const maxNewTokens = Number(a.new);
const maxPromptTokens = Math.min(1024, maxPositions(config) - maxNewTokens + 1);
const encoded = await encodePrompts(instances.map((i) => i.prompt), tokenizer, { addBos, maxPromptTokens });
const work = mkdtempSync(path.join(os.tmpdir(), 'superni-eval-bench-'));
const promptsFile = path.join(work, 'prompts.json');
writeFileSync(promptsFile, JSON.stringify({ prompts: encoded.map((e) => e.ids), eosId: tokenizer.eosId, padId: tokenizer.padId, maxNewTokens }));
const promptTokens = encoded.map((e) => e.ids.length);
console.error(`${instances.length} instances of ${tasks} tasks; prompt tokens ${Math.min(...promptTokens)}..${Math.max(...promptTokens)}, ${promptTokens.reduce((x, y) => x + y, 0)} in all; ${work}`);

function runTool(tool) {
  const out = path.join(work, `${tool}.json`);
  const flags = ['--model', a.model, '--prompts', promptsFile, '--out', out, '--batch', a.batch, '--threads', a.threads, '--device', a.device];
  const [cmd, args] =
    tool === 'hf'
      ? [a.python, [path.join(here, 'superni_eval_hf.py'), ...flags]]
      : [process.execPath, [path.join(here, 'native-superni-eval.mjs'), ...flags, '--batching', tool === 'native-fixed' ? 'fixed' : 'continuous', ...(tool === 'native-unshared' ? ['--min-shared-prefix', '0'] : [])]];
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${tool} failed with exit ${r.status}`);
  const line = JSON.parse(r.stdout.trim().split('\n').pop());
  const ids = JSON.parse(readFileSync(out, 'utf8'));
  // Scoring as evaluateSuperNI scores: decode, then the official metrics per instance and their means.
  const t0 = performance.now();
  const predictions = ids.rows.map((row) => tokenizer.decode(row, { skipSpecialTokens: true }));
  const scores = instances.map((inst, i) => ({ task: inst.task, category: inst.category, scores: scoreInstance(predictions[i], inst.references) }));
  const overall = aggregateScores(scores).overall;
  const scoreMs = performance.now() - t0;
  return { generateMs: line.generateMs, reusedPromptTokens: line.reusedPromptTokens ?? 0, scoreMs, ids, overall };
}

const tools = ['native', 'hf', ...(a['native-fixed'] ? ['native-fixed'] : []), ...(a['native-unshared'] ? ['native-unshared'] : [])];
const runs = Object.fromEntries(tools.map((t) => [t, []]));
for (let round = 0; round < Number(a.rounds); round++) {
  const order = round % 2 === 0 ? tools : [...tools].reverse();
  for (const tool of order) {
    const r = runTool(tool);
    runs[tool].push(r);
    console.error(`round ${round + 1} ${tool}: generate ${(r.generateMs / 1000).toFixed(1)} s, score ${r.scoreMs.toFixed(0)} ms`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const hfIds = runs.hf[0].ids;
const newTokens = (ids) => ids.rows.reduce((n, row, i) => n + row.length + (ids.stoppedAtEos[i] ? 1 : 0), 0);
const label = {
  native: 'peft-native, continuous batching, shared prefixes',
  hf: 'HF generate, fixed padded batches',
  'native-fixed': 'peft-native, fixed padded batches',
  'native-unshared': 'peft-native, continuous batching, every prompt whole',
};
const totals = {};
console.log(`| tool | generation + scoring (s) | of which scoring (s) | new tokens | new tokens/s | rows hitting ${maxNewTokens} | rows differing from HF | rougeL | exact match |`);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const tool of tools) {
  const rs = runs[tool];
  const total = median(rs.map((r) => r.generateMs + r.scoreMs)) / 1000;
  totals[tool] = total;
  const ids = rs[0].ids;
  const tokens = newTokens(ids);
  const differ = ids.rows.filter((row, i) => JSON.stringify(row) !== JSON.stringify(hfIds.rows[i]) || ids.stoppedAtEos[i] !== hfIds.stoppedAtEos[i]).length;
  const unstable = rs.some((r) => JSON.stringify(r.ids) !== JSON.stringify(ids)) ? ' (ids changed between rounds!)' : '';
  const hit = ids.stoppedAtEos.filter((s) => !s).length;
  const o = rs[0].overall;
  console.log(`| ${label[tool]} | ${total.toFixed(1)} | ${(median(rs.map((r) => r.scoreMs)) / 1000).toFixed(2)} | ${tokens} | ${(tokens / total).toFixed(1)} | ${hit} | ${differ}${unstable} | ${o.rougeL.toFixed(2)} | ${o.exactMatch.toFixed(2)} |`);
}
console.log(`\nHF / peft-native continuous: ${(totals.hf / totals.native).toFixed(2)}x (${instances.length} instances, ${promptTokens.reduce((x, y) => x + y, 0)} prompt tokens, ${runs.native[0].reusedPromptTokens} of them taken from shared prefixes, batch ${a.batch}, ${a.rounds} rounds, ${a.threads} threads; per round: ${tools.map((t) => `${t} ${runs[t].map((r) => ((r.generateMs + r.scoreMs) / 1000).toFixed(1)).join('/')} s`).join(', ')})`);
