// SuperNI evaluation (STUDY.md "SuperNI protocol"): build the evaluation instances of a split, prompt them
// exactly as in training, generate greedily (128 new tokens), score with the official metrics, and write
// predictions.jsonl + metrics.json. The CLI (`peft-native eval`) and the training loop both call this.
//
// Splits, chosen as training chooses them (src/data/sources.ts, src/data/superni/task-split.ts):
//   test           the tasks of <splitDir>/test_tasks.txt (every task of the folder without a split folder),
//                  first maxInstances (100) instances of each in file order;
//   dev            the devTasks tasks carved (seeded) out of the training list, first instances likewise;
//   memorization   the training tasks (after carving dev and taking the trainTasks subset), their held-out
//                  instances (src/data/superni/splits.ts: the study's selection with the data seed).
// With `selection` (a training run's DataSelection, also in its run_config.json) tasks and instance ids are
// taken from it as recorded.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { NativeModel } from '../native/binding.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { encodeHeads } from '../tokenizer/text-cap.js';
import { parseDataSpec } from '../data/sources.js';
import { isSuperNISpec } from '../data/spec.js';
import { buildSuperNIPromptDetailed, type PromptOptions } from '../data/superni/prompt.js';
import { readSuperNITask, type SuperNIInstance, type SuperNITask } from '../data/superni/task.js';
import { hasSplitList, listTaskFiles, resolveSplitTasks, resolveTrainDevTasks, selectEvalInstances, selectTrainingInstances } from '../data/superni/splits.js';
import { carveTaskSplit } from '../data/superni/task-split.js';
import type { DataSelection } from '../data/sources.js';
import { builtinTasks } from '../builtin/index.js';
import { UsageError } from '../util/usage-error.js';
import { writeJsonAtomically, writeFileAtomically } from '../util/atomic-file.js';
import { aggregateScores, scoreInstance, taskCategory, type InstanceScores, type MeanScores } from './metrics/index.js';
import { DEFAULT_MAX_NEW_TOKENS, generateTexts } from './generate.js';
import { evaluateLoss, type LossEvaluation } from './loss.js';
import { encodeTokens } from '../data/encode.js';
import type { TrainingExample } from '../data/types.js';
import { isEncoderDecoder } from '../models/config.js';
import type { RankCollective } from '../distributed/gather.js';

export const EVAL_SPLITS = ['test', 'dev', 'memorization'] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export const PREDICTIONS_FILE = 'predictions.jsonl';
export const EVAL_METRICS_FILE = 'metrics.json';

export interface SuperNIEvalOptions {
  /** superni:<dir>, a task .json file, or builtin. */
  data: string;
  split: EvalSplit;
  /** A split folder (<split>_tasks.txt / train_tasks.txt) or, for superni:<dir>, a task list file. */
  splitDir?: string;
  /** Only these tasks (names as in the folder); each must be part of the split. */
  tasks?: string[];
  /** Instances per task at most (default 100). */
  maxInstances?: number;
  /** Training's data seed, instances per task, dev tasks and training subset (defaults 42, 100, 0, all). */
  dataSeed?: number;
  instancesPerTask?: number;
  devTasks?: number;
  trainTasks?: number;
  /** A training run's recorded selection: tasks and instance ids come from it. */
  selection?: DataSelection;
  /** Prompt tokens kept, BOS included (default 1024). */
  maxSourceLength?: number;
  maxNewTokens?: number;
  batchSize?: number;
  /** Demonstrations in the prompt (default 0: definition only, the study's setting). */
  posExamples?: number;
  negExamples?: number;
  addExplanation?: boolean;
  addTaskName?: boolean;
  /** Also the loss / perplexity of each instance's first reference given its prompt (teacher forcing). */
  loss?: boolean;
  /** Folder for predictions.jsonl and metrics.json (nothing written when absent). */
  out?: string;
  /** Written into metrics.json as is (model, adapter, step, ...). */
  metadata?: Record<string, unknown>;
  onProgress?: (done: number, total: number) => void;
  /** Data parallelism: the generations are shared out over the ranks and gathered (generateTexts' shard); every
   * rank scores them all. */
  shard?: RankCollective;
}

export interface EvalInstance {
  id: string;
  task: string;
  category: string | null;
  prompt: string;
  references: string[];
}

export interface Prediction extends EvalInstance {
  prediction: string;
  scores: InstanceScores;
}

export interface SuperNIEvalResult {
  split: EvalSplit;
  instances: number;
  overall: MeanScores;
  perTask: Record<string, MeanScores>;
  perCategory: Record<string, MeanScores>;
  predictions: Prediction[];
  /** With options.loss. */
  loss?: LossEvaluation;
  /** Prompts cut to maxSourceLength, rows that hit maxNewTokens, ... */
  notes: string[];
  files?: { predictions: string; metrics: string };
}

