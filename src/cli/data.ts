// `peft-native data prepare` (tokenize + cache, print counts and length percentiles) and
// `peft-native data inspect` (show formatted examples with the trained part marked).
import { Command } from 'commander';
import { builtinModelNames } from '../models/builtin.js';
import { resolveModelSpec } from '../models/load.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import type { TrainingDataOptions } from '../data/sources.js';
import type { PreparedDataset } from '../data/dataset.js';
import type { TrainingExample } from '../data/types.js';
import { IGNORE_INDEX, countShiftedTargets } from '../data/encode.js';
import { DataError } from '../data/errors.js';
import { parseDataSpec } from '../data/spec.js';
import { addDataFlags, type DataFlags } from './data-flags.js';
import { parseIntegerFlag } from './train.js';

interface DataCommandFlags extends DataFlags {
  model?: string;
  n?: number;
  color?: boolean;
}

/** TrainingDataOptions from the data flags (unset flags keep the loader's defaults). */
export function dataOptionsFromFlags(f: DataFlags): TrainingDataOptions {
  const o: TrainingDataOptions = {};
  if (f.dataSeed !== undefined) o.seed = f.dataSeed;
  if (f.splitDir !== undefined) o.splitDir = f.splitDir;
  if (f.devTasks !== undefined) o.devTasks = f.devTasks;
  if (f.trainTasks !== undefined) o.trainTasks = f.trainTasks;
  if (f.instancesPerTask !== undefined) o.instancesPerTask = f.instancesPerTask;
  if (f.posExamples !== undefined) o.posExamples = f.posExamples;
  if (f.trainCategories !== undefined) o.trainCategories = f.trainCategories;
  if (f.instruction !== undefined) o.instruction = f.instruction;
  if (f.maxSourceLength !== undefined) o.maxSourceLength = f.maxSourceLength;
  if (f.maxTargetLength !== undefined) o.maxTargetLength = f.maxTargetLength;
  if (f.maxLength !== undefined) o.maxLength = f.maxLength;
  if (f.chatTemplate !== undefined) o.chatTemplate = f.chatTemplate;
  return o;
}

/** The tokenizer of a model spec (an HF folder's tokenizer.json, or the built-in one); no weights are read. */
async function tokenizerOf(spec: string): Promise<TextTokenizer> {
  let resolved;
  try {
    resolved = resolveModelSpec(spec);
  } catch (err) {
    throw new DataError((err as Error).message);
  }
  if (resolved.kind === 'builtin') return (await import('../builtin/index.js')).builtinTokenizer();
  try {
    return await (await import('../tokenizer/load.js')).loadTokenizer(resolved.dir);
  } catch (err) {
    throw new DataError((err as Error).message);
  }
}

