// Crash and resume with the real addon: the CLI trains builtin:tiny (LoRA with dropout, so the RNG state
// matters), is killed with SIGKILL after a checkpoint exists, and `train --resume` finishes the run. The loss
// of every step equals the uninterrupted run's exactly (same seed, CPU, one thread). A checkpoint that cannot
// be written (read-only folder) is a clear error and the previous checkpoint stays intact and resumable.
// Without a built addon: skipped with the reason (a failure under CI).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonBuilt } from './helpers/addon.js';
import { cliPath, compileCliIfMissing, runCli as runCliProcess } from './helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = addonBuilt(import.meta.filename);

// Small and quick on 2 cores; dropout on, so resuming must restore the dropout generator.
const RUN = ['train', '--steps', '24', '--batch-size', '4', '--max-length', '64', '--dropout', '0.1', '--threads', '1', '--seed', '9', '--quiet'];

function losses(runDir: string): number[] {
  return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { loss: number; step: number })
    .map((m) => m.loss);
}

/** Finished lines of a metrics.jsonl that may be mid-write. */
function finishedLines(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
}

const runCli = (args: string[]) => runCliProcess(args, { timeoutMs: 300_000 });

/** Makes `dir` unwritable (chmod; as root, which chmod does not stop, the immutable attribute); returns the undo. */
function makeReadOnly(dir: string): () => void {
  chmodSync(dir, 0o555);
  const probe = path.join(dir, '.probe');
  const writable = () => {
    try {
      writeFileSync(probe, 'x');
      rmSync(probe);
      return true;
    } catch {
      return false;
    }
  };
  let immutable = false;
  if (writable()) {
    immutable = spawnSync('chattr', ['+i', dir]).status === 0;
    if (!immutable || writable()) {
      if (immutable) spawnSync('chattr', ['-i', dir]);
      chmodSync(dir, 0o755);
      throw new Error(`cannot make ${dir} read-only on this machine (root and no chattr +i): the test cannot create its precondition`);
    }
  }
  return () => {
    if (immutable) spawnSync('chattr', ['-i', dir]);
    chmodSync(dir, 0o755);
  };
}

beforeAll(compileCliIfMissing);

describe.skipIf(!built)('crash and resume (builtin:tiny, CPU)', () => {
  it('kill -9 mid-training, resume: the loss sequence equals the uninterrupted run exactly', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'resume-'));
    const reference = path.join(tmp, 'reference');
    const straight = runCli([...RUN, '--out', reference]);
    expect(straight.code, straight.stderr).toBe(0);
    const expected = losses(reference);
    expect(expected).toHaveLength(24);

    const out = path.join(tmp, 'crashed');
    const child = spawn(process.execPath, [cliPath, ...RUN, '--save-steps', '5', '--out', out], { cwd: root, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    // Kill as soon as a checkpoint exists and training went on past it.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const ckpt = path.join(out, 'checkpoints', 'step-5', 'checkpoint.json');
        if (existsSync(ckpt) && finishedLines(path.join(out, 'metrics.jsonl')) >= 6) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 10);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the run finished before it could be killed; make it longer'));
      });
    });
    expect(await exited).toBe('SIGKILL');
    const killedAt = losses(out).length;
    expect(killedAt).toBeLessThan(24);
    expect(existsSync(path.join(out, 'summary.json'))).toBe(false);

    const resumed = runCli(['train', '--resume', out, '--threads', '1', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', steps: 24 });
    expect(summary.resumedFrom).toBeGreaterThanOrEqual(5);
    expect(summary.resumedFrom).toBeLessThanOrEqual(killedAt);
    expect(losses(out)).toEqual(expected);
    // TensorBoard sees one loss per step, the resumed values replacing the killed run's past the checkpoint.
    const python = path.join(root, '.venv/bin/python');
    if (!existsSync(python)) throw new Error(`this test reads the event files with ${python} and the tensorboard package`);
    const read = spawnSync(
      python,
      ['-c', 'import json,sys\nfrom tensorboard.backend.event_processing.event_accumulator import EventAccumulator as A\na=A(sys.argv[1]);a.Reload()\nprint(json.dumps([[e.step,e.value] for e in a.Scalars("train/loss")]))', path.join(out, 'tensorboard')],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(read.status, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toEqual(expected.map((l, i) => [i + 1, Math.fround(l)]));
    // The final adapter equals the uninterrupted run's.
    expect(readFileSync(path.join(out, 'adapter_model.safetensors')).equals(readFileSync(path.join(reference, 'adapter_model.safetensors')))).toBe(true);
  }, 600_000);

  it('an unwritable checkpoint folder is a clear error; the previous checkpoint stays intact and resumable', async () => {
    const { train } = await import('../src/train/loop.js');
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'readonly-')), 'run');
    const sink = { write: () => true, isTTY: false };
    let undo: (() => void) | null = null;
    const options = { steps: 6, batchSize: 4, maxLength: 64, threads: 1, seed: 3, stdout: sink, tensorboard: false } as const;
    try {
      await expect(
        train({
          ...options,
          out,
          saveSteps: 2,
          onStep: (m) => {
            if (m.step === 3) undo = makeReadOnly(path.join(out, 'checkpoints'));
          },
        }),
      ).rejects.toThrow(/could not write checkpoint step-4 in .*checkpoints: the folder is not writable \((EACCES|EPERM)\)\. The previous checkpoint step-2 is intact; continue with --resume/);
    } finally {
      (undo as (() => void) | null)?.();
    }
    expect(readdirSync(path.join(out, 'checkpoints'))).toEqual(['best.json', 'step-2']);
    expect(readdirSync(path.join(out, 'checkpoints', 'step-2')).sort()).toEqual(['checkpoint.json', 'metrics.jsonl', 'trainer_state.safetensors']);
    const resumed = await train({ resume: out, threads: 1, stdout: sink });
    expect(resumed).toMatchObject({ status: 'completed', steps: 6, resumedFrom: 2 });
    const straight = await train({ ...options, out: path.join(path.dirname(out), 'straight') });
    expect(resumed.losses).toEqual(straight.losses);
  }, 600_000);
});

