// `peft-native bench`: step time, tokens/s, peak memory, FLOPs and MFU of several methods on one model,
// each method in its own process. Writes bench.json and bench.svg to --out and prints a table.
import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { builtinModelNames } from '../models/builtin.js';
import { describeBenchMethods, parseBenchMethods } from '../bench/method-spec.js';
import { parseIntegerFlag, parseNumberFlag } from './train.js';
import { timestamp } from '../train/timestamp.js';
import { deviceOption } from './device-flag.js';
import { checkDataSpec } from '../train/options.js';
import { UsageError } from '../util/usage-error.js';
import { BENCH_LABELS, SUPERNI_TARGET_FRACTION, type BenchLabels } from '../bench/labels.js';

interface BenchFlags {
  model: string;
  methods: string;
  batchSize: number;
  seqLen: number;
  steps: number;
  warmup: number;
  threads?: number;
  seed: number;
  lr: number;
  precision: 'fp32' | 'bf16';
  baseDtype?: 'fp32' | 'bf16';
  labels: BenchLabels;
  data?: string;
  device: string;
  peakTflops?: number;
  out?: string;
}

/** A commander argument parser from a check that throws a usage error: its message, as commander reports it. */
function checkedFlag(check: (value: string) => unknown): (value: string) => string {
  return (value) => {
    try {
      check(value);
    } catch (err) {
      if (err instanceof UsageError) throw new InvalidArgumentError(err.message + '.');
      throw err;
    }
    return value;
  };
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('Benchmark training steps of several methods side by side (each in a fresh process): time, tokens/s, peak memory, MFU')
    .option('--model <spec>', `built-in model (${builtinModelNames().join(', ')}) or an HF model folder`, 'small')
    .option('--methods <list>', `comma-separated methods, options as in train --method: ${describeBenchMethods()}`, checkedFlag(parseBenchMethods), 'full,lora:r=8,lora:r=64')
    .option('--batch-size <n>', 'sequences per step', parseIntegerFlag(1, 'batch size'), 4)
    .option('--seq-len <n>', 'tokens per sequence (T5: the source, with a target of 1/8 of it)', parseIntegerFlag(2, 'sequence length'), 256)
    .option('--steps <n>', 'timed steps per method', parseIntegerFlag(1, 'steps'), 10)
    .option('--warmup <n>', 'untimed steps first', parseIntegerFlag(0, 'warmup'), 2)
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores)', parseIntegerFlag(1, 'threads'))
    .option('--seed <n>', 'seed of weights and tokens', parseIntegerFlag(0, 'seed'), 0)
    .option('--lr <x>', 'learning rate of the measured steps', parseNumberFlag('learning rate', (n) => n > 0, '> 0'), 1e-4)
    .addOption(new Option('--precision <p>', 'training precision').choices(['fp32', 'bf16']).default('fp32'))
    .addOption(new Option('--base-dtype <p>', 'how the frozen base is stored (default: bf16 under --precision bf16)').choices(['fp32', 'bf16']))
    .addOption(
      new Option('--labels <shape>', `trained tokens of the random batches: superni (the prompt masked, the last ${SUPERNI_TARGET_FRACTION * 100}% of each row trained, as instruction data) or all; --data batches keep their own labels`)
        .choices([...BENCH_LABELS])
        .default('superni'),
    )
    .option('--data <spec>', "time batches of this data instead (train's --data; the training pipeline's batches, --seq-len the longest example, tokens/s counts real tokens)", checkedFlag(checkDataSpec))
    .addOption(deviceOption('auto'))
    .option('--peak-tflops <x>', 'peak TFLOP/s for MFU (default: a GEMM in the run precision, measured here)', parseNumberFlag('peak TFLOP/s', (n) => n > 0, '> 0'))
    .option('--out <dir>', 'where bench.json and bench.svg go (default bench-results/<timestamp>)')
    .addHelpText(
      'after',
      `
Examples:
  $ peft-native bench --model small --methods full,lora:r=8,lora:r=64 --batch-size 4 --seq-len 256
  $ peft-native bench --model 1b --methods full,lora:r=16:targets=all-linear --steps 20
  $ peft-native bench --model small --methods lora,dora,ia3,adapter:size=16,prompt:n=32,prefix:n=8:mlp=none,bitfit
  $ peft-native bench --model ./Llama-3.2-1B --data superni:./natural-instructions --seq-len 1152 --precision bf16

Method options (defaults are train's; LoRA/DoRA run without dropout):
  lora, dora   r=<rank> alpha=<alpha> targets=<q_proj+v_proj | all-linear>
  adapter      size=<bottleneck width> or rf=<reduction factor>
  prompt       n=<virtual tokens>
  prefix       n=<virtual tokens> mlp=<reparameterization hidden size | none>
  full, ia3, bitfit take no options
GFLOP/token counts matrix products of weights only; the virtual tokens of prompt/prefix tuning are not counted.`,
    )
    .action(async (f: BenchFlags) => {
      const { runBench, formatBenchTable } = await import('../bench/run.js');
      const out = path.resolve(f.out ?? path.join('bench-results', timestamp(new Date())));
      const report = await runBench({
        model: f.model,
        methods: f.methods,
        batchSize: f.batchSize,
        seqLen: f.seqLen,
        steps: f.steps,
        warmup: f.warmup,
        threads: f.threads ?? null,
        seed: f.seed,
        lr: f.lr,
        precision: f.precision,
        ...(f.baseDtype !== undefined ? { baseDtype: f.baseDtype } : {}),
        labels: f.labels,
        ...(f.data !== undefined ? { data: f.data } : {}),
        device: f.device,
        peakTflops: f.peakTflops ?? null,
        out,
        log: (line) => process.stderr.write(line + '\n'),
      });
      process.stdout.write(formatBenchTable(report) + '\n');
      process.stdout.write(`results: ${path.join(out, 'bench.json')}, chart: ${path.join(out, 'bench.svg')}\n`);
    });
}
