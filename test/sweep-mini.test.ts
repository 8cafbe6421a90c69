// `peft-native sweep --preset mini` end to end through the compiled CLI, shortened with --set so it fits a
// 2-core test run: killed with SIGKILL while runs are in flight, restarted with `--out` alone, it finishes
// every run without rerunning the finished ones (their records are untouched) and resumes the interrupted run
// from its checkpoint. results.arrow is read back with pyarrow and agrees with results.jsonl and with each run's
// own metrics files; `peft-native report` writes the findings page and every figure it links.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, compileCliIfMissing, runCli } from './helpers/cli.js';
import { runPythonOracle } from './helpers/python-oracle.js';

const SHORT = ['--set', 'steps=6', '--set', 'save-steps=2', '--set', 'instances-per-task=8', '--set', 'eval-max-instances=2', '--set', 'max-new-tokens=4'];
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('peft-native sweep --preset mini', () => {
  it('is killed mid-way, continues without rerunning finished runs, and its results and report read back', async () => {
    compileCliIfMissing();
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-sweep-')), 'mini');
    const runsDir = path.join(out, 'runs');
    const listRuns = () => (existsSync(runsDir) ? readdirSync(runsDir) : []);
    const finished = () => listRuns().filter((id) => existsSync(path.join(runsDir, id, 'sweep-run.json')));
    // In flight with a checkpoint to resume from (step 2 or 3; older ones are pruned) and steps still to train.
    const checkpointSteps = (id: string) => {
      const dir = path.join(runsDir, id, 'checkpoints');
      return existsSync(dir) ? readdirSync(dir).filter((n) => /^step-\d+$/.test(n)).map((n) => Number(n.slice(5))) : [];
    };
    const resumable = () =>
      listRuns().filter((id) => {
        const steps = checkpointSteps(id);
        return !existsSync(path.join(runsDir, id, 'sweep-run.json')) && steps.length > 0 && Math.max(...steps) <= 3;
      });

    const first = spawn(process.execPath, [cliPath, 'sweep', '--preset', 'mini', ...SHORT, '--workers', '2', '--out', out], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => first.on('exit', () => resolve()));
    const deadline = Date.now() + 400_000;
    while (!(finished().length >= 3 && resumable().length >= 1) && first.exitCode === null && Date.now() < deadline) await sleep(20);
    const inFlight = resumable();
    first.kill('SIGKILL');
    await exited;
    expect(inFlight.length).toBeGreaterThanOrEqual(1);
    const before = new Map(finished().map((id) => [id, readFileSync(path.join(runsDir, id, 'sweep-run.json'), 'utf8')]));
    expect(before.size).toBeGreaterThanOrEqual(3);
    expect(before.size).toBeLessThan(36);

    // The same sweep again, from its folder alone.
    const second = runCli(['sweep', '--out', out, '--workers', '2'], { timeoutMs: 900_000 });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/sweep mini: 36 runs, \d+ already finished/);
    expect(second.stdout).toMatch(/sweep mini: \d+ completed, \d+ diverged, 0 failed; results in /);

    const ids = listRuns();
    expect(ids).toHaveLength(36);
    for (const [id, record] of before) expect(readFileSync(path.join(runsDir, id, 'sweep-run.json'), 'utf8')).toBe(record);
    // The runs in flight were taken up again; one killed mid-training resumed from its checkpoint (step 2 or later).
    for (const id of inFlight) expect(readJson(path.join(runsDir, id, 'sweep-run.json')).attempts).toBe(2);
    expect(inFlight.some((id) => readJson(path.join(runsDir, id, 'summary.json')).resumedFrom >= 2)).toBe(true);

    // The table: pyarrow reads results.arrow; it agrees with results.jsonl and with the runs' own files.
    const jsonl = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const [arrow] = runPythonOracle('scripts/oracles/read_arrow_file.py', [{ file: path.join(out, 'results.arrow') }]) as Array<{ columns: string[]; types: Record<string, string>; metadata: Record<string, string>; rows: Array<Record<string, unknown>> }>;
    expect(arrow!.rows).toHaveLength(36);
    expect(arrow!.rows).toEqual(jsonl);
    expect(arrow!.types).toMatchObject({ test_rouge_l: 'double', dev_steps: 'list<item: int32>', dev_rouge_l: 'list<item: double>', status: 'string', grids: 'list<item: string>' });
    expect(JSON.parse(arrow!.metadata.peft_native_sweep!)).toEqual({ name: 'mini', runs: 36 });
    for (const r of jsonl) {
      const dir = path.join(runsDir, r.id);
      expect(['completed', 'diverged']).toContain(r.status);
      expect(r.test_rouge_l).toBe(readJson(path.join(dir, 'test', 'metrics.json')).overall.rougeL);
      expect(r.mem_rouge_l).toBe(readJson(path.join(dir, 'memorization', 'metrics.json')).overall.rougeL);
      expect(Object.keys(JSON.parse(r.mem_per_task)).length).toBe(r.train_tasks);
      expect(r.dev_steps).toEqual([3, 6]);
      expect(r.settings).toBe(JSON.stringify(readJson(path.join(out, 'sweep.json')).runs.find((p: { id: string }) => p.id === r.id).settings));
    }
    expect(new Set(jsonl.map((r) => r.method))).toEqual(new Set(['lora', 'adapter', 'ia3', 'prompt', 'prefix', 'bitfit', 'full']));

    // Nothing left to do: a third start finishes at once and runs nothing.
    const third = runCli(['sweep', '--out', out], { timeoutMs: 120_000 });
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/36 already finished, 0 to run/);

    const report = runCli(['report', out], { timeoutMs: 120_000 });
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    // The five findings for each of the two models (the built-in Llama and T5).
    expect(report.stdout.match(/^finding \d \(.*\): (holds|does not hold|inconclusive)$/gm)).toHaveLength(10);
    const page = readFileSync(path.join(out, 'report', 'report.md'), 'utf8');
    expect(page).toContain('## Model builtin:tiny');
    expect(page).toContain('## Model builtin:t5-tiny');
    for (let n = 1; n <= 5; n++) expect(page).toMatch(new RegExp(`### Finding ${n}: .*\\n\\n\\*\\*The study:\\*\\* .+\\n\\n\\*\\*Verdict here: (holds|does not hold|inconclusive)\\.\\*\\*`));
    const linked = [...page.matchAll(/\]\((figures\/[^)]+\.svg)\)/g)].map((m) => m[1]!);
    expect(linked.length).toBeGreaterThanOrEqual(5);
    for (const file of linked) {
      const svg = readFileSync(path.join(out, 'report', file), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    }
  }, 1_200_000);
});
