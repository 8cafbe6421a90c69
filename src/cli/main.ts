#!/usr/bin/env node
// The peft-native command line. Exit codes: 0 ok, 1 a failure while running (message only; the stack with
// --verbose or DEBUG set), 2 a bad command line (unknown flag, bad value, missing path, unusable model folder),
// 3 a training run diverged (summary.json has status "diverged", the step and the last good metrics),
// 130 interrupted twice.
import { Command, CommanderError } from 'commander';
import { CheckpointError } from '../models/checkpoint.js';
import { ConfigError } from '../models/config.js';
import { LoraOptionsError } from '../peft/lora.js';
import { TrainOptionsError } from '../train/options.js';
import { AdapterError } from '../peft/adapter-files.js';
import { EvalOptionsError } from '../eval/run-eval.js';
import { evalCommand } from './eval.js';
import { DataError } from '../data/errors.js';
import { DeviceError } from '../native/device.js';
import { AddonUnavailableError } from '../native/addon-file.js';
import { dataCommand } from './data.js';
import { infoCommand, packageVersion } from './info.js';
import { mergeCommand } from './merge.js';
import { trainCommand } from './train.js';
import { benchCommand } from './bench.js';
import { sweepCommand } from './sweep.js';
import { reportCommand } from './report.js';
import { SweepSpecError } from '../sweep/spec.js';
import { isNativeUserError } from '../native/native-errors.js';

export function buildProgram(): Command {
  const program = new Command('peft-native')
    .description('Parameter-efficient (LoRA, DoRA, adapters, IA3, prompt/prefix tuning, BitFit) and full finetuning of Llama-family models (Llama, Mistral, Qwen2/3) over libtorch.')
    .version(packageVersion(), '-V, --version')
    .option('--verbose', 'show stack traces on errors')
    .addHelpText(
      'after',
      `
Start with:
  $ peft-native train            # LoRA on the built-in tiny model and data (CPU, about 2 minutes)
  $ peft-native train --help     # every training flag, with examples
  $ peft-native eval --help      # SuperNI evaluation (exact match, ROUGE-L) of a model or adapter
  $ peft-native merge --help     # fold a LoRA/DoRA/IA3 adapter into its base model
  $ peft-native data prepare --data superni:<dir> --model <dir>   # tokenize + cache, print counts
  $ peft-native sweep --preset mini --workers 2 # the study's experiments in miniature (CPU, minutes)
  $ peft-native report sweeps/mini              # its findings page: Markdown + SVG figures
  $ peft-native info             # libtorch version, CUDA devices, threads`,
    );
  for (const cmd of [trainCommand(), evalCommand(), mergeCommand(), dataCommand(), sweepCommand(), reportCommand(), benchCommand(), infoCommand()]) {
    cmd.exitOverride();
    program.addCommand(cmd);
  }
  program.exitOverride();
  return program;
}

function wantStacks(argv: string[]): boolean {
  return argv.includes('--verbose') || Boolean(process.env.DEBUG);
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or the help)
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
    // Bad input named on the command line (flags, model folders, config.json), bad input the addon found (a corrupt
    // file, ids outside the vocabulary) and a missing native build: usage errors.
    if (err instanceof TrainOptionsError || err instanceof DataError || err instanceof LoraOptionsError || err instanceof ConfigError || err instanceof CheckpointError ||
      err instanceof EvalOptionsError || err instanceof AdapterError || err instanceof DeviceError || err instanceof AddonUnavailableError || err instanceof SweepSpecError ||
      isNativeUserError(err)) return 2;
    if (wantStacks(argv) && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return 1;
  }
}

// Started by `peft-native sweep` (an IPC channel, see src/sweep/run-process.ts): when the sweep dies the channel
// closes, and the command stops as on Ctrl-C (training saves a checkpoint) instead of running on unwatched.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGINT'));
}

// A closed pipe (`peft-native info | head -1`) ends the output, not the process with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await main();
process.exitCode = code;
