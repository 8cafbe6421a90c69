// `peft-native train` under data parallelism, as users start it: `--nproc 2`, or workers started by hand with
// torchrun's variables. Each equals the one-process run of the same command (losses and adapter weights), only
// rank 0 writes the run folder, a run interrupted on 2 ranks resumes in one process as the same run, ZeRO-1 runs
// write a shard per rank and resume on another world size, --eval-times shares out its generations, and a bad
// distributed environment is one clear line with exit code 2.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLocalPort } from '../src/distributed/launch.js';
import { native } from '../src/native/binding.js';
import { addonBuilt } from './helpers/addon.js';
import { superniTasksDir } from './helpers/real-data.js';
import { cliPath, compileCliIfMissing, runCli } from './helpers/cli.js';

const built = addonBuilt(import.meta.filename);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pn-dp-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(compileCliIfMissing);

// builtin:tiny, 4 batches per step so 2 ranks share every step; LoRA dropout 0.1 (each batch's masks come from its
// own seed, so the ranks draw what one process draws).
const RUN = ['train', '--steps', '8', '--batch-size', '4', '--grad-accum', '4', '--max-length', '64', '--dropout', '0.1', '--seed', '5', '--no-cache', '--quiet'];

function metricLosses(runDir: string): number[] {
  return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { loss?: number })
    .filter((m) => m.loss !== undefined)
    .map((m) => m.loss!);
}

// Weights agree to 1e-5 (values up to ~0.07): the ranks sum their gradients in another order than one process
// accumulates them, and AdamW's m / sqrt(v) magnifies that rounding where a gradient is near zero (lora_A's is
// exactly zero at the first step, lora_B starting at zero). The losses agree to 1e-6.
const WEIGHT_TOLERANCE = 1e-5;

async function adapterDifference(a: string, b: string): Promise<number> {
  const st = native().safetensors;
  const fa = path.join(a, 'adapter_model.safetensors');
  const fb = path.join(b, 'adapter_model.safetensors');
  const { tensors } = await st.inspect(fa);
  expect(tensors.length).toBeGreaterThan(0);
  let max = 0;
  for (const t of tensors) {
    const [x, y] = await Promise.all([st.readTensor(fa, t.name), st.readTensor(fb, t.name)]);
    x.data.forEach((v, i) => (max = Math.max(max, Math.abs(v - y.data[i]!))));
  }
  return max;
}

function expectSameRun(runDir: string, expected: number[]) {
  const losses = metricLosses(runDir);
  expect(losses).toHaveLength(expected.length);
  losses.forEach((l, i) => expect(Math.abs(l - expected[i]!)).toBeLessThan(1e-6));
}