/** Every task the data source holds, by name (files are read only for the tasks used). */
async function taskSource(options: SuperNIEvalOptions): Promise<{ names: string[]; read: (name: string) => Promise<SuperNITask>; dir?: string }> {
  const spec = parseDataSpec(options.data);
  if (!isSuperNISpec(spec)) throw new Error(`--data ${options.data}: the SuperNI evaluation needs SuperNI tasks (superni:<dir>, a task .json file or builtin)`);
  if (options.splitDir !== undefined && spec.kind !== 'superni') throw new Error('--split-dir applies to superni:<dir> data only');
  if (spec.kind === 'superni') {
    const files = await listTaskFiles(spec.dir);
    return { names: [...files.keys()], read: (name) => readSuperNITask(files.get(name)!), dir: spec.dir };
  }
  const tasks = spec.kind === 'builtin' ? builtinTasks() : [await readSuperNITask(spec.file)];
  const byName = new Map(tasks.map((t) => [t.name, t]));
  return { names: tasks.map((t) => t.name), read: async (name) => byName.get(name)! };
}

/** The split's task names, as training chose (or recorded) them. */
async function splitTaskNames(options: SuperNIEvalOptions, source: { names: string[]; dir?: string }): Promise<string[]> {
  const { split, selection } = options;
  if (selection !== undefined) return split === 'memorization' ? selection.tasks.train : selection.tasks[split];
  if (split === 'test') {
    if (source.dir === undefined || options.splitDir === undefined) return source.names;
    if (statSync(options.splitDir).isFile()) throw new Error(`--split test needs a split folder with test_tasks.txt; ${options.splitDir} is a list file`);
    return (await resolveSplitTasks(source.dir, options.splitDir, 'test')).map((e) => e.name);
  }
  const taskSplit = {
    seed: options.dataSeed ?? 42,
    devTasks: options.devTasks,
    trainTasks: options.trainTasks,
  };
  const hasDevList = hasSplitList(options.splitDir, 'dev');
  if (split === 'dev' && !hasDevList && !(options.devTasks !== undefined && options.devTasks > 0)) {
    throw new Error('--split dev needs --dev-tasks k (dev tasks carved out of the training tasks with the data seed, as in training) or a split folder with dev_tasks.txt');
  }
  const carved =
    source.dir !== undefined
      ? await resolveTrainDevTasks(source.dir, options.splitDir, taskSplit).then((t) => ({ train: t.train.map((e) => e.name), dev: t.dev.map((e) => e.name) }))
      : carveTaskSplit(source.names, taskSplit);
  return split === 'dev' ? carved.dev : carved.train;
}

async function readEvalTasks(options: SuperNIEvalOptions): Promise<SuperNITask[]> {
  const source = await taskSource(options);
  let names = await splitTaskNames(options, source);
  if (options.tasks !== undefined) {
    const unknown = options.tasks.filter((t) => !names.includes(t));
    if (unknown.length > 0) throw new Error(`--tasks names ${unknown.length} task(s) that are not in the ${options.split} split of ${options.data}: ${unknown.slice(0, 5).join(', ')}`);
    names = names.filter((n) => options.tasks!.includes(n));
  }
  const missing = names.filter((n) => !source.names.includes(n));
  if (missing.length > 0) throw new Error(`${options.data} has no task file for ${missing.length} task(s) of the ${options.split} split: ${missing.slice(0, 5).join(', ')}`);
  if (names.length === 0) {
    // A run whose data gave every task to training (the built-in tasks, a split without test tasks) recorded none to evaluate.
    const why = options.selection !== undefined ? `: the run recorded no ${options.split} tasks (its data gave them all to training); evaluate --split memorization, or other data with --data` : '';
    throw new UsageError(`no tasks to evaluate in ${options.data} (${options.split})${why}`);
  }
  return Promise.all(names.map((n) => source.read(n)));
}

function splitInstances(task: SuperNITask, options: SuperNIEvalOptions, maxInstances: number): SuperNIInstance[] {
  const { selection } = options;
  if (selection !== undefined) {
    const ids = options.split === 'memorization' ? selection.train[task.name]?.memorization : selection[options.split][task.name];
    if (ids === undefined) throw new Error(`the recorded selection has no ${options.split} instances for ${task.name}`);
    const byId = new Map(task.instances.map((i) => [i.id, i]));
    return ids.slice(0, maxInstances).map((id) => {
      const inst = byId.get(id);
      if (inst === undefined) throw new Error(`${task.source}: no instance ${id} (recorded in the run's selection)`);
      return inst;
    });
  }
  if (options.split !== 'memorization') return selectEvalInstances(task.instances, maxInstances);
  const held = selectTrainingInstances(task.instances, { seed: options.dataSeed ?? 42, instancesPerTask: options.instancesPerTask ?? 100 }).memorization;
  return held.slice(0, maxInstances);
}

