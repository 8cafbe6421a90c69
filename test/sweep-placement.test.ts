// Where a sweep puts its runs: one device each, or with --gpus-per-run K a group of K GPUs of --devices, on which
// a run trains data-parallel (`train --nproc K --device cuda` with CUDA_VISIBLE_DEVICES set to the group, so each
// worker's LOCAL_RANK picks one of them). All on the CPU: the slots and conflicts are pure; the command lines and
// environment a run's processes get are checked with a stand-in CLI that records them; the refusals and the dry
// run through the compiled CLI.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cudaVisibleDevices, envPrefix, placementArgs, placementConflict, slotDevices, sweepSlots } from '../src/sweep/placement.js';
import { logTail, processTree, runOne } from '../src/sweep/run-process.js';
import { resultRow, resultsToArrow } from '../src/sweep/results.js';
import { tableFromIPC } from 'apache-arrow';
import { SweepSpecError } from '../src/sweep/spec.js';
import { checkTrainArgs } from '../src/sweep/check-run.js';
import { compileCliIfMissing, runCli } from './helpers/cli.js';

const FOUR = ['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pn-sweep-placement-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('slots', () => {
  it('--gpus-per-run K groups --devices in the order listed; each group is one slot with its CUDA_VISIBLE_DEVICES', () => {
    expect(sweepSlots({ devices: FOUR, gpusPerRun: 2 }, 8, {})).toEqual([
      { device: 'cuda', threads: null, gpus: ['cuda:0', 'cuda:1'], env: { CUDA_VISIBLE_DEVICES: '0,1' } },
      { device: 'cuda', threads: null, gpus: ['cuda:2', 'cuda:3'], env: { CUDA_VISIBLE_DEVICES: '2,3' } },
    ]);
    expect(sweepSlots({ devices: ['cuda:3', 'cuda:1', 'cuda:2', 'cuda:0'], gpusPerRun: 2, threads: 3 }, 8, {}).map((s) => [s.gpus, s.env, s.threads])).toEqual([
      [['cuda:3', 'cuda:1'], { CUDA_VISIBLE_DEVICES: '3,1' }, 3],
      [['cuda:2', 'cuda:0'], { CUDA_VISIBLE_DEVICES: '2,0' }, 3],
    ]);
    expect(sweepSlots({ devices: FOUR, gpusPerRun: 4 }, 8, {})).toHaveLength(1);
    // K = 1 (the default) is one slot per device, as before.
    expect(sweepSlots({ devices: ['cuda:0', 'cuda:1'], gpusPerRun: 1 }, 8, {})).toEqual([{ device: 'cuda:0', threads: null }, { device: 'cuda:1', threads: null }]);
    expect(sweepSlots({ workers: 2, gpusPerRun: 1 }, 8, {})).toEqual([{ device: 'cpu', threads: 4 }, { device: 'cpu', threads: 4 }]);
  });

  it("a group's CUDA_VISIBLE_DEVICES goes through the sweep's own: cuda:N is the N-th GPU the sweep sees", () => {
    expect(cudaVisibleDevices(['cuda:0', 'cuda:1'], undefined)).toBe('0,1');
    expect(cudaVisibleDevices(['cuda:2', 'cuda:3'], '4,5,6,7')).toBe('6,7');
    expect(cudaVisibleDevices(['cuda:0', 'cuda:1'], 'GPU-aaaa, GPU-bbbb')).toBe('GPU-aaaa,GPU-bbbb');
    expect(sweepSlots({ devices: FOUR, gpusPerRun: 2 }, 8, { CUDA_VISIBLE_DEVICES: '4,5,6,7' }).map((s) => s.env)).toEqual([
      { CUDA_VISIBLE_DEVICES: '4,5' },
      { CUDA_VISIBLE_DEVICES: '6,7' },
    ]);
    expect(() => sweepSlots({ devices: FOUR, gpusPerRun: 2 }, 8, { CUDA_VISIBLE_DEVICES: '4,5' })).toThrow('--devices cuda:2: this sweep sees 2 GPUs (cuda:0..cuda:1) through CUDA_VISIBLE_DEVICES=4,5');
    expect(() => sweepSlots({ devices: ['cuda:0', 'cuda:1'], gpusPerRun: 2 }, 8, { CUDA_VISIBLE_DEVICES: '' })).toThrow('--devices cuda:0: this sweep sees no GPU (CUDA_VISIBLE_DEVICES is empty)');
  });

  it.each([
    [{ devices: ['cuda:0', 'cuda:1', 'cuda:2'], gpusPerRun: 2 }, '--devices lists 3 GPUs, not a multiple of --gpus-per-run 2 (each run takes 2)'],
    [{ devices: ['cuda:0'], gpusPerRun: 2 }, '--devices lists 1 GPU, not a multiple of --gpus-per-run 2 (each run takes 2)'],
    [{ devices: ['cpu', 'cuda:0'], gpusPerRun: 2 }, '--gpus-per-run 2 gives each run 2 GPUs, but --devices lists cpu (CPU runs train data-parallel with "nproc" in the spec)'],
    [{ devices: ['cuda', 'cuda:1'], gpusPerRun: 2 }, '--gpus-per-run 2: name each GPU of --devices by its index (cuda:0,cuda:1,...), not cuda'],
    [{ workers: 2, gpusPerRun: 2 }, '--gpus-per-run 2 gives each run 2 GPUs of --devices: list them, e.g. --devices cuda:0,cuda:1,cuda:2,cuda:3'],
    [{ gpusPerRun: 3 }, /^--gpus-per-run 3 gives each run 3 GPUs of --devices/],
    [{ devices: FOUR, gpusPerRun: 0 }, '--gpus-per-run: expected an integer >= 1, got 0'],
  ])('refuses %j', (flags, message) => {
    expect(() => sweepSlots(flags, 8, {})).toThrow(SweepSpecError);
    expect(() => sweepSlots(flags, 8, {})).toThrow(message);
  });

  it('the flags and environment a slot gives: train --nproc K --device cuda, its evaluations --device cuda (the first GPU of the group)', () => {
    const [group] = sweepSlots({ devices: FOUR, gpusPerRun: 2 }, 8, {});
    expect(placementArgs(group!, 'train')).toEqual(['--nproc', '2', '--device', 'cuda']);
    expect(placementArgs(group!, 'eval')).toEqual(['--device', 'cuda']);
    expect(envPrefix(group!)).toBe('CUDA_VISIBLE_DEVICES=0,1 ');
    expect(slotDevices(group!)).toEqual(['cuda:0', 'cuda:1']);
    const [one] = sweepSlots({ devices: ['cuda:1'] }, 8, {});
    expect(placementArgs(one!, 'train')).toEqual(['--device', 'cuda:1']);
    expect(envPrefix(one!)).toBe('');
    expect(slotDevices(one!)).toEqual(['cuda:1']);
    const [cpu] = sweepSlots({ workers: 2 }, 8, {});
    expect(placementArgs(cpu!, 'train')).toEqual(['--threads', '4', '--device', 'cpu']);
    expect(slotDevices({ device: null, threads: null })).toEqual([]);
  });

  it('a spec\'s nproc: the sweep\'s own under --gpus-per-run; on single GPUs, --gpus-per-run is the way; on CPU workers it stays', () => {
    const groups = sweepSlots({ devices: FOUR, gpusPerRun: 2 }, 8, {});
    const gpus = sweepSlots({ devices: ['cuda:0', 'cuda:1'] }, 8, {});
    const cpus = sweepSlots({ workers: 2 }, 8, {});
    expect(placementConflict({ nproc: 2 }, groups)).toBe('sets nproc 2, but with --gpus-per-run 2 the sweep starts 2 workers per run itself (--nproc 2): take nproc out of the spec');
    expect(placementConflict({ nproc: 1 }, groups)).toMatch(/take nproc out of the spec/);
    expect(placementConflict({ nproc: 2 }, gpus)).toBe('sets nproc 2, but each run gets one GPU of --devices: give --gpus-per-run 2 instead, for 2 GPUs per run');
    expect(placementConflict({ nproc: 1 }, gpus)).toBeNull();
    expect(placementConflict({ nproc: 2 }, cpus)).toBeNull();
    expect(placementConflict({ lr: 1e-4, 'zero-stage': 1 }, groups)).toBeNull();
  });

  it("a run's flags are checked with the slot's --nproc (zero-stage 1 needs it), without starting a worker", async () => {
    await expect(checkTrainArgs(['--zero-stage', '1'])).rejects.toThrow(/--zero-stage 1 shards the optimizer state/);
    await expect(checkTrainArgs(['--zero-stage', '1', '--nproc', '2'])).resolves.toMatchObject({ model: 'builtin:tiny' });
    await expect(checkTrainArgs(['--steps', '3', '--nproc', '2', '--device', 'cuda'])).resolves.toMatchObject({ steps: 3, device: 'cuda' });
  });
});

