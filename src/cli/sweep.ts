// `peft-native sweep`: a grid of training runs (a spec file or a built-in preset) scheduled over GPUs or CPU
// workers, each run its own process and folder; continues where a stopped sweep left off. Results in
// <out>/results.jsonl and <out>/results.arrow; `peft-native report <out>` states the findings.
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { isDeviceName } from '../native/device.js';
import { parseIntegerFlag } from './train.js';
import { SWEEP_PRESETS, presetSpec } from '../sweep/presets.js';
import { SweepSpecError, benchmarkArgs, expandSweep, parseSweepSpec, settingsToArgs, type FlagValue, type PlannedRun, type SweepSpec } from '../sweep/spec.js';
import { checkEvalArgs, checkTrainArgs } from '../sweep/check-run.js';
import { openSweepPlan, readSweepPlan } from '../sweep/sweep-folder.js';
import { RESULTS_ARROW, RESULTS_JSONL } from '../sweep/results.js';
import { runSweep, runDir } from '../sweep/scheduler.js';
import { envPrefix, placementArgs, placementConflict, slotText, sweepSlots as slotsOf, type RunPlacement, type SlotFlags } from '../sweep/placement.js';
import { withInterrupts } from './interrupt.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';

interface SweepFlags {
  preset?: string;
  out?: string;
  model?: string[];
  data?: string;
  splitDir?: string;
  benchData?: string;
  set?: Array<[string, FlagValue]>;
  workers?: number;
  devices?: string[];
  gpusPerRun?: number;
  threads?: number;
  retryFailed?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
}

/** `--set flag=value`: numbers and true/false as such, anything else as a string. */
function parseSet(value: string, previous: Array<[string, FlagValue]> = []): Array<[string, FlagValue]> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected flag=value (a train flag without "--", e.g. steps=100).');
  const key = value.slice(0, eq).trim().replace(/^--/, '');
  const raw = value.slice(eq + 1).trim();
  const parsed: FlagValue = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return [...previous, [key, parsed]];
}

function parseDevices(value: string): string[] {
  const devices = value.split(',').map((d) => d.trim()).filter((d) => d !== '');
  const bad = devices.find((d) => !isDeviceName(d) || d === 'auto');
  if (devices.length === 0 || bad !== undefined) throw new InvalidArgumentError('expected a comma list of devices: cpu, cuda, cuda:N.');
  if (new Set(devices).size !== devices.length) throw new InvalidArgumentError('a device is listed twice.');
  return devices;
}

/** The slots runs are placed on (src/sweep/placement.ts); the cores and environment default to this machine's. */
export function sweepSlots(f: SlotFlags, cores = os.availableParallelism(), env: NodeJS.ProcessEnv = process.env): RunPlacement[] {
  return slotsOf(f, cores, env);
}

async function specFromFile(file: string): Promise<SweepSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SweepSpecError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SweepSpecError(`${file}: invalid JSON: ${jsonSyntaxProblem(err)}`);
  }
  return parseSweepSpec(raw, file);
}

/** The spec the flags name (file or preset, with --set applied to its base), or null when only --out is given. */
async function specFromFlags(file: string | undefined, f: SweepFlags): Promise<SweepSpec | null> {
  if (file !== undefined && f.preset !== undefined) throw new SweepSpecError('give a spec file or --preset, not both');
  const inputs = { models: f.model ?? [], ...(f.data !== undefined ? { data: f.data } : {}), ...(f.splitDir !== undefined ? { splitDir: f.splitDir } : {}), ...(f.benchData !== undefined ? { benchData: f.benchData } : {}) };
  if (file !== undefined && (inputs.models.length > 0 || f.data !== undefined || f.splitDir !== undefined || f.benchData !== undefined)) {
    throw new SweepSpecError('--model, --data, --split-dir and --bench-data fill in a preset; with a spec file, write them in its "base" and "benchmarks" (or use --set)');
  }
  const spec = file !== undefined ? await specFromFile(file) : f.preset !== undefined ? presetSpec(f.preset, inputs) : null;
  if (spec === null) {
    if (f.set !== undefined || inputs.models.length > 0 || f.data !== undefined || f.splitDir !== undefined || f.benchData !== undefined) throw new SweepSpecError('--set, --model, --data, --split-dir and --bench-data need a spec file or --preset');
    return null;
  }
  // --set replaces a setting everywhere: in the base, and as an axis or a variant's value.
  for (const [key, value] of f.set ?? []) {
    spec.base[key] = value;
    for (const grid of spec.grids) {
      delete grid.settings[key];
      for (const v of grid.variants) delete v[key];
    }
  }
  return parseSweepSpec(spec, f.preset !== undefined ? `--preset ${f.preset}` : file!);
}

