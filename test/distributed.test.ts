// Data parallelism over c10d (Gloo on CPU): ranks started with torchrun's variables train to what one process
// training on all their batches gives, and a rank that dies or never comes fails the others with a clear error.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeLocalPort } from '../src/distributed/launch.js';
import { parseModelConfig } from '../src/models/config.js';
import { native } from '../src/native/binding.js';

const worker = path.resolve('test/helpers/dp-worker.mjs');
const work = mkdtempSync(path.join(tmpdir(), 'pn-dp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface RankResult {
  rank: number;
  losses: number[];
  gradNorms: number[];
  tokens: number[];
  params: Record<string, number[]>;
  optimizerState: { parameters: number; hostBytes: number };
  /** Per step: gradient buckets, how many started their all-reduce while the backward ran, this rank's batches. */
  buckets: Array<{ total: number; overlapped: number; batches: number }>;
}

/** Starts `world` ranks of dp-worker.mjs the way torchrun would (one process each, its variables). */
async function launch(world: number, env: Record<string, string>, perRank: (rank: number) => Record<string, string> = () => ({})) {
  const port = await freeLocalPort();
  const runs = Array.from({ length: world }, (_, rank) => {
    const out = path.join(work, `${env.METHOD}-${world}-${port}-${rank}.json`);
    const child = spawn(process.execPath, [worker, out], {
      env: { ...process.env, ...env, RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), ...perRank(rank) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise<{ code: number | null; stderr: string; out: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr, out })));
  });
  return Promise.all(runs);
}

async function train(world: number, method: string, env: Record<string, string> = {}): Promise<RankResult[]> {
  const results = await launch(world, { METHOD: method, ...env });
  return results.map((r) => {
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(readFileSync(r.out, 'utf8')) as RankResult;
  });
}

function maxParamDifference(a: RankResult, b: RankResult): number {
  let max = 0;
  for (const [name, values] of Object.entries(a.params)) {
    const other = b.params[name]!;
    expect(other).toHaveLength(values.length);
    values.forEach((v, i) => (max = Math.max(max, Math.abs(v - other[i]!))));
  }
  return max;
}

