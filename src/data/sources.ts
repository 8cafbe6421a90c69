// Training data by spec (src/data/spec.ts): builtin | superni:<dir> | tulu:<file.jsonl> | <task>.json.
//
// SuperNI (and the built-in tasks, which are SuperNI-format): the training task list (all tasks of the
// folder, or options.splitDir's train_tasks.txt) is optionally cut into dev tasks and a training subset
// (src/data/superni/task-split.ts); every training task contributes its selected training instances
// (src/data/superni/splits.ts), each formatted with the SuperNI prompt (src/data/superni/prompt.ts) and
// encoded decoder-only with one reference as the target (src/data/encode.ts); all prompts and targets are
// tokenized in two batch calls. Dev tasks and the split's test tasks (test_tasks.txt, when the split folder
// has one) get their evaluation instances chosen (the first evalInstances), for the run's selection record.
// TÜLU: src/data/tulu/*.
import path from 'node:path';
import type { DataSummary, TrainingExample } from './types.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { capText, encodeHeads } from '../tokenizer/text-cap.js';
import type { HfTextTokenizer } from '../tokenizer/hf-tokenizer.js';
import { EncodeTally, encodeTokens, validateEncodeLimits, type EncodeLimits } from './encode.js';
import { buildSuperNIPromptDetailed, type PromptOptions } from './superni/prompt.js';
import { readSuperNITask, type SuperNITask } from './superni/task.js';
import { hasSplitList, resolveSplitTasks, resolveTrainDevTasks, selectEvalInstances, selectTrainingInstances } from './superni/splits.js';
import { carveTaskSplit } from './superni/task-split.js';
import { deriveSeed, mulberry32, randomInt } from './seeded-random.js';
import { parseDataSpec, type DataSpec } from './spec.js';
import { readConversations } from './tulu/read.js';
import { chatTemplateRenderer, tuluRenderer, type ConversationRenderer } from './tulu/format.js';
import { encodeConversation, encodeConversationTurns } from './tulu/encode.js';
import { builtinTasks } from '../builtin/index.js';

export { parseDataSpec } from './spec.js';

export type ChatTemplateChoice = 'tulu' | 'model';
export const CHAT_TEMPLATE_CHOICES: readonly ChatTemplateChoice[] = ['tulu', 'model'];

