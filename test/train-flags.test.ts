// `peft-native train` flags -> TrainOptions, through the real commander definition with a recording runner:
// every flag lands in its option (renamed, split or combined where the flag differs), and flags not given
// stay undefined so train() applies its documented defaults.
import { describe, expect, it } from 'vitest';
import { trainCommand } from '../src/cli/train.js';
import type { TrainOptions } from '../src/train/options.js';
import type { TrainResult } from '../src/train/loop.js';

async function parse(args: string[]): Promise<TrainOptions> {
  let seen: TrainOptions | undefined;
  const cmd = trainCommand(async (options) => {
    seen = options;
    return { diverged: false } as TrainResult;
  });
  cmd.exitOverride();
  await cmd.parseAsync(args, { from: 'user' });
  const { signal: _signal, ...options } = seen!;
  return options;
}

describe('train flags -> TrainOptions', () => {
  it('copies same-named flags, renames and splits the others', async () => {
    const o = await parse([
      '--model', 'builtin:small', '--method', 'adapter', '--adapter-size', '32', '--adapter-placement', 'pfeiffer',
      '--lr', '0.002', '--steps', '7', '--batch-size', '3', '--grad-accum', '2', '--packing', '--pack-length', '64',
      '--seed', '5', '--data-seed', '127', '--threads', '1', '--device', 'cpu', '--precision', 'bf16', '--gradient-checkpointing',
      '--metric-for-best-model', 'eval_rougeL', '--greater-is-better', '--no-cache', '--no-tensorboard', '--log-every', '3',
      '--max-length', '128', '--quiet',
    ]);
    expect(o).toEqual({
      model: 'builtin:small',
      data: 'builtin',
      method: 'adapter',
      adapterSize: 32,
      adapterPlacement: 'pfeiffer',
      lr: 0.002,
      steps: 7,
      batchSize: 3,
      gradientAccumulation: 2,
      packing: true,
      packLength: 64,
      seed: 5,
      dataSeed: 127,
      threads: 1,
      device: 'cpu',
      precision: 'bf16',
      gradientCheckpointing: true,
      bestMetric: { name: 'eval_rougeL', greaterIsBetter: true },
      cacheDir: null,
      tensorboard: false,
      logEvery: 3,
      maxLength: 128,
      quiet: true,
    });
  });

  it('LoRA and IA3 lists arrive as the option types', async () => {
    const lora = await parse(['--target-modules', 'q_proj,v_proj', '--rank', '4', '--alpha', '8', '--rslora']);
    expect(lora).toMatchObject({ targetModules: 'q_proj,v_proj', rank: 4, alpha: 8, rslora: true });
    const ia3 = await parse(['--method', 'ia3', '--feedforward-modules', 'down_proj, up_proj']);
    expect(ia3.feedforwardModules).toEqual(['down_proj', 'up_proj']);
  });

  it("leaves unset flags out, so the defaults are train()'s (commander's own defaults: model, data, method)", async () => {
    const o = await parse([]);
    expect(o).toEqual({ model: 'builtin:tiny', data: 'builtin', method: 'lora', tensorboard: true });
  });
});

describe('flags with their own spelling', () => {
  it('--prefix-hidden none is no reparameterization (null), a number its hidden size', async () => {
    expect((await parse(['--method', 'prefix', '--prefix-hidden', 'none'])).prefixHiddenSize).toBeNull();
    expect((await parse(['--method', 'prefix', '--prefix-hidden', '256'])).prefixHiddenSize).toBe(256);
  });

  it('the recipe and optimizer flags land in their options', async () => {
    const o = await parse(['--recipe', 'study', '--adam-eps', '1e-6', '--weight-decay-params', 'all', '--method', 'bitfit', '--bitfit-init', 'normal', '--target-modules', 'q_proj,v_proj']);
    expect(o).toMatchObject({ recipe: 'study', adamEps: 1e-6, weightDecayParams: 'all', method: 'bitfit', bitfitInit: 'normal', targetModules: 'q_proj,v_proj' });
  });
});