/** A stand-in for the peft-native CLI: records each call's arguments and CUDA_VISIBLE_DEVICES in <run>/calls.jsonl. */
const FAKE_CLI = `
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
process.channel?.unref();
const args = process.argv.slice(2);
const dir = args[args.indexOf(args[0] === 'train' ? '--out' : '--run') + 1];
appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ args, cuda: process.env.CUDA_VISIBLE_DEVICES ?? null }) + '\\n');
if (process.env.FAKE_FAIL) {
  console.error('error: the stand-in failed as asked');
  process.exit(2);
}
if (args[0] === 'train') writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ status: 'completed', saved: 'final', steps: 1 }));
`;

describe('the processes of a run on a slot', () => {
  const cli = path.join(tmp, 'fake-cli.mjs');
  beforeAll(() => writeFileSync(cli, FAKE_CLI));
  const calls = (dir: string) => readFileSync(path.join(dir, 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; cuda: string | null });
  const run = { id: 'r1', grids: ['main'], settings: { model: 'builtin:tiny', steps: 2 } };

  it('a group of GPUs: train --nproc K --device cuda and its evaluations, all with CUDA_VISIBLE_DEVICES of the group; the record keeps the group', async () => {
    const dir = path.join(tmp, 'group');
    const [, slot] = sweepSlots({ devices: FOUR, gpusPerRun: 2 }, 8, {});
    const record = await runOne(run, dir, { ...slot!, cli, memorization: {}, benchmarks: {}, signal: new AbortController().signal });
    expect(record).toMatchObject({ status: 'completed', devices: ['cuda:2', 'cuda:3'] });
    const [train, memorization] = calls(dir);
    expect(train).toEqual({ args: ['train', '--model', 'builtin:tiny', '--steps', '2', '--out', dir, '--overwrite', '--nproc', '2', '--device', 'cuda', '--quiet'], cuda: '2,3' });
    expect(memorization).toEqual({ args: ['eval', '--run', dir, '--split', 'memorization', '--out', path.join(dir, 'memorization'), '--overwrite', '--device', 'cuda', '--quiet'], cuda: '2,3' });
    expect(JSON.parse(readFileSync(path.join(dir, 'sweep-run.json'), 'utf8')).devices).toEqual(['cuda:2', 'cuda:3']);
    expect(resultRow(run, dir).devices).toEqual(['cuda:2', 'cuda:3']);
    const log = readFileSync(path.join(dir, 'train.log'), 'utf8');
    expect(log).toContain(`\n$ CUDA_VISIBLE_DEVICES=2,3 peft-native train --model builtin:tiny --steps 2 --out ${dir} --overwrite --nproc 2 --device cuda --quiet\n`);
  });

  it('one GPU: --device cuda:N and the sweep\'s own environment, as before', async () => {
    const dir = path.join(tmp, 'one');
    const [slot] = sweepSlots({ devices: ['cuda:1'] }, 8, {});
    const record = await runOne(run, dir, { ...slot!, cli, memorization: null, benchmarks: {}, signal: new AbortController().signal });
    expect(record).toMatchObject({ status: 'completed', devices: ['cuda:1'] });
    expect(calls(dir)).toEqual([{ args: ['train', '--model', 'builtin:tiny', '--steps', '2', '--out', dir, '--overwrite', '--device', 'cuda:1', '--quiet'], cuda: process.env.CUDA_VISIBLE_DEVICES ?? null }]);
  });

  it("a failed run's error is the end of its log after the last command line, environment prefix and all", async () => {
    const dir = path.join(tmp, 'failed');
    const [slot] = sweepSlots({ devices: FOUR, gpusPerRun: 4 }, 8, {});
    process.env.FAKE_FAIL = '1';
    try {
      const record = await runOne(run, dir, { ...slot!, cli, memorization: null, benchmarks: {}, signal: new AbortController().signal });
      expect(record).toMatchObject({ status: 'failed', exitCode: 2, error: 'error: the stand-in failed as asked', devices: FOUR });
    } finally {
      delete process.env.FAKE_FAIL;
    }
    const log = path.join(tmp, 'log.txt');
    writeFileSync(log, 'old\n$ peft-native train --a\nfirst error\n\n$ CUDA_VISIBLE_DEVICES=0,1 peft-native train --b\nline 1\nline 2\n');
    expect(logTail(log)).toBe('line 1\nline 2');
  });

  it("old records without devices read as null; a data-parallel run's memory is its process tree's", async () => {
    const dir = path.join(tmp, 'old');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'sweep-run.json'), JSON.stringify({ id: 'r1', status: 'completed', exitCode: 0, error: null, wallSec: 1, attempts: 1, peakRssBytes: null, memorizationError: null, finishedAt: '' }));
    expect(resultRow(run, dir)).toMatchObject({ status: 'completed', devices: null });
    // results.arrow: a list of strings, null for such runs.
    const rows = [resultRow(run, dir), { ...resultRow(run, dir), id: 'r2', devices: ['cuda:2', 'cuda:3'] }];
    const table = tableFromIPC(resultsToArrow(rows, {}));
    expect(String(table.schema.fields.find((f) => f.name === 'devices')!.type)).toBe('List<Utf8>');
    expect(table.getChild('devices')!.toArray().map((v: { toArray(): string[] } | null) => (v === null ? null : [...v.toArray()]))).toEqual([null, ['cuda:2', 'cuda:3']]);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    try {
      await new Promise((r) => child.once('spawn', r));
      expect(processTree(process.pid)).toContain(child.pid);
      expect(processTree(process.pid)[0]).toBe(process.pid);
    } finally {
      child.kill();
    }
  });
});