export interface TrainingDataOptions {
  /** Source tokens kept (BOS included), default 1024. */
  maxSourceLength?: number;
  /** Target tokens kept (EOS included), default 128. */
  maxTargetLength?: number;
  /** Whole-sequence limit; SuperNI default maxSourceLength + maxTargetLength, TÜLU default 2048. */
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
  /** Positive / negative examples in the prompt, default 0 (the study's definition-only prompt). */
  posExamples?: number;
  negExamples?: number;
  addExplanation?: boolean;
  addTaskName?: boolean;
  /** For superni:<dir>: a split folder with train_tasks.txt (and test_tasks.txt), or a task list file. */
  splitDir?: string;
  /** Start each sequence with BOS; default: what the tokenizer's config says (addBos), else false. */
  addBos?: boolean;
  /** TÜLU: the TÜLU chat format (default) or the model's chat_template. */
  chatTemplate?: ChatTemplateChoice;
  /**
   * TÜLU: one (context, assistant turn) example per assistant turn, as an encoder-decoder trains on them
   * (default false: one example per conversation, every assistant turn trained in it).
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
  /** The training tasks, as read (for building evaluation prompts of held-out instances); empty for TÜLU. */
  tasks: SuperNITask[];
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Reads, selects, formats and tokenizes the training data of `spec` (see the file comment). */
export async function loadTrainingData(spec: string, tokenizer: TextTokenizer, options: TrainingDataOptions = {}): Promise<TrainingData> {
  const parsed = parseDataSpec(spec);
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  if (options.splitDir !== undefined && parsed.kind !== 'superni') throw new Error(`splitDir applies to superni:<dir> sources only`);
  if (parsed.kind === 'tulu') return loadTulu(parsed.file, tokenizer, options, seed);
  if (options.chatTemplate !== undefined) throw new Error(`chatTemplate applies to tulu:<file> sources only`);
  return loadSuperNI(parsed, tokenizer, options, seed);
}

interface TaskLists {
  train: SuperNITask[];
  dev: SuperNITask[];
  test: SuperNITask[];
}

async function readTaskLists(spec: Exclude<DataSpec, { kind: 'tulu' }>, options: TrainingDataOptions, seed: number): Promise<TaskLists> {
  const taskSplit = {
    seed,
    devTasks: options.devTasks,
    trainTasks: options.trainTasks,
  };
  const carve = <T extends { name: string }>(items: T[]): { train: T[]; dev: T[] } => {
    const split = carveTaskSplit(items.map((t) => t.name), taskSplit);
    const byName = new Map(items.map((t) => [t.name, t]));
    return { train: split.train.map((n) => byName.get(n)!), dev: split.dev.map((n) => byName.get(n)!) };
  };
  switch (spec.kind) {
    case 'builtin':
      return { ...carve(builtinTasks()), test: [] };
    case 'file':
      return { ...carve([await readSuperNITask(spec.file)]), test: [] };
    case 'superni': {
      const entries = await resolveTrainDevTasks(spec.dir, options.splitDir, taskSplit);
      const read = (list: Array<{ file: string }>) => Promise.all(list.map((e) => readSuperNITask(e.file)));
      const testEntries = hasSplitList(options.splitDir, 'test') ? await resolveSplitTasks(spec.dir, options.splitDir, 'test') : [];
      const [train, dev, test] = await Promise.all([read(entries.train), read(entries.dev), read(testEntries)]);
      return { train, dev, test };
    }
  }
}

async function loadSuperNI(spec: Exclude<DataSpec, { kind: 'tulu' }>, tokenizer: TextTokenizer, options: TrainingDataOptions, seed: number): Promise<TrainingData> {
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
  const posExamples = nonNegativeInt('posExamples', options.posExamples ?? 0);
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
  const selection: DataSelection = {
    seed,
    tasks: { train: tasks.map((t) => t.name), dev: lists.dev.map((t) => t.name), test: lists.test.map((t) => t.name) },
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

/** The tokenizer features TÜLU data needs (offsets, the EOS text, the chat template). */
function asChatTokenizer(tokenizer: TextTokenizer): HfTextTokenizer {
  const t = tokenizer as Partial<HfTextTokenizer>;
  if (typeof t.encodeBatchWithOffsets !== 'function' || typeof t.idToToken !== 'function') {
    throw new Error(`TÜLU data needs a Hugging Face tokenizer (tokenizer.json); ${tokenizer.source} is not one`);
  }
  return tokenizer as HfTextTokenizer;
}

async function loadTulu(file: string, textTokenizer: TextTokenizer, options: TrainingDataOptions, seed: number): Promise<TrainingData> {
  for (const key of ['devTasks', 'trainTasks', 'posExamples', 'negExamples', 'addExplanation', 'addTaskName', 'instancesPerTask', 'evalInstances', 'maxSourceLength', 'maxTargetLength'] as const) {
    if (options[key] !== undefined) throw new Error(`${key} applies to SuperNI sources, not to tulu:${file}`);
  }
  const tokenizer = asChatTokenizer(textTokenizer);
  const maxLength = positiveInt('maxLength', options.maxLength ?? 2048);
  const choice = options.chatTemplate ?? 'tulu';
  if (!CHAT_TEMPLATE_CHOICES.includes(choice)) throw new Error(`chatTemplate must be one of ${CHAT_TEMPLATE_CHOICES.join(', ')}, got ${String(choice)}`);
  const eos = tokenizer.idToToken(tokenizer.eosId)!;
  const bosText = tokenizer.bosId === null ? null : tokenizer.idToToken(tokenizer.bosId);
  let render: ConversationRenderer;
  if (choice === 'model') {
    if (tokenizer.chatTemplate === null) {
      throw new Error(`${tokenizer.source} has no chat_template in tokenizer_config.json; use the TÜLU format (--chat-template tulu)`);
    }
    render = chatTemplateRenderer(tokenizer.chatTemplate, { bos: bosText, eos }, tokenizer.source);
  } else {
    render = tuluRenderer(eos);
  }
  // The model's template writes its own BOS (or not); the TÜLU format gets one when the tokenizer asks for it.
  const addBos = options.addBos ?? (choice === 'tulu' && tokenizer.addBos);
  if (addBos && tokenizer.bosId === null) throw new Error(`addBos is set but the tokenizer (${tokenizer.source}) has no BOS token`);

  const conversations = await readConversations(file);
  const examples: TrainingExample[] = [];
  let tokens = 0;
  let truncated = 0;
  const dropped: string[] = [];
  const noAssistant: string[] = [];
  const datasets = new Set<string>();
  // Rendered texts and token offsets are held for one chunk at a time (the TÜLU v2 mixture has 326k rows).
  const CHUNK = 4096;
  for (let start = 0; start < conversations.length; start += CHUNK) {
    const chunk = conversations.slice(start, start + CHUNK);
    const rendered = chunk.map((c) => {
      try {
        // Only what maxLength can keep of each message is tokenized (one huge message costs no more than a long one).
        return render(c.messages.map((m) => ({ ...m, content: capText(m.content, maxLength, tokenizer.longestTokenChars, 'head-and-tail') })));
      } catch (err) {
        throw new Error(`${file} line ${c.line}: ${(err as Error).message}`);
      }
    });
    const encodings = await tokenizer.encodeBatchWithOffsets(rendered.map((r) => r.text));
    chunk.forEach((c, i) => {
      const task = c.dataset ?? 'tulu';
      datasets.add(task);
      const name = c.id === `line ${c.line}` ? c.id : `${c.id} (line ${c.line})`;
      if (!c.messages.some((m) => m.role === 'assistant')) {
        noAssistant.push(name);
        return;
      }
      const limits = { maxLength, bos: addBos ? tokenizer.bosId : null };
      if (options.conversationTurns) {
        const turns = encodeConversationTurns(rendered[i]!, encodings[i]!, limits, { task, id: c.id });
        for (const e of turns.examples) {
          examples.push(e);
          tokens += e.inputIds.length;
        }
        if (turns.truncated) truncated++;
        if (turns.examples.length === 0) dropped.push(name);
        return;
      }
      const out = encodeConversation(rendered[i]!, encodings[i]!, limits, { task, id: c.id });
      if (out.example) {
        examples.push(out.example);
        tokens += out.example.inputIds.length;
        if (out.truncated) truncated++;
      } else {
        dropped.push(name);
      }
    });
  }
  const notes: string[] = [];
  if (truncated > 0) {
    notes.push(
      options.conversationTurns
        ? `${truncated} conversation(s) with a context cut to its last ${maxLength} tokens or a turn cut to its first ${maxLength} (maxLength)`
        : `${truncated} conversation(s) cut to their first ${maxLength} tokens (maxLength)`,
    );
  }
  const some = (names: string[]) => `${names.slice(0, 5).join(', ')}${names.length > 5 ? `, ... (${names.length - 5} more)` : ''}`;
  if (noAssistant.length > 0) notes.push(`${noAssistant.length} conversation(s) dropped: no assistant turn to train on (${some(noAssistant)})`);
  if (dropped.length > 0) notes.push(`${dropped.length} conversation(s) dropped: no assistant token left to train on after truncation to ${maxLength} tokens (${some(dropped)})`);
  const summary: DataSummary = {
    source: `tulu:${path.resolve(file)}`,
    tasks: datasets.size,
    examples: examples.length,
    tokens,
    truncated,
    dropped: dropped.length + noAssistant.length,
    notes,
  };
  const selection: DataSelection = { seed, tasks: { train: [...datasets], dev: [], test: [] }, train: {}, dev: {}, test: {} };
  return { examples, summary, selection, tasks: [] };
}
