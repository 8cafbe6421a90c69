// Bad input that only the addon can see (a truncated trainer-state file) is a usage error like a bad flag: one
// line naming the file, exit code 2. A diverged run's error line goes to stderr and survives --quiet.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileCliIfMissing, runCli } from './helpers/cli.js';
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

  it('a truncated trainer state under --resume: exit 2, one line naming the file', () => {
    compileCliIfMissing();
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-native-err-')), 'run');
    const first = runCli(['train', '--steps', '2', '--batch-size', '2', '--max-length', '64', '--save-steps', '1', '--threads', '2', '--out', out, '--quiet', '--no-tensorboard']);
    expect(first.code).toBe(0);
    const state = path.join(out, 'checkpoints', 'step-2', 'trainer_state.safetensors');
    truncateSync(state, Math.floor(statSync(state).size / 2));
    const before = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    const resumed = runCli(['train', '--resume', out, '--threads', '2']);
    expect(resumed.code).toBe(2);
    const lines = resumed.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*trainer_state\.safetensors/);
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
  });

  it('a diverged run prints its error line on stderr, also with --quiet', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-native-err-')), 'run');
    const r = runCli(['train', '--method', 'full', '--lr', '1e30', '--warmup-ratio', '0', '--steps', '4', '--batch-size', '4', '--max-length', '64', '--threads', '2', '--out', out, '--quiet', '--no-tensorboard']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: the run diverged: the gradient norm became NaN at step 2 .*Try a lower --lr\.\n$/);
  });
});
