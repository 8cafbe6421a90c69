// Which GPU each data-parallel worker takes, as torchrun users expect (torch.cuda.set_device(local_rank)): a
// worker on CUDA without an index takes cuda:<LOCAL_RANK>, an explicit cuda:N is kept, a LOCAL_RANK beyond the
// visible GPUs is one clear usage error; `train --nproc N` refuses up front what cannot give each worker its GPU.
// Pure functions with the CUDA device count passed in, so every case runs on a CPU machine; the CLI cases that
// need no GPU run the compiled CLI.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerDeviceError, checkLocalWorkers, workerDevice } from '../src/distributed/device.js';
import { distributedEnvFrom } from '../src/distributed/env.js';
import { UsageError } from '../src/util/usage-error.js';
import { compileCliIfMissing, runCli } from './helpers/cli.js';
import { addonBuilt } from './helpers/addon.js';

const FOUR_GPUS = { available: true, count: 4 };
const TWO_GPUS = { available: true, count: 2 };
const NO_CUDA = { available: false, count: 0 };
const messageOf = (f: () => unknown): string => {
  try {
    f();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};
const rank = (localRank: number, localRankFromRank = false) => ({ localRank, ...(localRankFromRank ? { localRankFromRank } : {}) });

describe('workerDevice', () => {
  it('a worker on CUDA without an index takes cuda:<LOCAL_RANK> (cuda, and auto where there is CUDA)', () => {
    expect(workerDevice('cuda', rank(0), FOUR_GPUS)).toBe('cuda:0');
    expect(workerDevice('cuda', rank(3), FOUR_GPUS)).toBe('cuda:3');
    expect(workerDevice('auto', rank(2), FOUR_GPUS)).toBe('cuda:2');
  });

  it('an explicit cuda:N, cpu, a process that runs alone and a machine without CUDA keep the device as given', () => {
    expect(workerDevice('cuda:1', rank(3), FOUR_GPUS)).toBe('cuda:1');
    expect(workerDevice('cuda:0', rank(1), TWO_GPUS)).toBe('cuda:0');
    expect(workerDevice('cpu', rank(3), FOUR_GPUS)).toBe('cpu');
    expect(workerDevice('cuda', null, FOUR_GPUS)).toBe('cuda');
    expect(workerDevice('auto', null, FOUR_GPUS)).toBe('auto');
    expect(workerDevice('auto', rank(5), NO_CUDA)).toBe('auto');
    // resolveDevice then says why CUDA cannot be used
    expect(workerDevice('cuda', rank(5), NO_CUDA)).toBe('cuda');
  });

  it('a LOCAL_RANK beyond the visible GPUs is one line naming LOCAL_RANK and the device count (a usage error)', () => {
    const fail = () => workerDevice('cuda', rank(2), TWO_GPUS);
    expect(fail).toThrow(WorkerDeviceError);
    expect(fail).toThrow(UsageError);
    expect(fail).toThrow(
      'LOCAL_RANK 2, but a data-parallel worker on CUDA takes cuda:<LOCAL_RANK> and 2 CUDA devices are visible (cuda:0..cuda:1): start at most 2 workers per machine, or give --device cpu',
    );
    expect(() => workerDevice('auto', rank(1), { available: true, count: 1 })).toThrow(/^LOCAL_RANK 1, .* 1 CUDA device is visible \(cuda:0\): start at most 1 worker per machine/);
    expect(messageOf(() => workerDevice('auto', rank(7), FOUR_GPUS))).toMatch(/^LOCAL_RANK 7, [^\n]*4 CUDA devices are visible \(cuda:0\.\.cuda:3\)[^\n]*$/);
  });

  it('without LOCAL_RANK (RANK stands for it), the error says to set LOCAL_RANK', () => {
    expect(() => workerDevice('cuda', rank(1, true), { available: true, count: 1 })).toThrow(
      /^LOCAL_RANK is not set, so RANK 1 stands for it, .*: set LOCAL_RANK to the worker's index on its machine \(torchrun does\), or give --device cpu$/,
    );
  });
});

describe('distributedEnvFrom: LOCAL_RANK', () => {
  const base = { WORLD_SIZE: '4', RANK: '3', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' };
  it('reads LOCAL_RANK, or takes RANK for it and says so', () => {
    expect(distributedEnvFrom({ ...base, LOCAL_RANK: '1' })).toMatchObject({ rank: 3, localRank: 1 });
    expect(distributedEnvFrom({ ...base, LOCAL_RANK: '1' })!.localRankFromRank).toBeUndefined();
    expect(distributedEnvFrom(base)).toMatchObject({ rank: 3, localRank: 3, localRankFromRank: true });
  });
});

describe('checkLocalWorkers (train --nproc N before it starts workers)', () => {
  it('N workers on CUDA need N visible GPUs; on the CPU or without CUDA any N goes', () => {
    expect(() => checkLocalWorkers(4, 'cuda', FOUR_GPUS)).not.toThrow();
    expect(() => checkLocalWorkers(2, 'auto', FOUR_GPUS)).not.toThrow();
    expect(() => checkLocalWorkers(8, 'cpu', FOUR_GPUS)).not.toThrow();
    expect(() => checkLocalWorkers(8, 'auto', NO_CUDA)).not.toThrow();
    expect(() => checkLocalWorkers(4, 'cuda', TWO_GPUS)).toThrow(
      '--nproc 4 starts one worker per GPU (worker i takes cuda:i), but 2 CUDA devices are visible (cuda:0..cuda:1): give --nproc 2 or less, or --device cpu',
    );
    expect(() => checkLocalWorkers(3, 'auto', TWO_GPUS)).toThrow(WorkerDeviceError);
  });

  it('an explicit cuda:N would put every worker on one GPU: refused, with or without CUDA here', () => {
    for (const cuda of [FOUR_GPUS, NO_CUDA]) {
      expect(() => checkLocalWorkers(2, 'cuda:1', cuda)).toThrow(
        '--nproc 2 with --device cuda:1 would put every worker on cuda:1: give --device cuda (worker i takes cuda:i; choose the GPUs with CUDA_VISIBLE_DEVICES)',
      );
    }
  });
});

describe('train --nproc on devices (the CLI)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pn-dp-device-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  beforeAll(compileCliIfMissing);

  it('--nproc 2 --device cuda:1 is one line, exit code 2, before any worker starts', () => {
    const out = path.join(tmp, 'explicit');
    const r = runCli(['train', '--steps', '1', '--nproc', '2', '--device', 'cuda:1', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --nproc 2 with --device cuda:1 would put every worker on cuda:1: give --device cuda (worker i takes cuda:i; choose the GPUs with CUDA_VISIBLE_DEVICES)\n');
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(!addonBuilt(import.meta.filename))('--nproc 2 --device cuda where there is no CUDA: the addon\'s reason once, exit code 2 (skipped with CUDA)', (ctx) => {
    if (/CUDA: available/.test(runCli(['info']).stdout)) ctx.skip();
    const out = path.join(tmp, 'no-cuda');
    const r = runCli(['train', '--steps', '1', '--nproc', '2', '--device', 'cuda', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: device 'cuda': CUDA is not available/);
    expect(existsSync(out)).toBe(false);
  });
});