// A full disk: the run's folder is a small tmpfs (in a user + mount namespace, so no privileges are needed).
const namespaces = spawnSync('unshare', ['-rm', 'true']).status === 0;
if (built && !namespaces) console.warn('train-resume.test.ts: the full-disk case is skipped: unshare -rm (user namespaces) is not available here');

describe.skipIf(!built || !namespaces)('a full disk', () => {
  it('is a clear error; the previous checkpoint stays intact and the run resumes from it', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'fulldisk-'));
    const mountPoint = path.join(tmp, 'disk');
    const kept = path.join(tmp, 'kept');
    const args = [...RUN.filter((a) => a !== '--quiet'), '--save-steps', '2', '--no-tensorboard'];
    // Each checkpoint of the tiny LoRA is about 3.6 MB: a 9 MB disk holds two, and the third fills it.
    const script = [
      'set -u',
      `mkdir -p '${mountPoint}' && mount -t tmpfs -o size=9m tmpfs '${mountPoint}'`,
      `'${process.execPath}' '${cliPath}' ${args.join(' ')} --out '${mountPoint}/run' > '${tmp}/stdout' 2> '${tmp}/stderr'`,
      `echo $? > '${tmp}/code'`,
      `cp -a '${mountPoint}/run' '${kept}'`,
    ].join('\n');
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const stderr = readFileSync(path.join(tmp, 'stderr'), 'utf8');
    expect(readFileSync(path.join(tmp, 'code'), 'utf8').trim()).toBe('1');
    const m = /error: could not write checkpoint step-(\d+) in .*checkpoints: the disk is full \(.*No space left on device.*\)\. The previous checkpoint step-(\d+) is intact; continue with --resume /.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const previous = Number(m![2]);
    expect(Number(m![1])).toBe(previous + 2);
    // Only complete checkpoints are left: no temporary folders.
    const left = readdirSync(path.join(kept, 'checkpoints')).filter((n) => n !== 'best.json');
    expect(left).toEqual(Array.from({ length: previous / 2 }, (_, i) => `step-${2 * (i + 1)}`).sort());
    expect(readdirSync(path.join(kept, 'checkpoints', `step-${previous}`)).sort()).toEqual(['checkpoint.json', 'metrics.jsonl', 'trainer_state.safetensors']);

    // On a disk with room, the run continues from that checkpoint and ends like an uninterrupted one.
    const resumed = runCli(['train', '--resume', kept, '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(kept, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', steps: 24, resumedFrom: previous });
    const reference = path.join(tmp, 'reference');
    expect(runCli([...RUN, '--out', reference]).code).toBe(0);
    expect(losses(kept)).toEqual(losses(reference));
  }, 600_000);
});
