// The large-block CPU allocator (native/common/large_block_cache.cc): blocks never overlap or move while live,
// kernel mappings stay bounded, and training computes bit for bit what libtorch's default allocator gives.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../src/native/binding.js';

const linux = process.platform === 'linux';
const work = mkdtempSync(path.join(tmpdir(), 'pn-cpu-alloc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const mappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean).length;

// The allocator is Linux-only (mremap); elsewhere libtorch's default allocator serves everything and this suite is skipped.
describe.runIf(linux)('large-block CPU allocator (Linux only: it moves pages with mremap)', () => {
  it('is libtorch\'s CPU allocator on Linux', () => {
    expect(native().cpuMemory().installed).toBe(true);
  });

  it('keeps every live block intact through random allocations and frees, recycling pages', () => {
    const addon = native();
    const before = addon.cpuMemory();
    const r = addon.testing.cpuAllocatorStress({ seed: 7, operations: 2000, maxMiB: 8, maxLive: 40 });
    const after = addon.cpuMemory();
    expect(r.allocations).toBeGreaterThan(1000);
    expect(r.checks).toBeGreaterThan(20000);
    expect(r.corrupted).toBe(0);
    // Freed pages served later requests: from one block, and moved together from several.
    expect(after.hits - before.hits).toBeGreaterThan(100);
    expect(after.assembled - before.assembled).toBeGreaterThan(0);
    // Mapped memory stays within the most ever live; mappings stay far below the kernel's ~65,000.
    expect(after.liveBytes + after.cachedBytes).toBeLessThanOrEqual(after.highWaterBytes);
    expect(mappings()).toBeLessThan(5000);
  });

  it('trains to the same losses, bit for bit, as libtorch\'s default allocator', () => {
    const dist = path.resolve('dist');
    const script = path.join(work, 'steps.mjs');
    // vocab 4096 x 512 positions: logits of 8 MB and activations of 1-2 MB, so the large-block path is taken.
    writeFileSync(
      script,
      `import { native } from ${JSON.stringify(path.join(dist, 'native/binding.js'))};
import { parseModelConfig } from ${JSON.stringify(path.join(dist, 'models/config.js'))};
import { timeTrainingSteps } from ${JSON.stringify(path.join(dist, 'bench/worker.js'))};
const pn = native();
pn.setNumThreads(1);
const hf = { model_type: 'llama', vocab_size: 4096, hidden_size: 128, intermediate_size: 352, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512, rms_norm_eps: 1e-6, rope_theta: 10000 };
const out = {};
for (const method of ['lora', 'full']) {
  const model = pn.Model.create(parseModelConfig(hf, 'config.json'), { seed: 3 });
  if (method === 'lora') model.applyLora({ r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, init: 'kaiming', seed: 3 });
  else model.enableFullFinetuning();
  const { losses } = await timeTrainingSteps(model, { batchSize: 4, seqLen: 512, steps: 4, warmup: 1, seed: 5, lr: 1e-3, label: method, labels: 'all' }, () => {});
  out[method] = losses;
}
out.cpu = pn.cpuMemory();
process.stdout.write(JSON.stringify(out));
`,
    );
    const run = (allocator: string | undefined) => {
      const env = { ...process.env, PEFT_NATIVE_CPU_ALLOCATOR: allocator ?? '' };
      const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env, timeout: 300_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { lora: number[]; full: number[]; cpu: { installed: boolean; hits: number } };
    };
    const cached = run(undefined);
    const system = run('system');
    expect(cached.cpu.installed).toBe(true);
    expect(cached.cpu.hits).toBeGreaterThan(0);
    expect(system.cpu.installed).toBe(false);
    expect(cached.lora).toHaveLength(5);
    expect(cached.lora).toEqual(system.lora);
    expect(cached.full).toEqual(system.full);
    // The steps did train: the full finetuning loss moved.
    expect(cached.full[4]).not.toBe(cached.full[0]);
  }, 600_000);
});
