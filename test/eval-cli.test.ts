// `peft-native eval` through the compiled CLI (dist/cli/main.js) as a child process.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileCliIfMissing, runCli } from './helpers/cli.js';


const run = (args: string[]) => runCli(args, { timeoutMs: 120_000 });

beforeAll(compileCliIfMissing);

describe('peft-native eval', () => {
  it('--help lists the flags', () => {
    const r = run(['eval', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--model', '--adapter', '--data', '--split-dir', '--split', '--tasks', '--max-instances', '--batch-size', '--max-new-tokens', '--out']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('evaluates, prints the table and writes predictions.jsonl + metrics.json', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'pn-eval-cli-'));
    const r = run(['eval', '--model', 'builtin:tiny', '--data', 'builtin', '--split', 'test', '--max-instances', '1', '--max-new-tokens', '3', '--threads', '2', '--out', out]);
    expect(r.stderr + r.stdout).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^group\s+n\s+EM\s+ROUGE-L\s+ROUGE-1$/m);
    expect(r.stdout).toMatch(/^overall\s+10\s/m);
    expect(r.stderr).toMatch(/generating 10\/10/);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(10);
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.instances).toBe(10);
    expect(metrics.model).toBe('builtin:tiny');
    // A second run into the same folder needs --overwrite.
    const again = run(['eval', '--model', 'builtin:tiny', '--data', 'builtin', '--max-instances', '1', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds an evaluation/);
  });

  it('--run: model, data, selection and adapter of a training run', () => {
    const runDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-eval-run-')), 'run');
    const train = run(['train', '--model', 'builtin:tiny', '--data', 'builtin', '--steps', '1', '--batch-size', '2', '--instances-per-task', '3', '--threads', '2', '--out', runDir, '--quiet']);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const out = path.join(runDir, 'eval-mem');
    const r = run(['eval', '--run', runDir, '--split', 'memorization', '--max-instances', '1', '--max-new-tokens', '2', '--threads', '2', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/adapter: LoRA r=16 /);
    const selection = JSON.parse(readFileSync(path.join(runDir, 'run_config.json'), 'utf8')).data.selection;
    const ids = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((p) => [p.task, p.id]);
    expect(ids).toEqual(selection.tasks.train.map((t: string) => [t, selection.train[t].memorization[0]]));
  });

  it('an adapter for another model is a usage error naming the mismatch', () => {
    const r = run(['eval', '--model', 'builtin:tiny', '--adapter', 'test/fixtures/models/llama/lora', '--max-instances', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/trained on base model "test\/fixtures\/models\/llama".*"builtin:tiny"/);
    const forced = run(['eval', '--model', 'builtin:tiny', '--adapter', 'test/fixtures/models/llama/lora', '--ignore-base-name', '--max-instances', '1']);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/tensor base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight has shape \[4, 64\] but this model needs \[4, 256\]: the adapter was made for a different base model/);
  });

  it('bad flags fail before loading anything', () => {
    expect(run(['eval', '--split', 'train']).code).toBe(2);
    expect(run(['eval', '--max-new-tokens', '0']).code).toBe(2);
    const r = run(['eval', '--adapter', '/nonexistent/adapter']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--adapter \/nonexistent\/adapter is not a folder/);
  });
});
