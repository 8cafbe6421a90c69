// Bad input that only the addon can see (a corrupt trainer-state file) is a usage error like a bad flag: one line
// naming the file, exit code 2; a truncated latest checkpoint is set aside and the run resumes from the one
// before. A diverged run's error line goes to stderr and survives --quiet.
import { describe, expect, it } from 'vitest';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { cliPath, compileCliIfMissing, runCli } from './helpers/cli.js';
import { NATIVE_USER_ERROR_CODE, isNativeUserError } from '../src/native/native-errors.js';
import { native } from '../src/native/binding.js';

describe('errors the addon reports', () => {
  it('carry the user-error code for bad input, and none for other failures', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pn-native-err-'));
    const file = path.join(dir, 'missing.safetensors');
    let caught: unknown;
    try {
      await native().safetensors.inspect(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as NodeJS.ErrnoException).code).toBe(NATIVE_USER_ERROR_CODE);
    expect(isNativeUserError(caught)).toBe(true);
    expect((caught as Error).message).toContain(file);
    expect(isNativeUserError(new Error('plain'))).toBe(false);
  });

  it('a corrupt trainer state (intact size) under --resume: exit 2, one line naming the file', () => {
    compileCliIfMissing();
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-native-err-')), 'run');
    const first = runCli(['train', '--steps', '2', '--batch-size', '2', '--max-length', '64', '--save-steps', '2', '--threads', '2', '--out', out, '--quiet', '--no-tensorboard']);
    expect(first.code).toBe(0);
    const state = path.join(out, 'checkpoints', 'step-2', 'trainer_state.safetensors');
    // Garbage over the header, the size unchanged: only the native reader can tell.
    const fd = openSync(state, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 0);
    closeSync(fd);
    const before = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    const resumed = runCli(['train', '--resume', out, '--threads', '2']);
    expect(resumed.code).toBe(2);
    const lines = resumed.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*trainer_state\.safetensors/);
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
  });

  it('a truncated latest checkpoint: resume sets it aside, continues from the previous one, and ends as an uninterrupted run', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'pn-damaged-'));
    const args = ['train', '--steps', '4', '--batch-size', '2', '--max-length', '64', '--save-steps', '1', '--threads', '2', '--quiet', '--no-tensorboard'];
    const whole = path.join(root, 'whole');
    const damaged = path.join(root, 'damaged');
    expect(runCli([...args, '--out', whole]).code).toBe(0);
    expect(runCli([...args, '--out', damaged]).code).toBe(0);
    const state = path.join(damaged, 'checkpoints', 'step-4', 'trainer_state.safetensors');
    truncateSync(state, Math.floor(statSync(state).size / 2));
    const resumed = runCli(['train', '--resume', damaged, '--threads', '2', '--quiet']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/^warning: checkpoint step-4 is damaged \(.*trainer_state\.safetensors has \d+ bytes, \d+ when written\); set aside as .*\.step-4\.damaged-\d+, resuming from step-3\n$/);
    const losses = (dir: string) => readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).loss);
    expect(losses(damaged)).toEqual(losses(whole));
    expect(JSON.parse(readFileSync(path.join(damaged, 'summary.json'), 'utf8')).resumedFrom).toBe(3);
    expect(readdirSync(path.join(damaged, 'checkpoints')).filter((n) => n.includes('.damaged-'))).toHaveLength(1);
  });

  it('a diverged run prints its error line on stderr, also with --quiet', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-native-err-')), 'run');
    const r = runCli(['train', '--method', 'full', '--lr', '1e30', '--warmup-ratio', '0', '--steps', '4', '--batch-size', '4', '--max-length', '64', '--threads', '2', '--out', out, '--quiet', '--no-tensorboard']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: the run diverged: the gradient norm became NaN at step 2 .*Try a lower --lr\.\n$/);
  });
});

describe('a run folder has one owner', () => {
  it('a second run on a folder in use exits 2 naming the first; a stale lock is taken over', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-lock-')), 'run');
    const first = spawn(process.execPath, [cliPath, 'train', '--steps', '200', '--batch-size', '2', '--max-length', '64', '--threads', '1', '--out', out, '--quiet', '--no-tensorboard'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => first.on('exit', (c) => resolve(c)));
    const lock = path.join(out, '.peft-native.lock');
    while (!existsSync(lock) && first.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const second = runCli(['train', '--steps', '2', '--out', out, '--overwrite', '--quiet']);
    const resume = runCli(['train', '--resume', out]);
    first.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const r of [second, resume]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^error: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another peft-native run \\(pid ${first.pid} on .*\\); wait for it or choose another --out\\n$`));
    }
    expect(existsSync(lock)).toBe(false);
    // A lock left by a process that is gone (this host, a pid that does not exist) does not block.
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 1, host: os.hostname(), startedAt: '2026-01-01T00:00:00Z' }));
    const again = runCli(['train', '--steps', '2', '--batch-size', '2', '--max-length', '64', '--threads', '2', '--out', out, '--overwrite', '--quiet', '--no-tensorboard']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it('--overwrite removes an earlier run before the new one starts; a folder holding no run keeps its files', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'pn-overwrite-'));
    const out = path.join(root, 'run');
    const args = ['--batch-size', '2', '--max-length', '64', '--threads', '2', '--quiet', '--no-tensorboard', '--out', out];
    expect(runCli(['train', '--steps', '4', '--save-steps', '2', ...args]).code).toBe(0);
    expect(readdirSync(path.join(out, 'checkpoints')).filter((n) => n.startsWith('step-')).sort()).toEqual(['step-2', 'step-4']);
    writeFileSync(path.join(out, 'notes.txt'), 'of the earlier run\n');
    const again = runCli(['train', '--steps', '1', '--save-steps', '1', ...args, '--overwrite']);
    expect(again.code).toBe(0);
    // Only the new run's files: its one checkpoint, one metrics line, and the earlier run's note gone with it.
    expect(readdirSync(path.join(out, 'checkpoints')).filter((n) => n.startsWith('step-'))).toEqual(['step-1']);
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(out, 'notes.txt'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).steps).toBe(1);
    expect(runCli(['train', '--resume', out, '--threads', '2', '--quiet']).code).toBe(0);

    const plain = path.join(root, 'plain');
    mkdirSync(plain);
    writeFileSync(path.join(plain, 'notes.txt'), 'mine\n');
    expect(runCli(['train', '--steps', '1', ...args.slice(0, -1), plain, '--overwrite']).code).toBe(0);
    expect(readFileSync(path.join(plain, 'notes.txt'), 'utf8')).toBe('mine\n');
  });
});
