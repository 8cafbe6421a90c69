// Training data by spec:
//   builtin          the built-in generated tasks (src/builtin)
//   superni:<dir>    a folder of SuperNI task files (<dir>/tasks/*.json or <dir>/*.json), optionally
//                    restricted by options.splitDir (a folder with train_tasks.txt, or a list file)
//   <file>.json      one SuperNI task file
// Every training task contributes its selected training instances (src/data/superni/splits.ts), each
// formatted with the SuperNI prompt (src/data/superni/prompt.ts) and encoded decoder-only with one
// reference as the target (src/data/encode.ts); all prompts and targets are tokenized in two batch calls.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DataSummary, TrainingExample } from './types.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { EncodeTally, encodeTokens, validateEncodeLimits, type EncodeLimits } from './encode.js';
import { buildSuperNIPromptDetailed, type PromptOptions } from './superni/prompt.js';
import { readSuperNITask, type SuperNITask } from './superni/task.js';
import { resolveSplitTasks, selectTrainingInstances } from './superni/splits.js';
import { deriveSeed, mulberry32, randomInt } from './seeded-random.js';
import { builtinTasks } from '../builtin/index.js';

export interface TrainingDataOptions {
  /** Source tokens kept (BOS included), default 1024. */
  maxSourceLength?: number;
  /** Target tokens kept (EOS included), default 128. */
  maxTargetLength?: number;
  /** Whole-sequence limit, default maxSourceLength + maxTargetLength. */
  maxLength?: number;
  /** Seed of the instance selection and of the reference choice, default 42. */
  seed?: number;
  /** Training instances per task (from a shuffle of the first 2x as many), default 100. */
  instancesPerTask?: number;
  /** Positive / negative examples in the prompt, default 0 (the study's definition-only prompt). */
  posExamples?: number;
  negExamples?: number;
  addExplanation?: boolean;
  addTaskName?: boolean;
  /** For superni:<dir>: a split folder with train_tasks.txt, or a task list file. */
  splitDir?: string;
  /** Start each sequence with BOS; default: what the tokenizer's config says (addBos), else false. */
  addBos?: boolean;
}

export interface TaskSelection {
  /** Instance ids used for training, in order. */
  train: string[];
  /** Held-out instance ids of the same task (memorization test). */
  memorization: string[];
}

export interface TrainingData {
  examples: TrainingExample[];
  summary: DataSummary;
  /** Per task name: which instances were chosen. */
  selection: Record<string, TaskSelection>;
  /** The tasks, as read (for building evaluation prompts of held-out instances). */
  tasks: SuperNITask[];
}

const ACCEPTED =
  'accepted data sources: "builtin" (the built-in tasks), "superni:<dir>" (a folder of SuperNI task files: <dir>/tasks/*.json or <dir>/*.json), or the path of one SuperNI task .json file';

type Spec = { kind: 'builtin' } | { kind: 'superni'; dir: string } | { kind: 'file'; file: string };

/** Parses a data spec, or throws an error that lists the accepted forms. */
export function parseDataSpec(spec: string): Spec {
  const s = spec.trim();
  if (s === 'builtin') return { kind: 'builtin' };
  if (s.startsWith('superni:')) {
    const dir = s.slice('superni:'.length);
    if (dir === '') throw new Error(`Data source "${spec}" names no folder; ${ACCEPTED}`);
    return { kind: 'superni', dir };
  }
  const prefix = /^([a-zA-Z][\w-]+):/.exec(s);
  if (prefix && !(process.platform === 'win32' && prefix[1]!.length === 1)) {
    throw new Error(`Unknown data source prefix "${prefix[1]}:" in "${spec}"; ${ACCEPTED}`);
  }
  if (s.endsWith('.json')) {
    if (!existsSync(s)) throw new Error(`Data file ${s} does not exist`);
    return { kind: 'file', file: s };
  }
  if (existsSync(s) && statSync(s).isDirectory()) {
    throw new Error(`Data source "${spec}" is a folder; write superni:${s} to use it as a folder of SuperNI task files (${ACCEPTED})`);
  }
  throw new Error(`Unknown data source "${spec}"; ${ACCEPTED}`);
}

