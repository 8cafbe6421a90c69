// Training data by spec (src/data/spec.ts): builtin | superni:<dir> | tulu:<file.jsonl> | sharegpt:<file> |
// alpaca:<file> | prompt-completion:<file.jsonl> | <task>.json.
//
// SuperNI (and the built-in tasks, which are SuperNI-format): the training task list (all tasks of the
// folder, or options.splitDir's train_tasks.txt) is optionally cut into dev tasks and a training subset
// (src/data/superni/task-split.ts); every training task contributes its selected training instances
// (src/data/superni/splits.ts), each formatted with the SuperNI prompt (src/data/superni/prompt.ts) and
// encoded decoder-only with one reference as the target (src/data/encode.ts); all prompts and targets are
// tokenized in two batch calls. Dev tasks and the split's test tasks (test_tasks.txt, when the split folder
// has one) get their evaluation instances chosen (the first evalInstances), for the run's selection record.
// Conversations (TÜLU, and ShareGPT mapped to the same turns): src/data/tulu/load.ts. (Prompt, response) records
// (Alpaca, prompt/completion): src/data/formats/pairs.ts.
import path from 'node:path';
import type { DataSummary, TrainingExample } from './types.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { encodeHeads } from '../tokenizer/text-cap.js';
import { EncodeTally, encodeTokens, validateEncodeLimits, type EncodeLimits } from './encode.js';
import { buildSuperNIPromptDetailed, type PromptOptions } from './superni/prompt.js';
import { readSuperNITask, type SuperNITask } from './superni/task.js';
import { hasSplitList, resolveSplitTasks, resolveTrainDevTasks, selectEvalInstances, selectTrainingInstances } from './superni/splits.js';
import { carveTaskSplit } from './superni/task-split.js';
import { categoriesCovered, drawTrainCategories } from './superni/category-split.js';
import { corruptDefinition, instructionPosExamples, isInstructionKind, type InstructionKind } from './superni/instruction.js';
import { deriveSeed, mulberry32, randomInt } from './seeded-random.js';
import { parseDataSpec, type SuperNIDataSpec } from './spec.js';
import { readConversations } from './tulu/read.js';
import { loadConversations, type ChatTemplateChoice } from './tulu/load.js';
import { readShareGPT } from './formats/sharegpt.js';
import { parseAlpacaRecord } from './formats/alpaca.js';
import { parsePromptCompletionRecord } from './formats/prompt-completion.js';
import { loadPairs } from './formats/pairs.js';
import { nonNegativeInt, positiveInt } from './option-checks.js';
import { builtinTasks } from '../builtin/index.js';

export { parseDataSpec } from './spec.js';
export { CHAT_TEMPLATE_CHOICES, type ChatTemplateChoice } from './tulu/load.js';

export interface TrainingDataOptions {
  /** Source tokens kept (BOS included), default 1024. */
  maxSourceLength?: number;
  /** Target tokens kept (EOS included), default 128. */
  maxTargetLength?: number;
  /** Whole-sequence limit; SuperNI default maxSourceLength + maxTargetLength, the other formats 2048. */
  maxLength?: number;
  /** Seed of the task split, the instance selection and the reference choice, default 42. */
  seed?: number;
  /** Training instances per task (from a shuffle of the first 2x as many), default 100. */
  instancesPerTask?: number;
  /** Evaluation instances per dev/test task (their first ones in file order), default 100. */
  evalInstances?: number;
  /** Dev tasks carved out of the training tasks (the study: 50), default 0. */
  devTasks?: number;
  /** Seeded subset of the remaining training tasks (the task-count study), default all. */
  trainTasks?: number;
  /** SuperNI: draw the training tasks from this many task categories only (superni/category-split.ts), default all. */
  trainCategories?: number;
  /** SuperNI: the instruction of the training prompts (superni/instruction.ts), default 'definition'. */
  instruction?: InstructionKind;
  /** Positive / negative examples in the prompt, default 0 (the study's definition-only prompt). */
  posExamples?: number;
  negExamples?: number;
  addExplanation?: boolean;
  addTaskName?: boolean;
  /** For superni:<dir>: a split folder with train_tasks.txt (and test_tasks.txt), or a task list file. */
  splitDir?: string;
  /** Start each sequence with BOS; default: what the tokenizer's config says (addBos), else false. */
  addBos?: boolean;
  /** Conversations (TÜLU, ShareGPT): the TÜLU chat format (default) or the model's chat_template. */
  chatTemplate?: ChatTemplateChoice;
  /**
   * Conversations (TÜLU, ShareGPT): one (context, assistant turn) example per assistant turn, as an
   * encoder-decoder trains on them (default false: one example per conversation, every assistant turn trained
   * in it). (Prompt, response) records are such pairs already and ignore it.
   */
  conversationTurns?: boolean;
}

export interface TaskSelection {
  /** Instance ids used for training, in order. */
  train: string[];
  /** Held-out instance ids of the same task (memorization test). */
  memorization: string[];
}