/** Refuses runs whose settings do not fit the slots (a spec's nproc beside --gpus-per-run), naming the first. */
function checkPlacement(runs: PlannedRun[], slots: RunPlacement[]): void {
  for (const run of runs) {
    const conflict = placementConflict(run.settings, slots);
    if (conflict !== null) throw new SweepSpecError(`run ${run.id} (grid ${run.grids.join(', ')}): ${conflict}`);
  }
}

/**
 * Checks every run's flags as train would (with the --nproc a slot of several GPUs adds), and the memorization
 * flags as eval would (SweepSpecError naming the run).
 */
async function checkRuns(spec: SweepSpec, runs: PlannedRun[], slot: RunPlacement): Promise<void> {
  const workers = slot.gpus !== undefined ? ['--nproc', String(slot.gpus.length)] : [];
  for (const run of runs) {
    try {
      await checkTrainArgs([...settingsToArgs(run.settings), ...workers]);
    } catch (err) {
      throw new SweepSpecError(`run ${run.id} (grid ${run.grids.join(', ')}): ${(err as Error).message}`);
    }
  }
  if (spec.memorization !== null) {
    try {
      await checkEvalArgs(['--run', 'run', '--split', 'memorization', ...settingsToArgs(spec.memorization)]);
    } catch (err) {
      throw new SweepSpecError(`memorization: ${(err as Error).message}`);
    }
  }
  for (const [name, flags] of Object.entries(spec.benchmarks)) {
    try {
      await checkEvalArgs(['--run', 'run', ...benchmarkArgs(name, flags)]);
    } catch (err) {
      throw new SweepSpecError(`benchmarks.${name}: ${(err as Error).message}`);
    }
  }
}

const EXAMPLES = `
Presets:
${Object.entries(SWEEP_PRESETS).map(([name, p]) => `  ${name.padEnd(13)}${p.summary}`).join('\n')}

Examples:
  # The study in miniature on this machine (CPU, two runs side by side), then its findings page
  $ peft-native sweep --preset mini --workers 2 --out sweeps/mini
  $ peft-native report sweeps/mini

  # The LR x size grid of every method on two GPUs
  $ peft-native sweep --preset lr-grid --model ./Llama-3.2-1B --data superni:./natural-instructions \\
      --split-dir ./natural-instructions/splits/default --devices cuda:0,cuda:1 --out sweeps/lr-grid

  # Four GPUs, two per run (each run data-parallel over its pair; two runs at a time)
  $ peft-native sweep --preset lr-grid ... --devices cuda:0,cuda:1,cuda:2,cuda:3 --gpus-per-run 2 --out sweeps/lr-grid

  # Continue a stopped sweep (finished runs are kept, interrupted ones resume from their checkpoint)
  $ peft-native sweep --out sweeps/lr-grid

  # A spec file (see docs/SWEEPS.md), with a setting replaced for a quick try
  $ peft-native sweep grid.json --set steps=50 --dry-run

Each run is a \`peft-native train\` process in <out>/runs/<id>/ (its log: train.log); a failed or diverged run
is recorded and the sweep goes on. With --gpus-per-run k, a run's train starts k workers (--nproc k --device cuda),
worker i on the i-th GPU of the run's group (CUDA_VISIBLE_DEVICES); its evaluations run on the group's first GPU.
Results: <out>/${RESULTS_JSONL} and <out>/${RESULTS_ARROW} (one row per run: settings, status, dev curve, best
step, test and memorization scores per task and category, throughput, memory, the devices it ran on).
Exit codes: 0 every run finished (whatever its result), 2 a bad spec or flag, 130 stopped (run it again to continue).
`;

