// `peft-native train --eval-times K [--test]` through the compiled CLI on the committed SuperNI tasks: the dev
// evaluations land on the K evenly spaced steps, best.json names the step with the best dev ROUGE-L of
// metrics.jsonl, and --test's numbers equal a separate `peft-native eval` of the saved best adapter.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evalTimesSteps } from '../src/eval/eval-times.js';
import { realFixturesDir, superniTasksDir } from './helpers/real-data.js';
import { native } from '../src/native/binding.js';
import { cliPath, compileCliIfMissing, runCli } from './helpers/cli.js';
import { spawn } from 'node:child_process';

const tasksDir = superniTasksDir;

const run = (args: string[]) => runCli(args, { timeoutMs: 300_000 });

const readJsonl = (file: string): Array<Record<string, unknown>> =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

/** A split folder over the committed tasks: 9 training tasks (2 of them carved as dev), 3 test tasks. */
function splitFolder(): string {
  const names = readdirSync(tasksDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pn-evaltimes-split-'));
  writeFileSync(path.join(dir, 'train_tasks.txt'), names.slice(0, 9).join('\n') + '\n');
  writeFileSync(path.join(dir, 'test_tasks.txt'), names.slice(9, 12).join('\n') + '\n');
  return dir;
}

beforeAll(compileCliIfMissing);

describe('evalTimesSteps', () => {
  it('spaces K evaluations evenly, the last at the final step', () => {
    expect(evalTimesSteps(100, 8)).toEqual([13, 25, 38, 50, 63, 75, 88, 100]);
    expect(evalTimesSteps(6, 3)).toEqual([2, 4, 6]);
    expect(evalTimesSteps(7, 1)).toEqual([7]);
    // More evaluations than steps: every step once.
    expect(evalTimesSteps(3, 8)).toEqual([1, 2, 3]);
  });
});

describe('peft-native train --eval-times', () => {
  it('evaluates at the K steps, keeps the best dev ROUGE-L checkpoint, and --test equals a separate eval of it', async () => {
    const split = splitFolder();
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-evaltimes-')), 'run');
    const data = `superni:${tasksDir}`;
    const common = ['--model', 'builtin:tiny', '--data', data, '--split-dir', split];
    const evalFlags = ['--max-new-tokens', '3'];
    const train = run([
      'train', ...common, '--dev-tasks', '2', '--instances-per-task', '2', '--steps', '6', '--batch-size', '2', '--lr', '1e-2',
      '--eval-times', '3', '--eval-max-instances', '2', '--test', ...evalFlags, '--threads', '2', '--out', out, '--quiet',
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);

    // The dev evaluations: eval_rougeL lines at steps 2, 4, 6 (6 steps / 3), each with its predictions and a checkpoint.
    const evalLines = readJsonl(path.join(out, 'metrics.jsonl')).filter((m) => 'eval_rougeL' in m);
    expect(evalLines.map((m) => m.step)).toEqual([2, 4, 6]);
    for (const m of evalLines) {
      const dev = JSON.parse(readFileSync(path.join(out, 'dev', `step-${m.step}`, 'metrics.json'), 'utf8'));
      expect(dev.overall.rougeL).toBe(m.eval_rougeL);
      expect(Object.keys(dev.perTask)).toHaveLength(2);
    }
    // best.json: the first step with the highest dev ROUGE-L (ties go to the earlier checkpoint).
    const top = Math.max(...evalLines.map((m) => m.eval_rougeL as number));
    const bestStep = evalLines.find((m) => m.eval_rougeL === top)!.step;
    const best = JSON.parse(readFileSync(path.join(out, 'checkpoints', 'best.json'), 'utf8'));
    expect(best).toMatchObject({ step: bestStep, metric: 'rougeL', value: top, greaterIsBetter: true });
    expect(existsSync(path.join(out, 'checkpoints', `step-${bestStep}`, 'trainer_state.safetensors'))).toBe(true);

    // <out>/best holds the best checkpoint's trainable weights (its trainer state's param/<name>), not the final ones.
    const { safetensors } = native();
    const bestFile = path.join(out, 'best', 'adapter_model.safetensors');
    const stateFile = path.join(out, 'checkpoints', `step-${bestStep}`, 'trainer_state.safetensors');
    const finalFile = path.join(out, 'adapter_model.safetensors');
    const bytes = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const { tensors } = await safetensors.inspect(bestFile);
    expect(tensors.length).toBeGreaterThan(0);
    let differsFromFinal = false;
    for (const t of tensors) {
      const saved = bytes(await safetensors.readTensor(bestFile, t.name));
      expect(saved.equals(bytes(await safetensors.readTensor(stateFile, `param/${t.name.replace(/^base_model\.model\./, '')}`)))).toBe(true);
      if (!saved.equals(bytes(await safetensors.readTensor(finalFile, t.name)))) differsFromFinal = true;
    }
    expect(differsFromFinal).toBe(bestStep !== 6);

    // --test: the best weights on the 3 test tasks, in <out>/test and summary.json.
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    const test = JSON.parse(readFileSync(path.join(out, 'test', 'metrics.json'), 'utf8'));
    expect(summary.test.step).toBe(bestStep);
    expect(summary.test.weights).toBe(path.join(out, 'best'));
    expect(Object.keys(test.perTask).sort()).toEqual(readFileSync(path.join(split, 'test_tasks.txt'), 'utf8').trim().split('\n'));
    expect(readJsonl(path.join(out, 'test', 'predictions.jsonl'))).toHaveLength(6);

    // The independent path: a fresh process loads the base model + the best adapter from its files.
    const evalOut = path.join(path.dirname(out), 'eval-best');
    const separate = run(['eval', ...common, '--adapter', path.join(out, 'best'), '--split', 'test', '--max-instances', '2', ...evalFlags, '--threads', '2', '--out', evalOut, '--quiet']);
    expect(separate.stderr).toBe('');
    expect(separate.code).toBe(0);
    const independent = JSON.parse(readFileSync(path.join(evalOut, 'metrics.json'), 'utf8'));
    expect(test.overall).toEqual(independent.overall);
    expect(test.perTask).toEqual(independent.perTask);
    expect(summary.test.metrics).toMatchObject({ rougeL: independent.overall.rougeL, exactMatch: independent.overall.exactMatch, rouge1: independent.overall.rouge1 });
    const predictions = (dir: string) => readJsonl(path.join(dir, 'predictions.jsonl')).map((p) => [p.id, p.prediction]);
    expect(predictions(path.join(out, 'test'))).toEqual(predictions(evalOut));
  }, 600_000);

  it.each([['prompt'], ['prefix']])('%s tuning: a run with --eval-times and --test completes, is scored, and equals a separate eval of its adapter', (method) => {
    const split = splitFolder();
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), `pn-evaltimes-${method}-`)), 'run');
    const common = ['--model', 'builtin:tiny', '--data', `superni:${tasksDir}`, '--split-dir', split];
    const evalFlags = ['--max-new-tokens', '3'];
    const train = run([
      'train', ...common, '--method', method, '--virtual-tokens', '4', '--dev-tasks', '2', '--instances-per-task', '2', '--steps', '4',
      '--batch-size', '2', '--lr', '1e-2', '--eval-times', '2', '--eval-max-instances', '2', '--test', ...evalFlags, '--threads', '2', '--out', out, '--quiet',
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    expect(readJsonl(path.join(out, 'metrics.jsonl')).filter((m) => 'eval_rougeL' in m).map((m) => m.step)).toEqual([2, 4]);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.test.metrics.rougeL).toEqual(expect.any(Number));
    const evalOut = path.join(path.dirname(out), 'eval-best');
    const separate = run(['eval', ...common, '--adapter', path.join(out, 'best'), '--split', 'test', '--max-instances', '2', ...evalFlags, '--threads', '2', '--out', evalOut, '--quiet']);
    expect(separate.stderr).toBe('');
    expect(separate.code).toBe(0);
    const predictions = (dir: string) => readJsonl(path.join(dir, 'predictions.jsonl')).map((p) => [p.id, p.prediction]);
    expect(predictions(path.join(out, 'test'))).toEqual(predictions(evalOut));
  }, 600_000);

  it('an interrupted run resumes its evaluations: the same dev curve, best step and test score as an uninterrupted run', async () => {
    const split = splitFolder();
    const root = mkdtempSync(path.join(os.tmpdir(), 'pn-evaltimes-resume-'));
    const args = [
      'train', '--model', 'builtin:tiny', '--data', `superni:${tasksDir}`, '--split-dir', split, '--dev-tasks', '2', '--instances-per-task', '4',
      '--steps', '12', '--batch-size', '2', '--lr', '1e-2', '--eval-times', '3', '--eval-max-instances', '2', '--max-new-tokens', '3', '--test',
      '--save-steps', '1', '--threads', '2', '--quiet',
    ];
    const whole = path.join(root, 'whole');
    expect(run([...args, '--out', whole]).code).toBe(0);

    // Ctrl-C once the first dev evaluation's checkpoint exists: the run stops after the current step.
    const cut = path.join(root, 'cut');
    const child = spawn(process.execPath, [cliPath, ...args, '--out', cut], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!existsSync(path.join(cut, 'checkpoints', 'step-4', 'checkpoint.json')) && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const interrupted = JSON.parse(readFileSync(path.join(cut, 'summary.json'), 'utf8'));
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.steps).toBeLessThan(12);

    const resumed = run(['train', '--resume', cut, '--threads', '2', '--quiet']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const evalCurve = (dir: string) => readJsonl(path.join(dir, 'metrics.jsonl')).filter((m) => 'eval_rougeL' in m).map((m) => [m.step, m.eval_rougeL, m.eval_exactMatch]);
    expect(evalCurve(cut).map(([step]) => step)).toEqual([4, 8, 12]);
    expect(evalCurve(cut)).toEqual(evalCurve(whole));
    const summary = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary(cut).resumedFrom).toBe(interrupted.steps);
    expect(summary(cut).best.step).toBe(summary(whole).best.step);
    expect(summary(cut).test).toEqual({ ...summary(whole).test, weights: path.join(cut, 'best') });
  }, 600_000);

  it('refuses bad combinations before loading anything (exit 2, naming the problem)', () => {
    const data = `superni:${tasksDir}`;
    const cases: Array<[string[], RegExp]> = [
      [['--data', data, '--eval-times', '2'], /--eval-times needs --dev-tasks/],
      [['--data', data, '--dev-tasks', '0', '--eval-times', '2'], /--eval-times needs --dev-tasks/],
      [['--data', `tulu:${path.join(realFixturesDir, 'data', 'tulu', readdirSync(path.join(realFixturesDir, 'data', 'tulu')).find((f) => f.endsWith('.jsonl'))!)}`, '--dev-tasks', '2', '--eval-times', '2'], /is not SuperNI data/],
      [['--data', data, '--test'], /--test needs --eval-times/],
      [['--data', data, '--eval-metric', 'exactMatch', '--max-new-tokens', '4'], /--eval-metric, --max-new-tokens need --eval-times/],
      [['--data', data, '--dev-tasks', '2', '--eval-times', '2', '--metric-for-best-model', 'train_loss'], /--metric-for-best-model/],
      [['--data', data, '--dev-tasks', '2', '--eval-times', '5', '--steps', '2'], /--eval-times 5 is more than --steps 2/],
      [['--data', data, '--dev-tasks', '2', '--eval-times', '2', '--test', '--split-dir', tasksDir], /test_tasks\.txt does not exist/],
      [['--data', data, '--dev-tasks', '2', '--eval-times', '0'], /eval times must be an integer >= 1/],
      [['--data', data, '--dev-tasks', '2', '--eval-times', '2', '--eval-metric', 'bleu'], /--eval-metric/],
    ];
    for (const [args, message] of cases) {
      const r = run(['train', '--out', path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-evaltimes-bad-')), 'run'), ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);
});