async function prepare(flags: DataCommandFlags): Promise<{ data: PreparedDataset; tokenizer: TextTokenizer }> {
  const spec = flags.data ?? 'builtin';
  try {
    parseDataSpec(spec);
  } catch (err) {
    throw new DataError(`--data: ${(err as Error).message}`);
  }
  const tokenizer = await tokenizerOf(flags.model ?? 'builtin:tiny');
  const { prepareDataset } = await import('../data/dataset.js');
  const cacheDir = flags.cache === false ? null : flags.cacheDir;
  const data = await prepareDataset(spec, tokenizer, dataOptionsFromFlags(flags), cacheDir === undefined ? {} : { dir: cacheDir });
  return { data, tokenizer };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function describePrepared(d: PreparedDataset): string[] {
  const s = d.summary;
  const n = (x: number) => x.toLocaleString('en-US');
  const lengths = Int32Array.from(d.examples, (e) => e.inputIds.length).sort();
  const targets = d.examples.reduce((sum, e) => sum + countShiftedTargets(e.labels), 0);
  const lines = [
    `data ${s.source}: ${n(s.tasks)} task(s)`,
    `  examples ${n(s.examples)}, tokens ${n(s.tokens)} (trained ${n(targets)}), truncated ${n(s.truncated)}, dropped ${n(s.dropped)}`,
    `  length p50 ${percentile(lengths, 50)}, p90 ${percentile(lengths, 90)}, p99 ${percentile(lengths, 99)}, max ${lengths.length ? lengths[lengths.length - 1] : 0}`,
    ...s.notes.map((note) => `  ${note}`),
  ];
  if (d.cache) lines.push(`  ${d.cache.hit ? 'loaded from the cache' : 'tokenized and cached'}: ${d.cache.file}`);
  return lines;
}

/**
 * An example's text with the trained part (labels != -100) marked: green on a color terminal, else inside
 * [[ ]]. Runs of trained / untrained tokens are decoded separately.
 */
export function formatExample(ex: TrainingExample, tokenizer: TextTokenizer, color: boolean): string {
  const parts: string[] = [];
  let start = 0;
  for (let t = 1; t <= ex.inputIds.length; t++) {
    const trained = ex.labels[start] !== IGNORE_INDEX;
    if (t < ex.inputIds.length && (ex.labels[t] !== IGNORE_INDEX) === trained) continue;
    const text = tokenizer.decode(ex.inputIds.subarray(start, t));
    parts.push(!trained ? text : color ? `\x1b[32m${text}\x1b[0m` : `[[${text}]]`);
    start = t;
  }
  return parts.join('');
}

const DATA_HELP = `
Data: builtin | superni:<dir> (a natural-instructions checkout or its tasks/ folder) | tulu:<file.jsonl> |
  sharegpt:<file.json|file.jsonl> | alpaca:<file.json|file.jsonl> | prompt-completion:<file.jsonl> | <task>.json
Models (for the tokenizer): an HF folder with tokenizer.json, or a built-in model (${builtinModelNames().join(', ')}).
Examples:
  $ peft-native data prepare --data superni:./natural-instructions --split-dir ./natural-instructions/splits/default \\
      --model ./Llama-3.2-1B --dev-tasks 50 --train-tasks 64
  $ peft-native data inspect --data tulu:./tulu_v2.jsonl --model ./Qwen2.5-0.5B --chat-template model -n 2
  $ peft-native data inspect --data alpaca:./alpaca_data.json --model ./Llama-3.2-1B -n 2
`;

function dataSubcommand(name: string, description: string): Command {
  const cmd = new Command(name)
    .description(description)
    .option('--data <spec>', 'the data: builtin, superni:<dir>, tulu:<file.jsonl>, sharegpt:<file>, alpaca:<file>, prompt-completion:<file.jsonl>, or a task .json file', 'builtin')
    .option('--model <dir|name>', 'model folder (its tokenizer) or built-in model', 'builtin:tiny')
    .option('--max-length <n>', 'longest tokenized example (SuperNI default: source + target; the other formats: 2048)', parseIntegerFlag(2, 'max length'));
  addDataFlags(cmd);
  cmd.addHelpText('after', DATA_HELP);
  cmd.exitOverride();
  return cmd;
}

export function dataCommand(out: { write(s: string): unknown } = process.stdout): Command {
  const say = (line: string) => out.write(line + '\n');
  const prepareCmd = dataSubcommand('prepare', 'Tokenize data into the Arrow cache; print examples, tokens, truncated and dropped counts, and length percentiles.').action(
    async (flags: DataCommandFlags) => {
      for (const line of describePrepared((await prepare(flags)).data)) say(line);
    },
  );
  const inspectCmd = dataSubcommand('inspect', 'Show formatted examples with the trained part (the loss) marked.')
    .option('-n <count>', 'examples to show (default 3)', parseIntegerFlag(1, 'count'))
    .option('--color', 'mark the trained part in green (default: when stdout is a terminal; else [[ ]])')
    .action(async (flags: DataCommandFlags) => {
      const { data, tokenizer } = await prepare(flags);
      const color = flags.color ?? Boolean((process.stdout as { isTTY?: boolean }).isTTY);
      for (const ex of data.examples.slice(0, flags.n ?? 3)) {
        say(`--- ${ex.task} / ${ex.id}: ${ex.inputIds.length} tokens, ${countShiftedTargets(ex.labels)} trained${color ? ' (green)' : ' (in [[ ]])'}`);
        say(formatExample(ex, tokenizer, color));
      }
      say(describePrepared(data)[0]!);
    });
  return new Command('data')
    .description('Prepare (tokenize + cache) and inspect training data.')
    .addCommand(prepareCmd)
    .addCommand(inspectCmd)
    .exitOverride();
}
