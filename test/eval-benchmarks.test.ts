// `peft-native eval --benchmark` through the compiled CLI on the committed benchmark samples
// (test/fixtures/benchmarks) with the built-in tiny model: the files written, and each answer recomputed here from
// independent calls (the native scorer on the prompt tokens, the metrics from the predictions), so the wiring
// between prompts, scoring or generation, extraction and metrics is checked; the benchmark modules' prompts and
// metrics themselves are checked against open-instruct in test/benchmarks-*.test.ts.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/native/binding.js';
import { loadModel } from '../src/models/load.js';
import { addonBuilt } from './helpers/addon.js';
import { compileCliIfMissing, runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/fixtures.js';

const benchDir = (name: string) => path.join(repoRoot, 'test/fixtures/benchmarks', name);
const readJsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

function evalBenchmark(name: string, dir: string, extra: string[] = []) {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), `pn-bench-${name}-`)), 'out');
  const r = runCli(['eval', '--benchmark', name, '--bench-data', dir, '--threads', '1', '--quiet', '--out', out, ...extra], { timeoutMs: 300_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { out, metrics: JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')), predictions: readJsonl(path.join(out, 'predictions.jsonl')) };
}

describe.skipIf(!addonBuilt(import.meta.filename))('peft-native eval --benchmark', () => {
  beforeAll(compileCliIfMissing);

  it('mmlu: each answer is the most likely of " A".." D" after the prompt; accuracies from the predictions', async () => {
    const { metrics, predictions } = evalBenchmark('mmlu', benchDir('mmlu'), ['--shots', '1']);
    expect(metrics).toMatchObject({ benchmark: 'mmlu', settings: { shots: 1, chatFormat: 'none' } });
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 42 });
    const letters = await Promise.all([' A', ' B', ' C', ' D'].map(async (l) => (await tokenizer.encode(l)).at(-1)!));
    for (const p of predictions.slice(0, 6)) {
      // The prompt as the model sees it: BOS first where the tokenizer adds one.
      const bos = (tokenizer as { addBos?: boolean }).addBos ? [tokenizer.bosId!] : [];
      const prompt = [...bos, ...(await tokenizer.encode(p.prompt as string))];
      const [scores] = await native().scoreContinuations(model, [{ prompt, candidates: letters.map((t) => [t]) }]);
      const logProbs = scores!.map((s) => s.logProb);
      expect(p.prediction).toBe('ABCD'[logProbs.indexOf(Math.max(...logProbs))]);
      expect(p.correct).toBe(p.prediction === p.answer);
      (p.probs as number[]).forEach((prob, i) => expect(prob).toBeCloseTo(Math.exp(logProbs[i]!), 6));
    }
    expect(metrics.metrics.average_acc).toBeCloseTo(predictions.filter((p) => p.correct).length / predictions.length, 12);
    expect(String(predictions[0]!.prompt)).toMatch(/^The following are multiple choice questions \(with answers\) about /);
  });

  it('gsm8k: generations stop at a newline, answers are their last numbers, exact match from the predictions', () => {
    const { metrics, predictions } = evalBenchmark('gsm8k', benchDir('gsm'), ['--shots', '2', '--max-instances', '3', '--max-new-tokens', '12']);
    expect(predictions).toHaveLength(3);
    // open-instruct: re.findall(r"[-+]?\d*\.\d+|\d+", output)[-1] after removing thousands commas; exact match
    // ignoring case and string.punctuation.
    const norm = (x: unknown) => String(x).toLowerCase().replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '');
    for (const p of predictions) {
      expect(String(p.output)).not.toContain('\n');
      const numbers = String(p.output).replace(/(\d),(\d)/g, '$1$2').match(/[-+]?\d*\.\d+|\d+/g);
      if (numbers) expect(p.prediction).toBe(numbers.at(-1));
    }
    expect(metrics.metrics.exact_match).toBe(predictions.filter((p) => norm(p.prediction) === norm(p.answer)).length / 3);
    expect(metrics.settings).toMatchObject({ shots: 2, maxNewTokens: 12 });
  });

  it('truthfulqa: MC1/MC2 per question, averaged; --chat-format tulu wraps the prompts', () => {
    const { metrics, predictions } = evalBenchmark('truthfulqa', benchDir('truthfulqa'), ['--chat-format', 'tulu']);
    expect(predictions.length).toBeGreaterThan(0);
    for (const key of ['MC1', 'MC2']) {
      const mean = predictions.reduce((s, p) => s + (p[key] as number), 0) / predictions.length;
      expect(metrics.metrics[key]).toBeCloseTo(mean, 12);
      for (const p of predictions) expect(p[key]).toBeGreaterThanOrEqual(0);
    }
    expect(metrics.settings.chatFormat).toBe('tulu');
  });

  it('refuses flags that do not fit, in one line with exit code 2', () => {
    const bad = (args: string[]) => runCli(['eval', ...args, '--out', path.join(os.tmpdir(), 'pn-bench-never')]);
    let r = bad(['--benchmark', 'mmlu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--benchmark mmlu needs --bench-data <dir>/);
    r = bad(['--benchmark', 'mmlu', '--bench-data', benchDir('mmlu'), '--split', 'dev', '--tasks', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tasks, --split apply to the SuperNI evaluation, not to --benchmark mmlu/);
    r = bad(['--shots', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shots applies to --benchmark evaluations/);
    r = bad(['--benchmark', 'gsm8k', '--bench-data', path.join(repoRoot, 'README.md')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--bench-data .*README\.md is not a folder/);
    r = bad(['--benchmark', 'gsm8k', '--bench-data', benchDir('mmlu')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/test\.jsonl/);
  });
});