export function sweepCommand(): Command {
  return new Command('sweep')
    .description('Run a grid of training runs (a JSON spec or a preset of the study) over GPUs or CPU workers, continuing where a stopped sweep left off; results in one table.')
    .argument('[spec]', 'sweep spec (JSON); see docs/SWEEPS.md')
    .option('--preset <name>', `a built-in sweep: ${Object.keys(SWEEP_PRESETS).join(', ')}`)
    .option('--out <dir>', 'sweep folder (default sweeps/<name>)')
    .option('--model <dir>', 'for a preset: the model (give it once per model for model-size)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--data <spec>', 'for a preset: superni:<dir> or tulu:<file>')
    .option('--split-dir <dir>', 'for a preset: the SuperNI split folder (train_tasks.txt, test_tasks.txt)')
    .option('--bench-data <dir>', "for --preset tulu: open-instruct's data/eval folder; every run is evaluated on the benchmarks it holds (mmlu/, gsm/, truthfulqa/)")
    .option('--set <flag=value>', 'replace a train setting in every run (repeatable), e.g. --set steps=100', parseSet)
    .option('--workers <k>', 'CPU runs side by side, the cores split between them (default 1)', parseIntegerFlag(1, 'workers'))
    .option('--devices <list>', 'one run at a time on each device: cuda:0,cuda:1 (or cpu); with --gpus-per-run, on each group of that many', parseDevices)
    .option(
      '--gpus-per-run <k>',
      'give each run k GPUs of --devices, in groups in the order listed (cuda:0,cuda:1,cuda:2,cuda:3 with 2: {cuda:0,cuda:1} and {cuda:2,cuda:3}): it trains data-parallel, train --nproc k --device cuda with CUDA_VISIBLE_DEVICES set to its group (default 1)',
      parseIntegerFlag(1, 'gpus per run'),
    )
    .option('--threads <n>', "CPU threads per run, per worker under --gpus-per-run (default: CPU runs divide the cores among them; on GPUs libtorch's default, or under --gpus-per-run the cores divided among a run's workers)", parseIntegerFlag(1, 'threads'))
    .option('--retry-failed', 'run again the runs that failed before (by default a failure is a recorded result)')
    .option('--dry-run', "list the slots (each one's train flags and environment), the runs and their train commands; run nothing")
    .option('--quiet', 'print nothing but errors and the final line')
    .option('--verbose', 'show stack traces on errors')
    .addHelpText('after', EXAMPLES)
    .action(async (file: string | undefined, f: SweepFlags) => {
      const given = await specFromFlags(file, f);
      const slots = sweepSlots(f);
      const out = path.resolve(f.out ?? path.join('sweeps', given?.name ?? 'sweep'));
      if (given === null && f.out === undefined) throw new SweepSpecError('give a spec file, --preset, or --out <sweep dir> to continue a sweep');
      const runs = given ? expandSweep(given) : null;
      if (runs) checkPlacement(runs, slots);
      if (given && runs) await checkRuns(given, runs, slots[0]!);
      const say = (line: string) => process.stdout.write(line + '\n');
      if (f.dryRun) {
        const plan = runs ?? readSweepPlan(out)?.runs;
        if (!plan) throw new SweepSpecError(`--out ${out}: no sweep.json there; give a spec file or --preset`);
        if (!runs) checkPlacement(plan, slots);
        say(`${slots.length} slot${slots.length === 1 ? '' : 's'}, one run at a time on each; a run's train command gets its slot's flags and environment:`);
        for (const slot of slots) {
          const flags = placementArgs(slot, 'train').join(' ');
          say(`  ${slotText(slot)}: ${envPrefix(slot)}peft-native train ...${flags ? ` ${flags}` : ''}`);
        }
        for (const run of plan) say(`${run.id}  [${run.grids.join(', ')}]\n  peft-native train ${settingsToArgs(run.settings).join(' ')} --out ${runDir(out, run)}`);
        say(`${plan.length} runs`);
        return;
      }
      const plan = await openSweepPlan(out, given && runs ? { spec: given, runs } : null);
      if (!runs) checkPlacement(plan.runs, slots);
      await withInterrupts('stopping: each running run stops after its step and saves a checkpoint', ['SIGINT', 'SIGTERM'], async (signal) => {
        const outcome = await runSweep({
          dir: out, name: plan.spec.name, runs: plan.runs, memorization: plan.spec.memorization, benchmarks: plan.spec.benchmarks ?? {}, slots,
          cli: fileURLToPath(new URL('./main.js', import.meta.url)), retryFailed: f.retryFailed ?? false, signal,
          say: f.quiet ? () => {} : say,
        });
        say(
          `sweep ${plan.spec.name}: ${outcome.completed} completed, ${outcome.diverged} diverged, ${outcome.failed} failed` +
            `${outcome.unfinished > 0 ? `, ${outcome.unfinished} not finished (run the same command again to continue)` : ''}; results in ${path.join(out, RESULTS_JSONL)}`,
        );
        if (outcome.unfinished > 0) process.exitCode = 130;
      });
    });
}
