// Device selection as every machine sees it: names are checked, a device that cannot be used is a clear
// error (exit code 2 from the CLI) and never a crash, moving to the CPU changes nothing, and runs record
// their device. The CUDA-unavailable cases are skipped (with the reason) on a machine that has CUDA;
// test/cuda.test.ts covers that machine.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addonBuilt } from './helpers/addon.js';
import { compileCliIfMissing, runCli } from './helpers/cli.js';

const built = addonBuilt(import.meta.filename);

const run = (args: string[]) => runCli(args, { timeoutMs: 120_000 });

beforeAll(compileCliIfMissing);

describe('device flags (no addon call needed)', () => {
  it('train, eval and bench reject a malformed --device while parsing', () => {
    for (const command of ['train', 'eval', 'bench']) {
      const r = run([command, '--device', 'tpu']);
      expect(r.code, command).toBe(2);
      expect(r.stderr, command).toMatch(/--device.*expected auto, cpu, cuda or cuda:N/);
    }
  });
});

describe.skipIf(!built)('devices', async () => {
  const { native } = await import('../src/native/binding.js');
  const { DeviceError, resolveDevice } = await import('../src/native/device.js');
  const { loadFixtureModel } = await import('./helpers/fixtures.js');
  const cuda = native().info().cudaAvailable;
  const noCuda = cuda ? ' (skipped: this machine has CUDA)' : '';

  it('checkDevice names the canonical device or the problem', () => {
    expect(native().checkDevice('cpu')).toBe('cpu');
    expect(() => native().checkDevice('tpu')).toThrow(/unknown device 'tpu' \(use cpu, cuda or cuda:N\)/);
    expect(() => native().checkDevice('cuda:x')).toThrow(/unknown device 'cuda:x'/);
    expect(() => native().checkDevice('meta')).toThrow(/device 'meta' is not supported/);
    expect(() => resolveDevice('gpu')).toThrow(DeviceError);
  });

  it('moveTo("cpu") on a CPU model changes nothing', async () => {
    const model = await loadFixtureModel('llama');
    const batch = { inputIds: Int32Array.from([5, 9, 13, 2, 7, 11]), batchSize: 2, seqLen: 3 };
    const before = await model.forward(batch, { returnLogits: true });
    expect(model.device()).toBe('cpu');
    await model.moveTo('cpu');
    expect(model.device()).toBe('cpu');
    const after = await model.forward(batch, { returnLogits: true });
    expect(Array.from(after.logits!)).toEqual(Array.from(before.logits!));
  });

  it(`without CUDA: auto is the CPU, CUDA is a clear error and the model keeps working${noCuda}`, async (ctx) => {
    if (cuda) return ctx.skip();
    expect(resolveDevice('auto')).toBe('cpu');
    expect(() => resolveDevice('cuda')).toThrow(/device 'cuda': CUDA is not available/);
    expect(() => native().cudaMemory('cpu')).toThrow(/memory statistics are kept for CUDA devices only/);
    expect(() => native().cudaMemory('cuda:0')).toThrow(/CUDA is not available/);
    const model = await loadFixtureModel('llama');
    await expect(model.moveTo('cuda:1')).rejects.toThrow(/CUDA is not available/);
    expect(model.device()).toBe('cpu');
    const out = await model.forward({ inputIds: Int32Array.from([1, 2, 3]), labels: Int32Array.from([1, 2, 3]), batchSize: 1, seqLen: 3 });
    expect(Number.isFinite(out.lossSum)).toBe(true);
    await expect(native().bench.matmulThroughput({ size: 64, repeats: 1, device: 'cuda' })).rejects.toThrow(/CUDA is not available/);
  });

  it(`without CUDA: --device cuda exits with code 2 and says why (train, eval, bench)${noCuda}`, (ctx) => {
    if (cuda) return ctx.skip();
    const out = mkdtempSync(path.join(os.tmpdir(), 'device-'));
    const cases = [
      ['train', '--device', 'cuda', '--steps', '1', '--out', path.join(out, 'train')],
      ['eval', '--device', 'cuda:0', '--max-instances', '1', '--out', path.join(out, 'eval')],
      ['bench', '--device', 'cuda', '--model', 'tiny', '--methods', 'lora', '--steps', '1', '--out', path.join(out, 'bench')],
    ];
    for (const args of cases) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/CUDA is not available/);
    }
    expect(existsSync(path.join(out, 'train', 'run_config.json'))).toBe(false);
  });

  it('a run records the device it trained on', async () => {
    const { train } = await import('../src/train/loop.js');
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'device-run-')), 'run');
    const sink = { write: () => true, isTTY: false };
    await train({ model: 'builtin:tiny', steps: 2, batchSize: 2, device: 'cpu', out, tensorboard: false, stdout: sink });
    const config = JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8')) as { device: string; options: { device: string } };
    expect(config.device).toBe('cpu');
    expect(config.options.device).toBe('cpu');
  });
});
