// A sweep from a spec file whose runs end three ways: one completes, one diverges (full finetuning at lr 1e30:
// a NaN gradient norm at step 2, train exits 3), one fails at run time (a model folder whose tokenizer does not
// fit its config: train exits 2 when it loads the folder, after the sweep's checks, which only parse flags). The failure and the divergence
// are recorded results and the sweep goes on (exit 0); --retry-failed runs the failed run again.
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileCliIfMissing, runCli } from './helpers/cli.js';
import { fixturesDir } from './helpers/fixtures.js';
import { gpt2Dir } from './helpers/real-data.js';

describe('peft-native sweep: failed and diverged runs are results', () => {
  it('records each outcome, keeps going, and retries failures only when asked', () => {
    compileCliIfMissing();
    const root = mkdtempSync(path.join(os.tmpdir(), 'pn-sweep-outcomes-'));
    const broken = path.join(root, 'broken-model');
    mkdirSync(broken);
    copyFileSync(path.join(fixturesDir, 'llama', 'config.json'), path.join(broken, 'config.json'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(path.join(gpt2Dir, f), path.join(broken, f));
    copyFileSync(path.join(fixturesDir, 'llama', 'model.safetensors'), path.join(broken, 'model.safetensors'));
    const spec = path.join(root, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'outcomes',
        base: { steps: 4, 'batch-size': 4, 'max-length': 64, 'no-tensorboard': true },
        grids: [
          { name: 'ok', variants: [{ model: 'builtin:tiny', lr: 1e-3 }] },
          { name: 'diverges', variants: [{ model: 'builtin:tiny', method: 'full', lr: 1e30, 'on-divergence': 'stop' }] },
          { name: 'fails', variants: [{ model: broken, lr: 1e-3 }] },
        ],
      }),
    );
    const out = path.join(root, 'sweep');
    const first = runCli(['sweep', spec, '--out', out, '--threads', '2'], { timeoutMs: 600_000 });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/sweep outcomes: 1 completed, 1 diverged, 1 failed; results in /);
    const rows = () => readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const byGrid = (g: string) => rows().find((r) => r.grids.includes(g))!;
    expect(byGrid('ok')).toMatchObject({ status: 'completed', steps: 4 });
    expect(byGrid('diverges')).toMatchObject({ status: 'diverged' });
    expect(byGrid('diverges').diverged_at).toBe(2);
    const failed = byGrid('fails');
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^error: .*broken-model: the tokenizer's ids go up to 50256 but config\.json vocab_size is 320/);
    const record = JSON.parse(readFileSync(path.join(out, 'runs', failed.id, 'sweep-run.json'), 'utf8'));
    expect(record).toMatchObject({ status: 'failed', exitCode: 2, attempts: 1 });

    // Again: nothing to run. With --retry-failed: only the failed run, which fails the same way.
    expect(runCli(['sweep', '--out', out], { timeoutMs: 120_000 }).stdout).toMatch(/3 already finished, 0 to run/);
    const retry = runCli(['sweep', '--out', out, '--retry-failed', '--threads', '2'], { timeoutMs: 300_000 });
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/2 already finished, 1 to run/);
    expect(JSON.parse(readFileSync(path.join(out, 'runs', failed.id, 'sweep-run.json'), 'utf8'))).toMatchObject({ status: 'failed', attempts: 2 });
    expect(byGrid('ok').attempts).toBe(1);
  }, 900_000);
});