async function readTasks(spec: Spec, options: TrainingDataOptions): Promise<SuperNITask[]> {
  if (options.splitDir !== undefined && spec.kind !== 'superni') throw new Error(`splitDir applies to superni:<dir> sources only`);
  switch (spec.kind) {
    case 'builtin':
      return builtinTasks();
    case 'file':
      return [await readSuperNITask(spec.file)];
    case 'superni': {
      const entries = await resolveSplitTasks(spec.dir, options.splitDir);
      return Promise.all(entries.map((e) => readSuperNITask(e.file)));
    }
  }
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** Reads, selects, formats and tokenizes the training data of `spec` (see the file comment). */
export async function loadTrainingData(spec: string, tokenizer: TextTokenizer, options: TrainingDataOptions = {}): Promise<TrainingData> {
  const maxSourceLength = options.maxSourceLength ?? 1024;
  const maxTargetLength = options.maxTargetLength ?? 128;
  const defaultAddBos = (tokenizer as { addBos?: unknown }).addBos === true;
  const limits: EncodeLimits = {
    maxSourceLength,
    maxTargetLength,
    maxLength: options.maxLength ?? maxSourceLength + maxTargetLength,
    addBos: options.addBos ?? defaultAddBos,
  };
  validateEncodeLimits(limits, tokenizer);
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const instancesPerTask = options.instancesPerTask ?? 100;
  if (!Number.isInteger(instancesPerTask) || instancesPerTask <= 0) throw new Error(`instancesPerTask must be a positive integer, got ${instancesPerTask}`);
  const bosCount = limits.addBos ? 1 : 0;
  const posExamples = nonNegativeInt('posExamples', options.posExamples ?? 0);
  const negExamples = nonNegativeInt('negExamples', options.negExamples ?? 0);
  const promptOptions: PromptOptions = {
    posExamples,
    negExamples,
    addExplanation: options.addExplanation ?? false,
    addTaskName: options.addTaskName ?? false,
    fits: async (text) => (await tokenizer.encode(text)).length + bosCount <= maxSourceLength,
  };

  const parsed = parseDataSpec(spec);
  const tasks = await readTasks(parsed, options);
  const notes: string[] = tasks.flatMap((t) => t.warnings);
  const selection: Record<string, TaskSelection> = {};
  const shortTasks: string[] = [];
  let fewerExamples = 0;

  // Format every (prompt, target) pair first, then tokenize them all in two batch calls.
  const prompts: string[] = [];
  const targets: string[] = [];
  const metas: Array<{ task: string; id: string }> = [];
  for (const task of tasks) {
    const chosen = selectTrainingInstances(task.instances, { seed, instancesPerTask });
    selection[task.name] = { train: chosen.train.map((i) => i.id), memorization: chosen.memorization.map((i) => i.id) };
    if (chosen.train.length < instancesPerTask) shortTasks.push(`${task.name} (${chosen.train.length})`);
    const pickReference = mulberry32(deriveSeed(seed, task.name, 'reference'));
    for (const inst of chosen.train) {
      const built = await buildSuperNIPromptDetailed(task, inst.input, promptOptions);
      if (built.positiveExamples < Math.min(posExamples, task.positiveExamples.length) || built.negativeExamples < Math.min(negExamples, task.negativeExamples.length)) {
        fewerExamples++;
      }
      // One reference per instance, chosen with a seeded draw (the collator's random.choice).
      const target = inst.output.length === 1 ? inst.output[0]! : inst.output[randomInt(pickReference, inst.output.length)]!;
      prompts.push(built.prompt);
      targets.push(target);
      metas.push({ task: task.name, id: inst.id });
    }
  }
  const [promptIds, targetIds] = await Promise.all([tokenizer.encodeBatch(prompts), tokenizer.encodeBatch(targets)]);
  const examples: TrainingExample[] = [];
  const tally = new EncodeTally();
  for (const [i, meta] of metas.entries()) {
    const outcome = encodeTokens(promptIds[i]!, targetIds[i]!, tokenizer, limits, meta);
    tally.add(outcome, meta);
    if (outcome.example) examples.push(outcome.example);
  }

  if (shortTasks.length > 0) {
    notes.push(`${shortTasks.length} task(s) have fewer than ${instancesPerTask} training instances: ${shortTasks.slice(0, 10).join(', ')}${shortTasks.length > 10 ? ', ...' : ''}`);
  }
  if (fewerExamples > 0) notes.push(`${fewerExamples} prompt(s) hold fewer demonstration examples than asked: the next one did not fit in maxSourceLength ${maxSourceLength}`);
  notes.push(...tally.notes(limits));

  const summary: DataSummary = {
    source: parsed.kind === 'builtin' ? 'builtin' : parsed.kind === 'superni' ? `superni:${path.resolve(parsed.dir)}` : path.resolve(parsed.file),
    tasks: tasks.length,
    examples: tally.examples,
    tokens: tally.tokens,
    truncated: tally.truncatedExamples,
    dropped: tally.dropped,
    notes,
  };
  return { examples, summary, selection, tasks };
}
