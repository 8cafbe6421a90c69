// `peft-native eval --benchmark` through the compiled CLI on the committed benchmark samples
// (test/fixtures/benchmarks) with the built-in tiny model: the files written, and each answer recomputed here from
// independent calls (the native scorer on the prompt tokens, the metrics from the predictions), so the wiring
// between prompts, scoring or generation, extraction and metrics is checked; the benchmark modules' prompts and
// metrics themselves are checked against open-instruct in test/benchmarks-*.test.ts.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
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

// Python's str.strip() (str.isspace characters) and open-instruct's exact match (evaluate's exact_match with
// ignore_case and ignore_punctuation: lowercase, string.punctuation removed).
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const pyStrip = (x: string) => x.replace(new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g'), '');
const noPunct = (x: string) => x.replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '');
const exactMatch = (p: string, r: string) => noPunct(p.toLowerCase()) === noPunct(r.toLowerCase()) && (noPunct(p.toLowerCase()) !== '' || p === r);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

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

  it('bbh: per-task 3-shot CoT generations stop at "\\n\\n", answers after "the answer is", exact match per task and averaged', () => {
    const { metrics, predictions } = evalBenchmark('bbh', benchDir('bbh'), ['--max-instances', '2', '--max-new-tokens', '24']);
    // Two tasks in the fixtures, two sampled examples each.
    expect(predictions.map((p) => p.task)).toEqual(['movie_recommendation', 'movie_recommendation', 'ruin_names', 'ruin_names']);
    expect(metrics).toMatchObject({ benchmark: 'bbh', instances: 4, settings: { cot: true, maxNewTokens: 24, maxInstances: 2, chatFormat: 'none' } });
    for (const p of predictions) {
      const output = String(p.output);
      expect(output).not.toContain('\n\n');
      // open-instruct: re.search(r"[t|T]he answer is (.*?)\.", output), else the whole output; stripped.
      const m = /[t|T]he answer is ([^\n]*?)\./.exec(output);
      expect(p.prediction).toBe(pyStrip(m ? m[1]! : output));
    }
    const tasks = ['movie_recommendation', 'ruin_names'];
    for (const task of tasks) {
      const ofTask = predictions.filter((p) => p.task === task);
      expect(metrics.metrics[task]).toBe(mean(ofTask.map((p) => (exactMatch(String(p.prediction), String(p.target)) ? 1 : 0))));
    }
    expect(metrics.metrics.average_exact_match).toBeCloseTo(mean(tasks.map((t) => metrics.metrics[t] as number)), 12);
    const noCot = evalBenchmark('bbh', benchDir('bbh'), ['--max-instances', '1', '--max-new-tokens', '4', '--no-cot']);
    expect(noCot.metrics.settings).toMatchObject({ cot: false, maxNewTokens: 4 });
    expect(noCot.predictions).toHaveLength(2);
  });

  it('tydiqa: one-shot GoldP per language, generations stop at "\\n", SQuAD EM/F1 per language and averaged', () => {
    const { metrics, predictions } = evalBenchmark('tydiqa', benchDir('tydiqa'), ['--max-instances', '1', '--max-new-tokens', '12']);
    const langs = ['arabic', 'english', 'finnish', 'russian', 'telugu'];
    expect(predictions.map((p) => p.lang)).toEqual(langs);
    expect(metrics).toMatchObject({ benchmark: 'tydiqa', instances: 5, settings: { shots: 1, maxNewTokens: 12, maxContextTokens: 512 } });
    // The official SQuAD v1.1 normalization: lowercase, no ASCII punctuation, no articles, whitespace collapsed.
    const words = (x: string) =>
      noPunct(x.toLowerCase())
        .replace(/(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu, ' ')
        .split(new RegExp(`[${PY_SPACE}]+`))
        .filter((w) => w !== '');
    const f1 = (p: string, r: string) => {
      const left = new Map<string, number>();
      for (const w of words(r)) left.set(w, (left.get(w) ?? 0) + 1);
      let same = 0;
      for (const w of words(p)) if ((left.get(w) ?? 0) > 0) (same++, left.set(w, left.get(w)! - 1));
      return same === 0 ? 0 : (2 * (same / words(p).length) * (same / words(r).length)) / (same / words(p).length + same / words(r).length);
    };
    for (const p of predictions) {
      expect(String(p.output)).not.toContain('\n');
      expect(p.prediction).toBe(pyStrip(String(p.output)));
      const answers = p.answers as string[];
      const em = Math.max(...answers.map((a) => (words(String(p.prediction)).join(' ') === words(a).join(' ') ? 1 : 0)));
      expect(metrics.metrics[`${p.lang}/exact_match`]).toBeCloseTo(100 * em, 10);
      expect(metrics.metrics[`${p.lang}/f1`]).toBeCloseTo(100 * Math.max(...answers.map((a) => f1(String(p.prediction), a))), 10);
    }
    for (const m of ['exact_match', 'f1']) expect(metrics.metrics[`average/${m}`]).toBeCloseTo(mean(langs.map((l) => metrics.metrics[`${l}/${m}`] as number)), 10);
  });

  it('humaneval: n sampled completions per problem cut at the stop sequences, run only with --allow-code-execution; pass@1 from the per-sample results', () => {
    const dir = benchDir('humaneval');
    // Without the opt-in: one line, exit code 2, nothing generated or written.
    const never = path.join(os.tmpdir(), `pn-bench-humaneval-refused-${process.pid}`);
    const refused = runCli(['eval', '--benchmark', 'humaneval', '--bench-data', dir, '--out', never]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^error: HumanEval runs the Python code the model writes .*pass --allow-code-execution/);
    expect(existsSync(never)).toBe(false);

    const { metrics, predictions } = evalBenchmark('humaneval', dir, ['--allow-code-execution', '--max-instances', '2', '--samples', '2', '--max-new-tokens', '8', '--temperature', '1']);
    expect(metrics).toMatchObject({ benchmark: 'humaneval', instances: 2, settings: { samples: 2, temperature: 1, topP: 0.95, samplingSeed: 42, maxNewTokens: 8 } });
    expect(typeof metrics.execution.python).toBe('string');
    expect(predictions).toHaveLength(4);
    const stops = ['\nclass', '\ndef', '\n#', '\nif', '\nprint'];
    const byTask = new Map<string, Array<Record<string, unknown>>>();
    for (const p of predictions) {
      const output = String(p.output);
      const cut = Math.min(...stops.map((s) => (output.includes(s) ? output.indexOf(s) : output.length)));
      expect(p.completion).toBe(output.slice(0, cut));
      expect(typeof p.passed).toBe('boolean');
      expect(p.passed).toBe(p.status === 'passed');
      byTask.set(String(p.task_id), [...(byTask.get(String(p.task_id)) ?? []), p]);
    }
    expect([...byTask.values()].map((samples) => samples.map((p) => p.sample))).toEqual([[0, 1], [0, 1]]);
    // Each copy of a prompt samples from its own generator: at temperature 1 the copies differ.
    expect([...byTask.values()].some(([a, b]) => a!.output !== b!.output)).toBe(true);
    // The unbiased estimator 1 - C(n-c, k) / C(n, k), averaged over problems.
    const choose = (n: number, k: number) => (k > n ? 0 : Array.from({ length: k }, (_, i) => (n - i) / (i + 1)).reduce((a, b) => a * b, 1));
    const passAt = (k: number) => mean([...byTask.values()].map((s) => 1 - choose(s.length - s.filter((p) => p.passed).length, k) / choose(s.length, k)));
    expect(metrics.metrics['pass@1']).toBeCloseTo(passAt(1), 12);
    expect(Object.keys(metrics.metrics)).toEqual(['pass@1']); // pass@5 and pass@10 need at least 5 and 10 samples
  });

  it("alpaca_eval: greedy outputs in AlpacaEval's model outputs file (records in order, output and generator replaced), no judge", () => {
    const dir = benchDir('alpaca_eval');
    const { out, metrics, predictions } = evalBenchmark('alpaca_eval', dir, ['--max-instances', '3', '--max-new-tokens', '6']);
    expect(metrics).toMatchObject({ benchmark: 'alpaca_eval', instances: 3, metrics: {}, settings: { maxNewTokens: 6, generator: 'builtin-tiny-greedy-long' } });
    expect(metrics.notes.join(' ')).toMatch(/no judge runs here/);
    const records = JSON.parse(readFileSync(path.join(dir, 'alpaca_eval.json'), 'utf8')) as Array<Record<string, unknown>>;
    const written = JSON.parse(readFileSync(path.join(out, 'builtin-tiny-greedy-long-output.json'), 'utf8')) as Array<Record<string, unknown>>;
    expect(written).toHaveLength(3);
    written.forEach((w, i) => {
      expect(Object.keys(w)).toEqual(Object.keys(records[i]!));
      expect(w).toEqual({ ...records[i], output: predictions[i]!.output, generator: 'builtin-tiny-greedy-long' });
      expect(predictions[i]).toMatchObject({ index: i, instruction: records[i]!.instruction, dataset: records[i]!.dataset });
    });
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
    r = bad(['--benchmark', 'mmlu', '--bench-data', benchDir('mmlu'), '--samples', '4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--samples applies to --benchmark humaneval, not to --benchmark mmlu/);
    r = bad(['--benchmark', 'tydiqa', '--bench-data', benchDir('tydiqa'), '--no-cot']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--no-cot applies to --benchmark bbh, not to --benchmark tydiqa/);
    r = bad(['--allow-code-execution']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--allow-code-execution applies to --benchmark evaluations/);
    r = bad(['--benchmark', 'tydiqa', '--bench-data', benchDir('tydiqa'), '--max-new-tokens', '2048']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-new-tokens 2048 leaves no room for a prompt/);
    r = bad(['--benchmark', 'gsm8k', '--bench-data', benchDir('mmlu')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/test\.jsonl/);
  });
});