describe('data-parallel training over c10d (Gloo, CPU)', () => {
  // 4 ranks over 3 micro-batches per step: rank 3 has none and sums zeros (its buckets start after its empty step).
  for (const [method, world] of [['lora', 2], ['full', 3], ['lora', 4]] as const) {
    it(`${world} ranks train ${method} to one process's losses and weights (1e-6), gradients summed while the backward runs`, async () => {
      const [single] = await train(1, method);
      // Small buckets: several all-reduces per step, each starting once the backward has its gradients.
      const ranks = await train(world, method, { BUCKET_BYTES: method === 'lora' ? '1024' : '16384' });
      for (const r of ranks) {
        expect(r.buckets).toHaveLength(single!.losses.length);
        for (const b of r.buckets) {
          expect(b.total).toBeGreaterThan(2);
          // Every parameter gets its gradient in the rank's last backward: every bucket started during it.
          expect(b.overlapped).toBe(b.batches > 0 ? b.total : 0);
        }
        // The whole step's loss and target count on every rank, as one process counts them.
        expect(r.tokens).toEqual(single!.tokens);
        r.losses.forEach((l, i) => expect(Math.abs(l - single!.losses[i]!)).toBeLessThan(1e-6));
        r.gradNorms.forEach((g, i) => expect(Math.abs(g - single!.gradNorms[i]!)).toBeLessThan(1e-6 * Math.max(1, g)));
        expect(maxParamDifference(r, single!)).toBeLessThan(1e-6);
        // Ranks hold the very same weights: the same summed gradients, the same update.
        expect(maxParamDifference(r, ranks[0]!)).toBe(0);
      }
      // The steps trained: the weights moved from where they started.
      expect(single!.losses[3]).not.toBe(single!.losses[0]);
    }, 120_000);
  }

  for (const [method, world] of [['lora', 2], ['full', 3]] as const) {
    it(`ZeRO-1 over ${world} ranks (${method}): the unsharded run's weights, each rank holding only its shard of the AdamW state`, async () => {
      const [single] = await train(1, method);
      const plain = await train(world, method);
      const sharded = await train(world, method, { ZERO: '1' });
      for (const r of sharded) {
        r.losses.forEach((l, i) => expect(Math.abs(l - single!.losses[i]!)).toBeLessThan(1e-6));
        expect(maxParamDifference(r, single!)).toBeLessThan(1e-6);
        // The owner's update is the one every rank computes without sharding: bit for bit.
        expect(maxParamDifference(r, plain[0]!)).toBe(0);
        expect(r.optimizerState.parameters).toBeGreaterThan(0);
        expect(r.optimizerState.hostBytes).toBeLessThan(single!.optimizerState.hostBytes);
      }
      // The shards partition the state: every parameter's AdamW state on exactly one rank.
      const sum = (k: 'parameters' | 'hostBytes') => sharded.reduce((n, r) => n + r.optimizerState[k], 0);
      expect(sum('parameters')).toBe(Object.keys(single!.params).length);
      expect(sum('hostBytes')).toBe(single!.optimizerState.hostBytes);
      for (const r of plain) expect(r.optimizerState).toEqual(single!.optimizerState);
    }, 180_000);
  }

  it('a ZeRO-1 state saved on 3 ranks resumes in one process and on 2 sharded ranks as the same run', async () => {
    const [whole] = await train(1, 'full');
    const saved = path.join(work, 'zero-3');
    mkdirSync(saved);
    await train(3, 'full', { ZERO: '1', STEPS: '2', SAVE_STATE_DIR: saved });
    // Rank 0's file holds the weights, the RNG and its shard; the others only their shards.
    const files = [0, 1, 2].map((r) => path.join(saved, `state-${r}.safetensors`));
    const names = await Promise.all(files.map(async (f) => (await native().safetensors.inspect(f)).tensors.map((t) => t.name)));
    expect(names[0]).toContain('rng/cpu');
    for (const n of names.slice(1)) expect(n.every((t) => /^(exp_avg|exp_avg_sq|step)\//.test(t))).toBe(true);
    const resumed = { LOAD_STATE: files.join(','), FIRST_STEP: '2', STEPS: '2' };
    const [one] = await train(1, 'full', resumed);
    const two = await train(2, 'full', { ...resumed, ZERO: '1' });
    for (const r of [one!, ...two]) {
      r.losses.forEach((l, i) => expect(Math.abs(l - whole!.losses[2 + i]!)).toBeLessThan(1e-6));
      expect(maxParamDifference(r, whole!)).toBeLessThan(1e-6);
    }
    // A shard missing from the files is a clear error, not a silent restart of that state.
    const [partial] = await launch(1, { METHOD: 'full', LOAD_STATE: files.slice(0, 2).join(','), FIRST_STEP: '2', STEPS: '1' });
    expect(partial!.stderr).toMatch(/state-0\.safetensors: the optimizer state is sharded over 3 ranks and shard 2 is missing/);
    const [twice] = await launch(1, { METHOD: 'full', LOAD_STATE: [...files, files[1]!].join(','), FIRST_STEP: '2', STEPS: '1' });
    expect(twice!.stderr).toMatch(/state-1\.safetensors: shard 1 is also .*state-1\.safetensors/);
  }, 240_000);

  it('with LoRA dropout, 2 ranks draw the masks one process draws: per-batch dropout seeds', async () => {
    const [single] = await train(1, 'lora', { DROPOUT: '0.3' });
    const [plain] = await train(1, 'lora');
    const ranks = await train(2, 'lora', { DROPOUT: '0.3' });
    // Dropout changes the run (the masks matter), and the ranks reproduce it.
    expect(Math.abs(single!.losses[3]! - plain!.losses[3]!)).toBeGreaterThan(1e-4);
    for (const r of ranks) {
      r.losses.forEach((l, i) => expect(Math.abs(l - single!.losses[i]!)).toBeLessThan(1e-6));
      expect(maxParamDifference(r, single!)).toBeLessThan(1e-6);
    }
  }, 120_000);

  it('a rank that dies mid-run fails the others at once with an error naming the rank', async () => {
    const [survivor, dead] = await launch(2, { METHOD: 'lora' }, (rank): Record<string, string> => (rank === 1 ? { DIE_AT_STEP: '2' } : {}));
    expect(dead!.code).toBe(3);
    expect(survivor!.code).not.toBe(0);
    expect(survivor!.stderr).toMatch(/distributed \(rank 0 of 2, 127\.0\.0\.1:\d+\): all-reduce failed \(another rank exited or stopped answering\?\)/);
  }, 120_000);

  it('a rank that never comes fails the rendezvous after the timeout, saying how many joined', async () => {
    const port = await freeLocalPort();
    const group = new (native().ProcessGroup)({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 1500 });
    await expect(group.join()).rejects.toThrow(/rendezvous failed \(are all 2 ranks started with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE\?\).*1\/2 clients joined/);
  }, 60_000);

  it('refuses bad group options as user errors', async () => {
    const { ProcessGroup, Trainer, Model } = native();
    const bad = (o: object) => new ProcessGroup({ rank: 0, worldSize: 1, ...o }).join();
    await expect(bad({ rank: 2, worldSize: 2 })).rejects.toMatchObject({ code: 'PEFT_NATIVE_USER_ERROR', message: expect.stringMatching(/RANK must be in \[0, WORLD_SIZE 2\), got 2/) });
    await expect(bad({ masterPort: 70000 })).rejects.toThrow(/MASTER_PORT must be a TCP port/);
    expect(() => new ProcessGroup({ rank: 0.5, worldSize: 1 })).toThrow(/rank must be an integer/);
    // A trainer cannot join a group before it joined, nor step with no batches in one process.
    const config = parseModelConfig({ model_type: 'llama', vocab_size: 16, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2, max_position_embeddings: 16 });
    const model = Model.create(config, { seed: 1 });
    model.enableFullFinetuning();
    const trainer = new Trainer(model, {});
    await expect(trainer.joinProcessGroup(new ProcessGroup({ rank: 0, worldSize: 1 }))).rejects.toThrow(/has not joined yet/);
    await expect(trainer.step([], 1e-3)).rejects.toThrow(/step needs at least one batch/);
    // A group of one joins at once and sums to the values themselves.
    const one = new ProcessGroup({ rank: 0, worldSize: 1, masterPort: await freeLocalPort() });
    await one.join();
    expect(Array.from(await one.allReduceSum(new Float64Array([1.5, -2])))).toEqual([1.5, -2]);
    one.dispose();
  }, 60_000);
});