describe('peft-native sweep --gpus-per-run (the CLI)', () => {
  beforeAll(compileCliIfMissing);
  const spec = (base: Record<string, unknown>) => {
    const file = path.join(tmp, `spec-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ name: 'gpus', base: { model: 'builtin:tiny', steps: 2, ...base }, settings: { seed: [1, 2] } }));
    return file;
  };

  // The GPUs this machine shows the sweep (whatever the test's own environment holds).
  const env = { CUDA_VISIBLE_DEVICES: '4,5,6,7' };

  it('--dry-run shows the slots, their flags and environment, then the runs', () => {
    const ok = runCli(['sweep', spec({}), '--devices', FOUR.join(','), '--gpus-per-run', '2', '--out', path.join(tmp, 'dry'), '--dry-run'], { env });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      "2 slots, one run at a time on each; a run's train command gets its slot's flags and environment:",
      '  cuda:0,cuda:1 (2 workers): CUDA_VISIBLE_DEVICES=4,5 peft-native train ... --nproc 2 --device cuda',
      '  cuda:2,cuda:3 (2 workers): CUDA_VISIBLE_DEVICES=6,7 peft-native train ... --nproc 2 --device cuda',
    ]);
    expect(lines.at(-1)).toBe('2 runs');
    expect(lines[3]).toMatch(/^s1-\w+  \[main\]$/);
    expect(lines[4]).toMatch(/^  peft-native train --model builtin:tiny --seed 1 --steps 2 --out \S+$/);
    const hidden = runCli(['sweep', spec({}), '--devices', FOUR.join(','), '--gpus-per-run', '2', '--out', path.join(tmp, 'dry'), '--dry-run'], { env: { CUDA_VISIBLE_DEVICES: '' } });
    expect(hidden.code).toBe(2);
    expect(hidden.stderr).toBe('error: --devices cuda:0: this sweep sees no GPU (CUDA_VISIBLE_DEVICES is empty)\n');
  });

  it.each([
    [['--devices', 'cuda:0,cuda:1,cuda:2', '--gpus-per-run', '2'], {}, 'error: --devices lists 3 GPUs, not a multiple of --gpus-per-run 2 (each run takes 2)'],
    [['--devices', 'cpu', '--gpus-per-run', '2'], {}, /^error: --gpus-per-run 2 gives each run 2 GPUs, but --devices lists cpu/],
    [['--workers', '2', '--gpus-per-run', '2'], {}, /^error: --gpus-per-run 2 gives each run 2 GPUs of --devices: list them/],
    [['--devices', 'cuda:0,cuda:1', '--gpus-per-run', '0'], {}, /^error: option '--gpus-per-run <k>' argument '0' is invalid/],
    [['--devices', 'cuda:0,cuda:1', '--gpus-per-run', '2'], { nproc: 2 }, /^error: run s1-\w+ \(grid main\): sets nproc 2, but with --gpus-per-run 2 the sweep starts 2 workers per run itself/],
    [['--devices', 'cuda:0,cuda:1'], { nproc: 2 }, /^error: run s1-\w+ \(grid main\): sets nproc 2, but each run gets one GPU of --devices: give --gpus-per-run 2 instead/],
  ])('refuses %j with spec base %j in one line, exit code 2', (flags, base, message) => {
    const r = runCli(['sweep', spec(base), ...flags, '--out', path.join(tmp, 'refused'), '--dry-run'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('a spec with nproc on CPU workers (and zero-stage with --gpus-per-run) passes the checks without starting workers', () => {
    const cpu = runCli(['sweep', spec({ nproc: 2, 'zero-stage': 1 }), '--workers', '1', '--out', path.join(tmp, 'cpu-dp'), '--dry-run'], { env });
    expect(cpu.stderr).toBe('');
    expect(cpu.code).toBe(0);
    expect(cpu.stdout).toMatch(/^  cpu x\d+ threads: peft-native train \.\.\. --threads \d+ --device cpu$/m);
    const zero = runCli(['sweep', spec({ 'zero-stage': 1 }), '--devices', 'cuda:0,cuda:1', '--gpus-per-run', '2', '--out', path.join(tmp, 'zero'), '--dry-run'], { env });
    expect(zero.stderr).toBe('');
    expect(zero.code).toBe(0);
  });
});
