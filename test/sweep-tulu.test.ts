// `peft-native sweep --preset tulu --bench-data <data/eval>` end to end through the compiled CLI, shortened with
// --set: LoRA, adapters and full finetuning of the built-in tiny model on TÜLU conversations, each evaluated after
// training on the open-instruction benchmarks the folder holds (the committed MMLU, GSM8K and TruthfulQA samples);
// results.jsonl carries each run's scores as its own metrics files have them, and `report` puts them in the
// finding-5 table beside the claim.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonBuilt } from './helpers/addon.js';
import { compileCliIfMissing, runCli, runCliAsync } from './helpers/cli.js';
import { realFixturesDir } from './helpers/real-data.js';
import { repoRoot } from './helpers/fixtures.js';

const tuluDir = path.join(realFixturesDir, 'data', 'tulu');
const tuluFile = path.join(tuluDir, readdirSync(tuluDir).find((f) => f.endsWith('.jsonl'))!);
const SHORT = ['--set', 'epochs=1', '--set', 'batch-size=4', '--set', 'grad-accum=1', '--set', 'max-length=128', '--set', 'lr=0.01'];
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe.skipIf(!addonBuilt(import.meta.filename))('peft-native sweep --preset tulu', () => {
  it('trains full, LoRA and adapters on TÜLU data, scores each on the benchmarks, and reports finding 5 with the numbers', async () => {
    compileCliIfMissing();
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-sweep-tulu-')), 'tulu');
    const benchRoot = path.join(repoRoot, 'test/fixtures/benchmarks');
    const r = await runCliAsync(['sweep', '--preset', 'tulu', '--model', 'builtin:tiny', '--data', `tulu:${tuluFile}`, '--bench-data', benchRoot, ...SHORT, '--workers', '2', '--quiet', '--out', out], { timeoutMs: 900_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((row) => row.method).sort()).toEqual(['adapter', 'full', 'lora']);
    for (const row of rows) {
      expect(row.status).toBe('completed');
      const bench = JSON.parse(row.benchmarks);
      expect(Object.keys(bench).sort()).toEqual(['gsm8k', 'mmlu', 'truthfulqa']);
      // The scores as the run's own evaluation files have them (headline metrics only).
      const runDir = path.join(out, 'runs', row.id);
      expect(bench.mmlu.average_acc).toBe(readJson(path.join(runDir, 'bench-mmlu', 'metrics.json')).metrics.average_acc);
      expect(bench.gsm8k.exact_match).toBe(readJson(path.join(runDir, 'bench-gsm8k', 'metrics.json')).metrics.exact_match);
      expect(readJson(path.join(runDir, 'bench-truthfulqa', 'metrics.json')).settings.chatFormat).toBe('tulu');
      expect(Object.keys(bench.mmlu).some((k) => k.includes('/'))).toBe(false);
    }
    const report = runCli(['report', out], { timeoutMs: 120_000 });
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    const page = readdirSync(path.join(out, 'report')).filter((f) => f.endsWith('.md')).map((f) => readFileSync(path.join(out, 'report', f), 'utf8')).join('\n');
    expect(page).toMatch(/\| method \| gsm8k \(exact_match\) \| mmlu \(average_acc\) \| truthfulqa \(MC2\) \|/);
    const full = rows.find((row) => row.method === 'full');
    expect(page).toContain(`| full | ${JSON.parse(full.benchmarks).gsm8k.exact_match.toFixed(3)} (n=1)`);
  }, 900_000);
});