/** The evaluation instances of a split with their prompts (training's prompt format and example fitting). */
export async function buildEvalInstances(tokenizer: TextTokenizer, options: SuperNIEvalOptions): Promise<EvalInstance[]> {
  if (!EVAL_SPLITS.includes(options.split)) throw new Error(`split must be one of ${EVAL_SPLITS.join(', ')}, got ${JSON.stringify(options.split)}`);
  const maxInstances = options.maxInstances ?? 100;
  if (!Number.isInteger(maxInstances) || maxInstances <= 0) throw new Error(`maxInstances must be a positive integer, got ${maxInstances}`);
  const maxSourceLength = options.maxSourceLength ?? 1024;
  const bosCount = (tokenizer as { addBos?: unknown }).addBos === true ? 1 : 0;
  const promptOptions: PromptOptions = {
    posExamples: options.posExamples ?? 0,
    negExamples: options.negExamples ?? 0,
    addExplanation: options.addExplanation ?? false,
    addTaskName: options.addTaskName ?? false,
    fits: async (text) => (await tokenizer.encode(text)).length + bosCount <= maxSourceLength,
  };
  const instances: EvalInstance[] = [];
  for (const task of await readEvalTasks(options)) {
    const category = taskCategory(task);
    for (const inst of splitInstances(task, options, maxInstances)) {
      const { prompt } = await buildSuperNIPromptDetailed(task, inst.input, promptOptions);
      instances.push({ id: inst.id, task: task.name, category, prompt, references: inst.output });
    }
  }
  if (instances.length === 0) throw new Error(`the ${options.split} split of ${options.data} has no instances to evaluate`);
  return instances;
}

/** Runs the whole evaluation (see the file comment). */
export async function evaluateSuperNI(model: NativeModel, tokenizer: TextTokenizer, options: SuperNIEvalOptions): Promise<SuperNIEvalResult> {
  const instances = await buildEvalInstances(tokenizer, options);
  const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  const generations = await generateTexts(
    model,
    tokenizer,
    instances.map((i) => i.prompt),
    {
      maxNewTokens,
      batchSize: options.batchSize ?? 16,
      maxPromptTokens: options.maxSourceLength ?? 1024,
      onProgress: options.onProgress,
      ...(options.shard ? { shard: options.shard } : {}),
    },
  );
  const predictions: Prediction[] = instances.map((inst, i) => {
    const prediction = generations[i]!.text;
    return { ...inst, prediction, scores: scoreInstance(prediction, inst.references) };
  });
  const aggregate = aggregateScores(predictions.map((p) => ({ task: p.task, category: p.category, scores: p.scores })));

  const notes: string[] = [];
  const truncated = generations.filter((g) => g.promptTruncated).length;
  if (truncated > 0) notes.push(`${truncated} prompt(s) cut to their first ${options.maxSourceLength ?? 1024} tokens (maxSourceLength)`);
  const unfinished = generations.filter((g) => !g.stoppedAtEos).length;
  if (unfinished > 0) notes.push(`${unfinished} prediction(s) stopped at ${maxNewTokens} new tokens without an EOS`);

  const result: SuperNIEvalResult = { split: options.split, instances: predictions.length, ...aggregate, predictions, notes };
  if (options.loss) result.loss = await referenceLoss(model, tokenizer, instances, options);
  if (options.out !== undefined) {
    const predictionsFile = path.resolve(options.out, PREDICTIONS_FILE);
    const metricsFile = path.resolve(options.out, EVAL_METRICS_FILE);
    const lines = predictions.map((p) =>
      JSON.stringify({ id: p.id, task: p.task, category: p.category, prompt: p.prompt, prediction: p.prediction, references: p.references, scores: p.scores }),
    );
    await writeFileAtomically(predictionsFile, lines.join('\n') + '\n');
    await writeJsonAtomically(metricsFile, {
      split: options.split,
      data: options.data,
      instances: predictions.length,
      overall: aggregate.overall,
      perCategory: aggregate.perCategory,
      perTask: aggregate.perTask,
      notes,
      ...(result.loss ? { loss: result.loss } : {}),
      settings: {
        maxNewTokens,
        maxSourceLength: options.maxSourceLength ?? 1024,
        maxInstances: options.maxInstances ?? 100,
        decoding: 'greedy',
        ...(options.split === 'memorization' ? { dataSeed: options.dataSeed ?? 42, instancesPerTask: options.instancesPerTask ?? 100 } : {}),
      },
      ...options.metadata,
    });
    result.files = { predictions: predictionsFile, metrics: metricsFile };
  }
  return result;
}

/** Loss / perplexity of the first reference after each prompt, encoded exactly as training encodes it. */
async function referenceLoss(model: NativeModel, tokenizer: TextTokenizer, instances: EvalInstance[], options: SuperNIEvalOptions): Promise<LossEvaluation> {
  const limits = { maxSourceLength: options.maxSourceLength ?? 1024, maxTargetLength: options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS, addBos: (tokenizer as { addBos?: unknown }).addBos === true };
  const [promptIds, targetIds] = await Promise.all([
    encodeHeads(tokenizer, instances.map((i) => i.prompt), limits.maxSourceLength),
    encodeHeads(tokenizer, instances.map((i) => i.references[0]!), limits.maxTargetLength),
  ]);
  const examples: TrainingExample[] = [];
  for (const [i, inst] of instances.entries()) {
    const { example } = encodeTokens(promptIds[i]!, targetIds[i]!, tokenizer, limits, { task: inst.task, id: inst.id });
    if (example) examples.push(example);
  }
  return evaluateLoss(model, examples, { batchSize: options.batchSize ?? 16, padId: tokenizer.padId, seq2seq: isEncoderDecoder(model.config()) });
}