/** Which tasks and instances a run uses: written into the run folder (run_config.json). */
export interface DataSelection {
  seed: number;
  tasks: { train: string[]; dev: string[]; test: string[] };
  /** The task categories the training tasks cover (superni/category-split.ts), sorted. */
  categories?: string[];
  /** Per training task: training and held-out (memorization) instance ids. */
  train: Record<string, TaskSelection>;
  /** Per dev / test task: evaluation instance ids. */
  dev: Record<string, string[]>;
  test: Record<string, string[]>;
}

export interface TrainingData {
  examples: TrainingExample[];
  summary: DataSummary;
  selection: DataSelection;
  /** The training tasks, as read (for building evaluation prompts of held-out instances); empty for the other formats. */
  tasks: SuperNITask[];
}

/** Reads, selects, formats and tokenizes the training data of `spec` (see the file comment). */
export async function loadTrainingData(spec: string, tokenizer: TextTokenizer, options: TrainingDataOptions = {}): Promise<TrainingData> {
  const parsed = parseDataSpec(spec);
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  if (options.splitDir !== undefined && parsed.kind !== 'superni') throw new Error(`splitDir applies to superni:<dir> sources only`);
  switch (parsed.kind) {
    case 'tulu':
      return loadConversations({ kind: 'tulu', file: parsed.file, label: 'TÜLU', defaultTask: 'tulu', read: () => readConversations(parsed.file) }, tokenizer, options, seed);
    case 'sharegpt':
      return loadConversations({ kind: 'sharegpt', file: parsed.file, label: 'ShareGPT', defaultTask: 'sharegpt', read: () => readShareGPT(parsed.file) }, tokenizer, options, seed);
    case 'alpaca':
      return loadPairs({ kind: 'alpaca', file: parsed.file, label: 'Alpaca', parse: parseAlpacaRecord }, tokenizer, options, seed);
    case 'prompt-completion':
      return loadPairs({ kind: 'prompt-completion', file: parsed.file, label: 'prompt/completion', parse: parsePromptCompletionRecord }, tokenizer, options, seed);
    default:
      if (options.chatTemplate !== undefined) throw new Error(`chatTemplate applies to conversation sources (tulu:<file>, sharegpt:<file>) only`);
      return loadSuperNI(parsed, tokenizer, options, seed);
  }
}

interface TaskLists {
  train: SuperNITask[];
  dev: SuperNITask[];
  test: SuperNITask[];
  /** With trainCategories: the note saying how many tasks and categories training uses. */
  categoryNote?: string;
}

async function readTaskLists(spec: SuperNIDataSpec, options: TrainingDataOptions, seed: number): Promise<TaskLists> {
  // With trainCategories the training subset is drawn after the categories (category-split.ts), so the carving
  // here leaves every remaining task in.
  const byCategory = options.trainCategories !== undefined;
  const taskSplit = {
    seed,
    devTasks: options.devTasks,
    trainTasks: byCategory ? undefined : options.trainTasks,
  };
  const carve = <T extends { name: string }>(items: T[]): { train: T[]; dev: T[] } => {
    const split = carveTaskSplit(items.map((t) => t.name), taskSplit);
    const byName = new Map(items.map((t) => [t.name, t]));
    return { train: split.train.map((n) => byName.get(n)!), dev: split.dev.map((n) => byName.get(n)!) };
  };
  let lists: TaskLists;
  switch (spec.kind) {
    case 'builtin':
      lists = { ...carve(builtinTasks()), test: [] };
      break;
    case 'file':
      lists = { ...carve([await readSuperNITask(spec.file)]), test: [] };
      break;
    case 'superni': {
      const entries = await resolveTrainDevTasks(spec.dir, options.splitDir, taskSplit);
      const read = (list: Array<{ file: string }>) => Promise.all(list.map((e) => readSuperNITask(e.file)));
      const testEntries = hasSplitList(options.splitDir, 'test') ? await resolveSplitTasks(spec.dir, options.splitDir, 'test') : [];
      const [train, dev, test] = await Promise.all([read(entries.train), read(entries.dev), read(testEntries)]);
      lists = { train, dev, test };
    }
  }
  if (!byCategory) return lists;
  const draw = drawTrainCategories(lists.train, options.trainCategories!, { seed, ...(options.trainTasks !== undefined ? { trainTasks: options.trainTasks } : {}) });
  const short = options.trainTasks !== undefined && draw.inCategories < options.trainTasks ? ` (--train-tasks ${options.trainTasks} asked, but those categories hold only ${draw.inCategories})` : '';
  const categoryNote = `training tasks: ${draw.tasks.length} from ${draw.categories.length} of the ${draw.available.length} task categories (${draw.categories.join(', ')}; data seed ${seed})${short}`;
  return { ...lists, train: draw.tasks, categoryNote };
}

