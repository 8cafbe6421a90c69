#!/usr/bin/env node
// The peft-native command line. Exit codes: 0 ok, 1 a failure while running (a system error, or one of ours,
// said as such; the stack with --verbose or DEBUG set), 2 bad input (src/util/usage-error.ts: a flag, a file, a
// folder, a config field; always one line naming it),
// 3 a training run diverged (summary.json has status "diverged", the step and the last good metrics),
// 130 interrupted twice.
import { Command, CommanderError } from 'commander';
import { evalCommand } from './eval.js';
import { dataCommand } from './data.js';
import { infoCommand, packageVersion } from './info.js';
import { mergeCommand } from './merge.js';
import { trainCommand } from './train.js';
import { benchCommand } from './bench.js';
import { sweepCommand } from './sweep.js';
import { reportCommand } from './report.js';
import { isNativeUserError } from '../native/native-errors.js';
import { UsageError } from '../util/usage-error.js';
import { oneLine } from '../util/printable.js';

export function buildProgram(): Command {
  const program = new Command('peft-native')
    .description('Parameter-efficient (LoRA, DoRA, adapters, IA3, prompt/prefix tuning, BitFit) and full finetuning of Llama-family models (Llama, Mistral, Qwen2/3) and T5 over libtorch.')
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
  oneLineErrors(program);
  return program;
}

/** commander's own errors (unknown flag, bad value) as one line too: its "(Did you mean ...?)" joins the line. */
function oneLineErrors(cmd: Command): void {
  cmd.configureOutput({ outputError: (str, write) => write(oneLine(str.replace(/\n\(Did you mean (.+?)\?\)/, ' (did you mean $1?)')) + '\n') });
  for (const sub of cmd.commands) oneLineErrors(sub);
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
    const message = oneLine(err instanceof Error ? err.message : String(err));
    // Bad input (src/util/usage-error.ts) and bad input the addon found (a corrupt file, ids outside the vocabulary).
    if (err instanceof UsageError || isNativeUserError(err)) {
      process.stderr.write(`error: ${message}\n`);
      return 2;
    }
    // A system error (a full disk, a vanished file) is a failure of this run; anything else is ours.
    const systemError = typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!);
    const hint = systemError || wantStacks(argv) ? '' : ' (an unexpected failure in peft-native: run again with --verbose for the stack trace, and please report it)';
    process.stderr.write(`error: ${message}${hint}\n`);
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
