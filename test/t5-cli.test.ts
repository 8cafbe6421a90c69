// T5 through the compiled CLI: train (LoRA and full finetuning) on the built-in T5 preset, eval of the run,
// the saved adapter and checkpoint in Hugging Face form, and the options T5 does not take.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileCliIfMissing, runCli } from './helpers/cli.js';
import { loadModelWeights } from '../src/models/load.js';
import { parseModelConfig } from '../src/models/config.js';

const run = (args: string[]) => runCli(args, { timeoutMs: 180_000 });
const TRAIN = ['train', '--model', 'builtin:t5-tiny', '--data', 'builtin', '--batch-size', '2', '--instances-per-task', '3', '--threads', '2', '--quiet'];

beforeAll(compileCliIfMissing);

describe('peft-native with a T5 model', () => {
  it('train (LoRA) then eval --run: a SEQ_2_SEQ_LM adapter on the T5 modules, predictions for the selection', () => {
    const runDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-t5-')), 'run');
    const train = run([...TRAIN, '--steps', '2', '--out', runDir]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const adapter = JSON.parse(readFileSync(path.join(runDir, 'adapter_config.json'), 'utf8'));
    expect(adapter.task_type).toBe('SEQ_2_SEQ_LM');
    // The preset's all-linear in T5's names (its FFN is gated).
    expect([...adapter.target_modules].sort()).toEqual(['k', 'o', 'q', 'v', 'wi_0', 'wi_1', 'wo']);
    const out = path.join(runDir, 'eval-mem');
    const r = run(['eval', '--run', runDir, '--split', 'memorization', '--max-instances', '1', '--max-new-tokens', '3', '--threads', '2', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/adapter: LoRA r=16 .*targets=q,k,v,o,wi_0,wi_1,wo/);
    const predictions = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trim().split('\n');
    expect(predictions.length).toBe(10);
  });

  it('full finetuning saves a T5 checkpoint folder that loads back, and trains and evaluates on SuperNI files', async () => {
    const runDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-t5-full-')), 'run');
    const train = run([...TRAIN, '--method', 'full', '--steps', '1', '--out', runDir]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const raw = JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(raw.model_type).toBe('t5');
    expect(raw.feed_forward_proj).toBe('gated-gelu');
    const loaded = await loadModelWeights(runDir);
    expect(loaded.config).toEqual(parseModelConfig(raw));
    expect(loaded.model.parameterNames()).toContain('shared.weight');
    expect(loaded.model.parameterNames()).not.toContain('lm_head.weight'); // tied in this preset

    // The saved folder is an HF T5 model folder: train on SuperNI task files from it, then evaluate the run.
    const loraRun = path.join(path.dirname(runDir), 'lora');
    const mini = path.join('assets', 'superni-mini');
    const lora = run(['train', '--model', runDir, '--data', `superni:${path.join(mini, 'tasks')}`, '--split-dir', path.join(mini, 'splits'), '--instances-per-task', '2', '--steps', '2', '--batch-size', '2', '--threads', '2', '--quiet', '--out', loraRun]);
    expect(lora.stderr).toBe('');
    expect(lora.code).toBe(0);
    const out = path.join(loraRun, 'eval-test');
    const evaluated = run(['eval', '--run', loraRun, '--max-instances', '1', '--max-new-tokens', '3', '--threads', '2', '--out', out]);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/^overall\s+3\s/m);
    expect(JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')).instances).toBe(3);
  });

  it('trains on TÜLU conversations as (context, assistant turn) pairs', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-t5-tulu-')), 'run');
    const r = run(['train', '--model', 'builtin:t5-tiny', '--data', 'tulu:test/fixtures/data/tulu/tulu_human_eval_messages.jsonl', '--batch-size', '2', '--steps', '2', '--threads', '2', '--out', out]);
    expect(r.code).toBe(0);
    // The file's 265 conversations have one assistant turn each.
    expect(r.stdout + r.stderr).toMatch(/265 examples/);
  });

  const BASE = ['train', '--model', 'builtin:t5-tiny', '--batch-size', '2', '--threads', '2', '--quiet', '--steps', '1'];
  it.each([
    [['--data', 'builtin', '--packing'], /--packing does not apply to encoder-decoder models/],
    [['--data', 'builtin', '--gradient-checkpointing'], /--gradient-checkpointing is not supported for T5/],
  ])('%s is refused with one line and exit 2', (flags, message) => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-t5-bad-')), 'run');
    const r = run([...BASE, ...flags, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