async function loadSuperNI(spec: SuperNIDataSpec, tokenizer: TextTokenizer, options: TrainingDataOptions, seed: number): Promise<TrainingData> {
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
  const instancesPerTask = positiveInt('instancesPerTask', options.instancesPerTask ?? 100);
  const evalInstances = positiveInt('evalInstances', options.evalInstances ?? 100);
  const bosCount = limits.addBos ? 1 : 0;
  const instruction = options.instruction ?? 'definition';
  if (!isInstructionKind(instruction)) throw new Error(`instruction must be definition, definition+examples or corrupted, got ${String(instruction)}`);
  const posExamples = nonNegativeInt('posExamples', instructionPosExamples(instruction, options.posExamples) ?? 0);
  const negExamples = nonNegativeInt('negExamples', options.negExamples ?? 0);
  const promptOptions: PromptOptions = {
    posExamples,
    negExamples,
    addExplanation: options.addExplanation ?? false,
    addTaskName: options.addTaskName ?? false,
    fits: async (text) => (await tokenizer.encode(text)).length + bosCount <= maxSourceLength,
  };

  const lists = await readTaskLists(spec, options, seed);
  const tasks = lists.train;
  const notes: string[] = tasks.flatMap((t) => t.warnings);
  if (lists.categoryNote !== undefined) notes.push(lists.categoryNote);
  if (instruction === 'corrupted') notes.push(`training prompts carry corrupted definitions (words shuffled, data seed ${seed}); evaluation prompts keep the clean definition`);
  const selection: DataSelection = {
    seed,
    tasks: { train: tasks.map((t) => t.name), dev: lists.dev.map((t) => t.name), test: lists.test.map((t) => t.name) },
    categories: categoriesCovered(tasks),
    train: {},
    dev: Object.fromEntries(lists.dev.map((t) => [t.name, selectEvalInstances(t.instances, evalInstances).map((i) => i.id)])),
    test: Object.fromEntries(lists.test.map((t) => [t.name, selectEvalInstances(t.instances, evalInstances).map((i) => i.id)])),
  };
  const shortTasks: string[] = [];
  let fewerExamples = 0;

  // Format every (prompt, target) pair first, then tokenize them all in two batch calls.
  const prompts: string[] = [];
  const targets: string[] = [];
  const metas: Array<{ task: string; id: string }> = [];
  for (const task of tasks) {
    const chosen = selectTrainingInstances(task.instances, { seed, instancesPerTask });
    selection.train[task.name] = { train: chosen.train.map((i) => i.id), memorization: chosen.memorization.map((i) => i.id) };
    if (chosen.train.length < instancesPerTask) shortTasks.push(`${task.name} (${chosen.train.length})`);
    const pickReference = mulberry32(deriveSeed(seed, task.name, 'reference'));
    const promptTask = instruction === 'corrupted' ? { ...task, definition: corruptDefinition(task.definition, seed, task.name) } : task;
    for (const inst of chosen.train) {
      const built = await buildSuperNIPromptDetailed(promptTask, inst.input, promptOptions);
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
  // Only what the limits can keep is tokenized (a huge instance costs no more than a long one).
  const [promptIds, targetIds] = await Promise.all([encodeHeads(tokenizer, prompts, limits.maxSourceLength), encodeHeads(tokenizer, targets, limits.maxTargetLength)]);
  const examples: TrainingExample[] = [];
  const tally = new EncodeTally();
  for (const [i, meta] of metas.entries()) {
    const outcome = encodeTokens(promptIds[i]!, targetIds[i]!, tokenizer, limits, meta);
    tally.add(outcome, meta);
    if (outcome.example) examples.push(outcome.example);
  }

  if (lists.dev.length > 0) {
    const devFile = spec.kind === 'superni' && hasSplitList(options.splitDir, 'dev') ? path.join(options.splitDir!, 'dev_tasks.txt') : null;
    notes.push(devFile ? `${lists.dev.length} dev task(s) from ${devFile}` : `${lists.dev.length} dev task(s) carved out of the training tasks (data seed ${seed})`);
  }
  if (shortTasks.length > 0) {
    notes.push(`${shortTasks.length} task(s) have fewer than ${instancesPerTask} training instances: ${shortTasks.slice(0, 10).join(', ')}${shortTasks.length > 10 ? ', ...' : ''}`);
  }
  if (fewerExamples > 0) notes.push(`${fewerExamples} prompt(s) hold fewer demonstration examples than asked: the next one did not fit in maxSourceLength ${maxSourceLength}`);
  notes.push(...tally.notes(limits));

  const summary: DataSummary = {
    source: spec.kind === 'builtin' ? 'builtin' : spec.kind === 'superni' ? `superni:${path.resolve(spec.dir)}` : path.resolve(spec.file),
    tasks: tasks.length,
    examples: tally.examples,
    tokens: tally.tokens,
    truncated: tally.truncatedExamples,
    dropped: tally.dropped,
    notes,
  };
  return { examples, summary, selection, tasks };
}
