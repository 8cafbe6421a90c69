// Scoring speed of the SuperNI metrics (exact match + ROUGE-L + ROUGE-1 per pair). Run after
// `npx tsc -p tsconfig.json` (uses dist/): node scripts/bench/score-metrics.mjs [tasks dir] [tulu .jsonl]
// (default assets/superni-mini/tasks/*.json and test/fixtures/data/tulu/tulu_human_eval_messages.jsonl)
// Two sets of 10,000 (prediction, reference) pairs: short ones (SuperNI outputs against each other) and
// long ones (windows of ~100 words of TÜLU texts). "cold" starts with an empty stem cache.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scoreInstance } from '../../dist/eval/metrics/index.js';
import { mulberry32, randomInt } from '../../dist/data/seeded-random.js';
import { parsePythonJson } from '../../dist/data/superni/task.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tasksDir = process.argv[2] ?? path.join(root, 'assets/superni-mini/tasks');
const tuluFile = process.argv[3] ?? path.join(root, 'test/fixtures/data/tulu/tulu_human_eval_messages.jsonl');
const random = mulberry32(1);
const pick = (items) => items[randomInt(random, items.length)];

const outputs = readdirSync(tasksDir).filter((f) => f.endsWith('.json')).flatMap((f) =>
  parsePythonJson(readFileSync(path.join(tasksDir, f), 'utf8'), f).Instances.flatMap((i) => i.output));
const tulu = readFileSync(tuluFile, 'utf8').split('\n').filter(Boolean)
  .flatMap((line) => JSON.parse(line).messages.map((m) => m.content.split(/\s+/)));
const windowOf = (words) => { const s = randomInt(random, Math.max(1, words.length - 100)); return words.slice(s, s + 100).join(' '); };

const sets = {
  short: Array.from({ length: 10_000 }, () => [pick(outputs), pick(outputs)]),
  long: Array.from({ length: 10_000 }, () => [windowOf(pick(tulu)), windowOf(pick(tulu))]),
};
for (const [name, pairs] of Object.entries(sets)) {
  for (const pass of ['cold', 'warm']) {
    const start = process.hrtime.bigint();
    let sum = 0;
    for (const [prediction, reference] of pairs) sum += scoreInstance(prediction, [reference]).rougeL;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`${name} ${pass}: 10000 pairs in ${ms.toFixed(0)} ms (mean ROUGE-L ${(100 * sum / pairs.length).toFixed(2)})`);
  }
}
