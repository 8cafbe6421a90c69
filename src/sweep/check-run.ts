// Checks a planned run's flags exactly as `peft-native train` would (its own parser and option checks), and the
// memorization and benchmark evaluations' flags as `peft-native eval` would, without running anything: a sweep refuses a bad
// grid before its first run starts.
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CommanderError, type Command } from 'commander';
import { trainCommand, trainOptionsFromFlags, type TrainFlags } from '../cli/train.js';
import { evalCommand } from '../cli/eval.js';
import { resolveTrainOptions, type ResolvedTrainOptions, type TrainOptions } from '../train/options.js';
import type { TrainResult } from '../train/loop.js';
import type { SuperNIEvalResult } from '../eval/superni-eval.js';
import type { BenchmarkResult } from '../eval/benchmark-run.js';

/** Parses `args` with `command` (its action captures instead of running); a bad flag throws with commander's message. */
async function parse(command: Command, args: string[]): Promise<void> {
  command.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  try {
    await command.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new Error(err.message.replace(/^error: /, ''));
    throw err;
  }
}

/** The resolved options of `peft-native train <args>`; throws the error train would report. */
export async function checkTrainArgs(args: string[]): Promise<ResolvedTrainOptions> {
  let captured: TrainOptions | null = null;
  const capture = async (options: TrainOptions): Promise<TrainResult> => {
    captured = options;
    return { diverged: false } as TrainResult;
  };
  // `--nproc n` (a spec's, or the sweep's own with --gpus-per-run) is checked as the workers would see it: no
  // worker starts here.
  const captureWorkers = async (flags: TrainFlags): Promise<void> => {
    captured = trainOptionsFromFlags(flags);
  };
  await parse(trainCommand(capture, captureWorkers), args);
  if (captured === null) throw new Error('the train flags were not parsed');
  // A folder that does not exist: the check must not find the real run folder (a resumed run has one).
  return resolveTrainOptions({ ...(captured as TrainOptions), out: path.join(os.tmpdir(), `peft-native-check-${randomBytes(6).toString('hex')}`) });
}

/** Checks `peft-native eval <args>` flags (parsing only: the run folder does not exist yet). */
export async function checkEvalArgs(args: string[]): Promise<void> {
  let called = false;
  await parse(
    evalCommand(
      async () => {
        called = true;
        return {} as SuperNIEvalResult;
      },
      async () => {
        called = true;
        return {} as BenchmarkResult;
      },
    ),
    args,
  );
  if (!called) throw new Error('the eval flags were not parsed');
}