describe.skipIf(!built)('train under data parallelism (CPU, Gloo)', () => {
  let reference = '';
  let expected: number[] = [];
  beforeAll(() => {
    reference = path.join(tmp, 'one-process');
    const r = runCli([...RUN, '--threads', '1', '--out', reference], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expected = metricLosses(reference);
    expect(expected).toHaveLength(8);
  }, 300_000);

  it('--nproc 2 equals the one-process run; rank 0 alone writes the folder', async () => {
    const out = path.join(tmp, 'nproc2');
    const r = runCli([...RUN, '--nproc', '2', '--out', out], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expectSameRun(out, expected);
    expect(await adapterDifference(out, reference)).toBeLessThan(WEIGHT_TOLERANCE);
    const config = JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8'));
    expect(config.worldSize).toBe(2);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', steps: 8 });
    // The whole step's target tokens, as one process counts them.
    expect(summary.targetTokens).toBe(JSON.parse(readFileSync(path.join(reference, 'summary.json'), 'utf8')).targetTokens);
    expect(readdirSync(out).sort()).toEqual(readdirSync(reference).sort());
  }, 300_000);

  it('workers started by hand with torchrun\'s variables join one run', async () => {
    const out = path.join(tmp, 'by-hand');
    const port = await freeLocalPort();
    const workers = [0, 1].map(
      (rank) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [cliPath, ...RUN, '--threads', '1', '--out', out], {
            env: { ...process.env, RANK: String(rank), WORLD_SIZE: '2', LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (code) => resolve({ code, stderr }));
        }),
    );
    for (const w of await Promise.all(workers)) expect(w.code, w.stderr).toBe(0);
    expectSameRun(out, expected);
    expect(await adapterDifference(out, reference)).toBeLessThan(WEIGHT_TOLERANCE);
  }, 300_000);

  it('a run interrupted on 2 ranks resumes in one process as the same run', async () => {
    const out = path.join(tmp, 'resumed');
    const launcher = spawn(process.execPath, [cliPath, ...RUN, '--nproc', '2', '--save-steps', '2', '--out', out], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => launcher.on('close', (code) => resolve(code)));
    // Ctrl-C (sent to the launcher, which passes it on) once a checkpoint exists: every rank stops after the same step.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(path.join(out, 'checkpoints', 'step-2', 'checkpoint.json'))) {
          clearInterval(timer);
          launcher.kill('SIGINT');
          resolve();
        }
      }, 10);
      launcher.on('close', () => {
        clearInterval(timer);
        reject(new Error('the run finished before it could be interrupted'));
      });
    });
    expect(await exited).toBe(0);
    const interrupted = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.steps).toBeLessThan(8);

    const resumed = runCli(['train', '--resume', out, '--threads', '1', '--quiet'], { timeoutMs: 300_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', steps: 8 });
    expect(summary.resumedFrom).toBeGreaterThanOrEqual(2);
    expectSameRun(out, expected);
    expect(await adapterDifference(out, reference)).toBeLessThan(WEIGHT_TOLERANCE);
  }, 300_000);

  it('--zero-stage 1 equals the one-process run, writes a shard per rank into each checkpoint, and resumes on 3 ranks', async () => {
    const out = path.join(tmp, 'zero');
    const r = runCli([...RUN, '--nproc', '2', '--zero-stage', '1', '--save-steps', '4', '--out', out], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expectSameRun(out, expected);
    expect(await adapterDifference(out, reference)).toBeLessThan(WEIGHT_TOLERANCE);
    expect(JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8'))).toMatchObject({ worldSize: 2, zeroStage: 1 });
    const step4 = path.join(out, 'checkpoints', 'step-4');
    expect(readdirSync(step4).sort()).toEqual(['checkpoint.json', 'metrics.jsonl', 'optimizer_shard-1.safetensors', 'trainer_state.safetensors']);
    const record = JSON.parse(readFileSync(path.join(step4, 'checkpoint.json'), 'utf8'));
    expect(record.stateFiles).toEqual(['trainer_state.safetensors', 'optimizer_shard-1.safetensors']);
    // No staging folder is left behind.
    expect(readdirSync(path.join(out, 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);

    // The run as it stood at step 4, continued on 3 ranks: the shards of 2 ranks are redistributed over 3.
    const again = path.join(tmp, 'zero-resumed');
    cpSync(out, again, { recursive: true });
    rmSync(path.join(again, 'checkpoints', 'step-8'), { recursive: true });
    const resumed = runCli(['train', '--resume', again, '--nproc', '3', '--zero-stage', '1', '--quiet'], { timeoutMs: 300_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(again, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', steps: 8, resumedFrom: 4 });
    expectSameRun(again, expected);
    expect(await adapterDifference(again, reference)).toBeLessThan(WEIGHT_TOLERANCE);
    expect(readdirSync(path.join(again, 'checkpoints', 'step-8')).filter((n) => n.startsWith('optimizer_shard')).sort()).toEqual(['optimizer_shard-1.safetensors', 'optimizer_shard-2.safetensors']);

    // A checkpoint that lost a shard is damaged, named as such, and not resumed from.
    rmSync(path.join(again, 'checkpoints', 'step-4'), { recursive: true });
    rmSync(path.join(again, 'checkpoints', 'step-8', 'optimizer_shard-2.safetensors'));
    const lost = runCli(['train', '--resume', again, '--quiet'], { timeoutMs: 60_000 });
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(/no intact checkpoint: step-8: .*optimizer_shard-2\.safetensors is missing/);
  }, 600_000);

  it('--eval-times on 2 ranks shares out the generations and equals the one-process evaluations; rank 0 writes them', async () => {
    const names = readdirSync(superniTasksDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
    const split = path.join(tmp, 'split');
    mkdirSync(split);
    writeFileSync(path.join(split, 'train_tasks.txt'), names.slice(0, 9).join('\n') + '\n');
    writeFileSync(path.join(split, 'test_tasks.txt'), names.slice(9, 12).join('\n') + '\n');
    const args = [
      'train', '--model', 'builtin:tiny', '--data', `superni:${superniTasksDir}`, '--split-dir', split, '--dev-tasks', '2', '--instances-per-task', '2',
      '--steps', '4', '--batch-size', '2', '--grad-accum', '2', '--lr', '1e-2', '--dropout', '0', '--eval-times', '2', '--eval-max-instances', '3', '--test',
      '--max-new-tokens', '3', '--no-cache', '--quiet',
    ];
    const one = path.join(tmp, 'eval-one');
    const two = path.join(tmp, 'eval-two');
    const a = runCli([...args, '--threads', '1', '--out', one], { timeoutMs: 300_000 });
    expect(a.code, a.stderr).toBe(0);
    const b = runCli([...args, '--nproc', '2', '--zero-stage', '1', '--out', two], { timeoutMs: 300_000 });
    expect(b.code, b.stderr).toBe(0);
    const evalLines = (dir: string) => readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => 'eval_rougeL' in m);
    expect(evalLines(one).map((m) => m.step)).toEqual([2, 4]);
    expect(evalLines(two)).toEqual(evalLines(one));
    const predictions = (dir: string, step: number) =>
      readFileSync(path.join(dir, 'dev', `step-${step}`, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((p) => [p.id, p.prediction]);
    for (const step of [2, 4]) {
      expect(predictions(two, step)).toHaveLength(6);
      expect(predictions(two, step)).toEqual(predictions(one, step));
    }
    const summary = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary(two).best).toMatchObject({ step: summary(one).best.step, value: summary(one).best.value });
    expect(summary(two).test.metrics).toEqual(summary(one).test.metrics);
    expect(readdirSync(two).sort()).toEqual(readdirSync(one).sort());
  }, 600_000);

  it('a bad distributed environment or combination is one line and exit code 2', () => {
    const bad = (env: Record<string, string>, extra: string[] = []) => runCli([...RUN, '--out', path.join(tmp, 'bad'), ...extra], { env });
    let r = bad({ WORLD_SIZE: '2', RANK: '5', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: environment variable RANK: expected an integer in \[0, 1\], got "5"$/);
    r = bad({ WORLD_SIZE: '2', RANK: '0', MASTER_PORT: '29500', MASTER_ADDR: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/environment variable MASTER_ADDR is not set/);
    r = bad({ WORLD_SIZE: 'two' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/environment variable WORLD_SIZE: expected an integer/);
    r = bad({ WORLD_SIZE: '2', RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' }, ['--nproc', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--nproc starts its own workers; this process already is rank 0 of 2/);
    r = runCli([...RUN, '--zero-stage', '1', '--out', path.join(tmp, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: --zero-stage 1 shards the optimizer state over data-parallel ranks: give --nproc n/);
    expect(existsSync(path.join(tmp, 'bad'))).toBe(false);
  }, 300_000);
});
