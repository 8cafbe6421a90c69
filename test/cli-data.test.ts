// `peft-native data prepare|inspect` and the data flags of `train`, through the compiled CLI (no addon needed).
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { realFixturesDir, superniTasksDir } from './helpers/real-data.js';
import { compileCliIfMissing, runCli } from './helpers/cli.js';

const root = path.resolve(import.meta.dirname, '..');
const python = path.join(root, '.venv/bin/python');
const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');
const superni = `superni:${superniTasksDir}`;
const tuluFile = path.join(realFixturesDir, 'data/tulu/tulu_human_eval_messages.jsonl');

const run = (args: string[]) => runCli(args, { timeoutMs: 120_000 });

beforeAll(compileCliIfMissing);

describe('peft-native data', () => {
  it('prepare prints counts and nearest-rank length percentiles, then loads from the cache', () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'cli-cache-'));
    const args = ['data', 'prepare', '--data', superni, '--model', gpt2Dir, '--cache-dir', cacheDir, '--dev-tasks', '2'];
    const first = run(args);
    expect(first.code).toBe(0);
    const file = /tokenized and cached: (\S+\.arrow)/.exec(first.stdout)![1]!;
    // Independent numbers: pyarrow + numpy on the cache file (inverted_cdf is the nearest-rank percentile).
    const script = [
      'import json, sys, numpy as np, pyarrow as pa',
      't = pa.ipc.open_file(sys.argv[1]).read_all()',
      'ids = t.column("input_ids").to_pylist(); labels = t.column("labels").to_pylist()',
      'n = np.array([len(x) for x in ids])',
      'trained = sum(sum(1 for l in row[1:] if l != -100) for row in labels)',
      'p = [int(np.percentile(n, q, method="inverted_cdf")) for q in (50, 90, 99)]',
      'print(json.dumps({"rows": len(ids), "tokens": int(n.sum()), "trained": trained, "p": p, "max": int(n.max()), "tasks": len(set(t.column("task").to_pylist()))}))',
    ].join('\n');
    const ref = JSON.parse(execFileSync(python, ['-c', script, file], { encoding: 'utf8' }));
    expect(ref.rows).toBe(1000); // 10 training tasks x 100 after carving 2 dev tasks
    const fmt = (x: number) => x.toLocaleString('en-US');
    expect(first.stdout).toContain(`: ${ref.tasks} task(s)`);
    expect(first.stdout).toContain(`examples ${fmt(ref.rows)}, tokens ${fmt(ref.tokens)} (trained ${fmt(ref.trained)}), truncated 0, dropped 0`);
    expect(first.stdout).toContain(`length p50 ${ref.p[0]}, p90 ${ref.p[1]}, p99 ${ref.p[2]}, max ${ref.max}`);
    expect(first.stdout).toContain('2 dev task(s) carved out of the training tasks (data seed 42)');
    const second = run(args);
    expect(second.stdout).toContain(`loaded from the cache: ${file}`);
    expect(second.stdout.split('\n').slice(0, 3)).toEqual(first.stdout.split('\n').slice(0, 3));
  });

  it('inspect shows the trained part in [[ ]] without a terminal', () => {
    const r = run(['data', 'inspect', '--data', `tulu:${tuluFile}`, '--model', gpt2Dir, '--no-cache', '-n', '2']);
    expect(r.code).toBe(0);
    const rows = readFileSync(tuluFile, 'utf8').split('\n').slice(0, 2).map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    for (const row of rows) expect(r.stdout).toContain(`<|assistant|>\n[[${row.messages.find((m) => m.role === 'assistant')!.content}<|endoftext|>]]\n`);
    expect(r.stdout.match(/<\|endoftext\|>\]\]/g)).toHaveLength(2);
    expect(r.stdout).toContain(`<|user|>\n${rows[0]!.messages[0]!.content}\n<|assistant|>\n[[`);
  });

  const bad: Array<[string[], RegExp]> = [
    [['data', 'prepare', '--data', 'tulu:/no/such.jsonl'], /tulu:\/no\/such\.jsonl.*does not exist/],
    [['data', 'prepare', '--data', 'hf:x'], /Unknown data source prefix "hf:"/],
    [['data', 'prepare', '--model', '/no/such/model'], /neither a built-in model nor an existing folder/],
    [['data', 'prepare', '--data', superni, '--model', gpt2Dir, '--no-cache', '--dev-tasks', '12'], /leaves none to train on/],
    [['data', 'prepare', '--data', `tulu:${tuluFile}`, '--model', gpt2Dir, '--no-cache', '--chat-template', 'model'], /has no chat_template/],
    [['data', 'prepare', '--chat-template', 'chatml'], /'chatml' is invalid.*tulu, model/],
    [['data', 'inspect', '-n', '0'], /count must be an integer >= 1/],
    [['train', '--data', `tulu:${tuluFile}`, '--split-dir', '/tmp'], /--split-dir apply to SuperNI data/],
    [['train', '--packing', '--group-by-length'], /--packing and --group-by-length exclude each other/],
    [['train', '--pack-length', '64'], /--pack-length needs --packing/],
    [['train', '--chat-template', 'model'], /--chat-template applies to conversation data \(tulu:<file>, sharegpt:<file>\)/],
  ];
  for (const [args, re] of bad) {
    it(`exits 2 with one clear line: ${args.join(' ').replace(realFixturesDir, '<fixtures>')}`, () => {
      const r = run(args);
      expect(r.stderr).toMatch(re);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(2);
    });
  }

  it('train --help lists the data flags', () => {
    const r = run(['train', '--help']);
    for (const flag of ['--split-dir', '--dev-tasks', '--train-tasks', '--pos-examples', '--chat-template', '--packing', '--pack-length', '--group-by-length', '--cache-dir', '--no-cache', 'tulu:<file.jsonl>']) {
      expect(r.stdout).toContain(flag);
    }
  });
});
