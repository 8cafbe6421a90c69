// `train --eval-times K --eval-benchmark <name>` (the TÜLU experiments' in-training evaluation) through the
// compiled CLI: TÜLU conversations train the built-in tiny model, MMLU's samples are evaluated at the K steps with
// TÜLU-wrapped prompts, the headline metrics go to metrics.jsonl, and the best checkpoint is the one with the best
// chosen metric.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addonBuilt } from './helpers/addon.js';
import { compileCliIfMissing, runCli } from './helpers/cli.js';
import { realFixturesDir } from './helpers/real-data.js';
import { repoRoot } from './helpers/fixtures.js';

const tuluDir = path.join(realFixturesDir, 'data', 'tulu');
const tuluFile = path.join(tuluDir, readdirSync(tuluDir).find((f) => f.endsWith('.jsonl'))!);
const mmluDir = path.join(repoRoot, 'test/fixtures/benchmarks/mmlu');
const readJsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const TRAIN = ['train', '--model', 'builtin:tiny', '--data', `tulu:${tuluFile}`, '--steps', '4', '--batch-size', '2', '--max-length', '128', '--lr', '1e-2', '--threads', '1', '--no-cache', '--quiet'];

describe.skipIf(!addonBuilt(import.meta.filename))('train --eval-times with --eval-benchmark', () => {
  beforeAll(compileCliIfMissing);

  it('evaluates MMLU at the K steps on TÜLU-wrapped prompts and keeps the best checkpoint by the chosen metric', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-train-bench-')), 'run');
    const r = runCli([...TRAIN, '--eval-times', '2', '--eval-benchmark', 'mmlu', '--bench-data', mmluDir, '--eval-max-instances', '2', '--eval-metric', 'macro_acc', '--out', out], { timeoutMs: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const evals = readJsonl(path.join(out, 'metrics.jsonl')).filter((m) => 'eval_average_acc' in m);
    expect(evals.map((m) => m.step)).toEqual([2, 4]);
    for (const m of evals) {
      // Headline metrics only; the breakdown is in the evaluation's own metrics.json.
      expect(Object.keys(m).filter((k) => k.startsWith('eval_')).sort()).toEqual(['eval_average_acc', 'eval_macro_acc']);
      const dev = JSON.parse(readFileSync(path.join(out, 'dev', `step-${m.step}`, 'metrics.json'), 'utf8'));
      expect(dev).toMatchObject({ benchmark: 'mmlu', step: m.step, settings: { chatFormat: 'tulu', maxInstances: 2 } });
      expect(dev.metrics.macro_acc).toBe(m.eval_macro_acc);
      const predictions = readJsonl(path.join(out, 'dev', `step-${m.step}`, 'predictions.jsonl'));
      expect(String(predictions[0]!.prompt)).toMatch(/^<\|user\|>\nThe following are multiple choice questions/);
      expect(String(predictions[0]!.prompt)).toMatch(/<\|assistant\|>\nThe answer is:$/);
    }
    const top = Math.max(...evals.map((m) => m.eval_macro_acc as number));
    const best = JSON.parse(readFileSync(path.join(out, 'checkpoints', 'best.json'), 'utf8'));
    expect(best).toMatchObject({ step: evals.find((m) => m.eval_macro_acc === top)!.step, metric: 'macro_acc', value: top, greaterIsBetter: true });
    expect(JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8')).options.evaluation).toMatchObject({ times: 2, benchmark: 'mmlu', metric: 'macro_acc' });

    // `eval --run` of the run wraps the prompts in the format it trained in (TÜLU), unless told otherwise.
    const evalOut = path.join(path.dirname(out), 'eval');
    const e = runCli(['eval', '--run', out, '--benchmark', 'mmlu', '--bench-data', mmluDir, '--max-instances', '1', '--threads', '1', '--quiet', '--out', evalOut], { timeoutMs: 120_000 });
    expect(e.stderr).toBe('');
    expect(e.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(evalOut, 'metrics.json'), 'utf8')).settings.chatFormat).toBe('tulu');
    expect(String(readJsonl(path.join(evalOut, 'predictions.jsonl'))[0]!.prompt)).toMatch(/^<\|user\|>\n/);
  }, 300_000);

  it('refuses combinations that cannot work, in one line with exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--eval-times', '2', '--eval-benchmark', 'mmlu'], /--eval-benchmark mmlu needs --bench-data <dir>/],
      [['--eval-times', '2', '--eval-benchmark', 'mmlu', '--bench-data', mmluDir, '--eval-metric', 'rougeL'], /--eval-metric rougeL is not a metric of mmlu \(expected average_acc or macro_acc\)/],
      [['--eval-times', '2', '--eval-benchmark', 'gsm8k', '--bench-data', mmluDir, '--test'], /--test evaluates the SuperNI test split/],
      [['--eval-times', '2', '--eval-shots', '3'], /--eval-shots needs --eval-benchmark/],
      [['--eval-times', '2', '--eval-benchmark', 'truthfulqa', '--bench-data', mmluDir, '--eval-shots', '3'], /--eval-shots does not apply to --eval-benchmark truthfulqa/],
      [['--eval-benchmark', 'mmlu', '--bench-data', mmluDir], /--eval-benchmark, --bench-data need --eval-times K/],
      [['--eval-times', '2'], /--data tulu:.* is not SuperNI data .*or --eval-benchmark <name>/],
    ];
    for (const [args, message] of cases) {
      const r = runCli([...TRAIN, '--out', path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-train-bench-bad-')), 'run'), ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);
});
