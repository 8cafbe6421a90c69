// Runs the compiled CLI (dist/cli/main.js) as a child process: argument validation and help need no addon.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, compileCliIfMissing, runCli } from './helpers/cli.js';


const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env, timeoutMs: 60_000 });

beforeAll(compileCliIfMissing);

describe('peft-native CLI', () => {
  it('starts with a shebang', async () => {
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(cliPath, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('train --help lists the flags and examples', () => {
    const r = run(['train', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--model',
      '--data',
      '--method',
      '--rank',
      '--alpha',
      '--dropout',
      '--target-modules',
      '--rslora',
      '--lora-init',
      '--adapter-placement',
      '--adapter-size',
      '--reduction-factor',
      '--adapter-activation',
      '--adapter-init',
      '--feedforward-modules',
      '--virtual-tokens',
      '--prompt-init',
      '--prefix-hidden',
      '--lr',
      '--steps',
      '--epochs',
      '--batch-size',
      '--max-length',
      '--warmup-ratio',
      '--weight-decay',
      '--max-grad-norm',
      '--seed',
      '--data-seed',
      '--threads',
      '--out',
      '--log-every',
      '--save-steps',
      '--save-total-limit',
      '--metric-for-best-model',
      '--resume',
      '--precision',
      '--gradient-checkpointing',
      '--on-divergence',
      '--divergence-factor',
      '--divergence-window',
      '--no-tensorboard',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('superni:');
    // The description names every method, not only LoRA and full finetuning.
    const description = r.stdout.split('\nOptions:')[0]!;
    for (const method of ['lora', 'dora', 'adapter', 'ia3', 'prompt', 'prefix', 'bitfit', 'full']) expect(description).toMatch(new RegExp(`\\b${method}\\b`));
  });

  it('--version prints the package version', () => {
    const r = run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')).version);
  });

  it('top-level --help names the commands', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('train');
    expect(r.stdout).toContain('info');
    expect(r.stdout).toContain('merge');
  });

  it('merge --help names its flags', () => {
    const r = run(['merge', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--model', '--adapter', '--out', '--max-shard-size']) expect(r.stdout).toContain(flag);
  });

  const bad: Array<[string[], RegExp]> = [
    [['train', '--rank', '-1'], /--rank.*'-1' is invalid.*rank must be an integer >= 1/],
    [['train', '--rank', '0'], /rank/],
    [['train', '--lr', 'abc'], /--lr.*'abc'.*must be a number/],
    [['train', '--lr', '-0.1'], /learning rate must be a positive number/],
    [['train', '--lr', '0x10'], /--lr.*'0x10'.*must be a number/],
    [['train', '--steps', '1', '--out', '/etc/passwd/run'], /--out \/etc\/passwd\/run cannot be created \(ENOTDIR\)/],
    [['eval', '--out', '/etc/passwd/eval'], /--out \/etc\/passwd\/eval cannot be written \(ENOTDIR\); nothing was evaluated/],
    [['train', '--method', 'qlora'], /unknown method "qlora" \(expected lora, dora, adapter, ia3, prompt, prefix, bitfit, full, or several joined by \+/],
    [['train', '--method', 'lora+ia3'], /--method lora\+ia3: LoRA and IA3 cannot be combined: both live in the model's linear layers/],
    [['train', '--dropout', '1.5'], /dropout/],
    [['train', '--steps', '10', '--epochs', '2'], /cannot be used with/],
    [['train', '--model', '/no/such/model'], /\/no\/such\/model.*neither a built-in model nor an existing folder.*tiny/],
    [['train', '--model', 'builtin:huge'], /unknown built-in model "huge"/],
    [['train', '--data', 'superni:/no/such/dir'], /\/no\/such\/dir does not exist/],
    [['train', '--target-modules', 're:('], /regex/],
    [['train', '--method', 'full', '--rank', '8'], /--rank applies only to LoRA/],
    [['train', '--method', 'prompt', '--adapter-size', '8'], /--adapter-size applies only to bottleneck adapter \(--method adapter\)/],
    [['train', '--method', 'adapter', '--adapter-size', '8', '--reduction-factor', '4'], /cannot be used with/],
    [['train', '--method', 'adapter', '--adapter-activation', 'tanh'], /'tanh' is invalid.*silu, relu, gelu/],
    [['train', '--method', 'prefix', '--prefix-hidden', 'big'], /prefix hidden size must be an integer/],
    [['merge', '--model', '/tmp'], /required option '--adapter <dir>' not specified/],
    [['train', '--no-such-flag'], /unknown option/],
    [['train', '--batch-size', '2.5'], /batch size must be an integer/],
    [['train', '--resume', '/no/such/run'], /--resume \/no\/such\/run: the folder does not exist/],
    [['train', '--resume', '/tmp', '--lr', '1e-3', '--model', 'builtin:tiny'], /--resume continues a run with the options it was started with; --model, --lr cannot be given with it/],
    [['train', '--precision', 'fp16'], /--precision.*fp16.*invalid/i],
    [['train', '--on-divergence', 'ignore'], /--on-divergence.*ignore.*invalid/i],
    [['train', '--divergence-factor', '1'], /divergence factor must be > 1/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, re] of bad) {
    it(`exits 2 with one clear line: ${args.join(' ')}`, () => {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
      const lines = r.stderr.trim().split('\n').filter((l) => l.trim() !== '');
      expect(lines.length).toBeLessThanOrEqual(2); // commander may add a "Did you mean" hint
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('refuses a non-empty --out folder with exit 2', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'cli-out-'));
    writeFileSync(path.join(out, 'x'), '');
    const r = run(['train', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already exists and is not empty');
  });

  it('rejects unusable model folders with exit 2 before loading anything', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-model-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: 10 }));
    writeFileSync(path.join(dir, 'model.safetensors'), '');
    let r = run(['train', '--model', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model_type "gpt2" is not supported.*llama.*mistral.*qwen2.*qwen3/);
    expect(r.stdout).toBe('');

    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 }));
    r = run(['train', '--model', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no tokenizer.json');

    const bin = mkdtempSync(path.join(os.tmpdir(), 'cli-bin-'));
    writeFileSync(path.join(bin, 'config.json'), '{}');
    writeFileSync(path.join(bin, 'pytorch_model.bin'), '');
    r = run(['train', '--model', bin]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not supported/);
  });

  it('a missing addon file is exit 2 with one line naming it', () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'missing.node');
    const r = run(['info'], { PEFT_NATIVE_ADDON: missing });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`PEFT_NATIVE_ADDON=${missing}: no such file`);
  });

  it('an addon that does not load is exit 2 with one line naming the file and what to do', () => {
    const bad = path.join(mkdtempSync(path.join(os.tmpdir(), 'bad-addon-')), 'peft_native.node');
    writeFileSync(bad, 'not a shared library\n');
    const r = run(['info', '--verbose'], { PEFT_NATIVE_ADDON: bad });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`could not load the native addon ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.+\\); rebuild it`));
    expect(lines[0]).toMatch(/pip install torch/);
  });
});
