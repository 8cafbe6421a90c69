// BIG-Bench Hard as open-instruct reads it (eval/bbh/run_eval.py @c93a41e L25-55): the BIG-Bench-Hard repository
// that scripts/data/prepare_eval_data.sh unpacks to data/eval/bbh, i.e. <dir>/bbh/<task>.json ({"examples":
// [{"input", "target"}, ...]}) and <dir>/cot-prompts/<task>.txt, whose first two lines (the canary and "-----")
// are dropped (f.readlines()[2:]); the task name is the file name up to its first ".". Tasks come in sorted order
// (open-instruct takes glob's file-system order, which only matters with --max_num_examples_per_task). Every
// task needs both files; problems are DataErrors naming the file (and example and field).
import path from 'node:path';
import { DataError } from '../../../data/errors.js';
import { listFolder, readJson, readText } from '../common/files.js';
import { describeValue } from '../common/jsonl.js';
import { universalNewlines } from '../common/python-text.js';

export interface BbhExample {
  input: string;
  target: string;
}

export interface BbhTask {
  name: string;
  examples: BbhExample[];
  /** cot-prompts/<task>.txt without its first two lines: the task description and three worked examples. */
  cotPrompt: string;
  /** The prompt file, for messages. */
  promptFile: string;
}

/** Files of `dir` matching glob "*<ext>" (hidden files excluded), by task name. */
async function taskFiles(dir: string, ext: string, label: string): Promise<Map<string, string>> {
  const byTask = new Map<string, string>();
  for (const name of await listFolder(dir, label)) {
    if (name.startsWith('.') || !name.endsWith(ext)) continue;
    const task = name.split('.')[0]!;
    if (byTask.has(task)) throw new DataError(`${dir}: ${byTask.get(task)} and ${name} are both task "${task}"`);
    byTask.set(task, name);
  }
  return byTask;
}

function parseExamples(value: unknown, file: string): BbhExample[] {
  const examples = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)['examples'] : undefined;
  if (!Array.isArray(examples)) throw new DataError(`${file}: expected an object with an "examples" list`);
  if (examples.length === 0) throw new DataError(`${file}: "examples" is empty`);
  return examples.map((e: unknown, i) => {
    const where = `${file}: "examples"[${i}]`;
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new DataError(`${where} must be an object, got ${describeValue(e)}`);
    const { input, target } = e as Record<string, unknown>;
    if (typeof input !== 'string') throw new DataError(`${where}: "input" must be a string, got ${describeValue(input)}`);
    if (typeof target !== 'string') throw new DataError(`${where}: "target" must be a string, got ${describeValue(target)}`);
    return { input, target };
  });
}

/** The text after the first two lines, as "".join(f.readlines()[2:]) reads it. */
export function dropHeaderLines(text: string): string {
  const lines = universalNewlines(text).split(/(?<=\n)/);
  return lines.slice(2).join('');
}

export async function load(dir: string): Promise<BbhTask[]> {
  const dataDir = path.join(dir, 'bbh');
  const promptDir = path.join(dir, 'cot-prompts');
  const data = await taskFiles(dataDir, '.json', 'BBH task folder');
  const prompts = await taskFiles(promptDir, '.txt', 'BBH cot-prompts folder');
  if (data.size === 0) throw new DataError(`${dataDir}: no <task>.json files`);
  const noPrompt = [...data.keys()].filter((t) => !prompts.has(t));
  const noData = [...prompts.keys()].filter((t) => !data.has(t));
  if (noPrompt.length > 0) throw new DataError(`BBH tasks without a prompt file in ${promptDir}: ${noPrompt.join(', ')}`);
  if (noData.length > 0) throw new DataError(`BBH prompt files without a task file in ${dataDir}: ${noData.join(', ')}`);
  const tasks: BbhTask[] = [];
  for (const name of [...data.keys()].sort()) {
    const dataFile = path.join(dataDir, data.get(name)!);
    const promptFile = path.join(promptDir, prompts.get(name)!);
    const examples = parseExamples(await readJson(dataFile, 'BBH task file'), dataFile);
    const cotPrompt = dropHeaderLines(await readText(promptFile, 'BBH prompt file'));
    if (cotPrompt.trim() === '') throw new DataError(`${promptFile}: nothing after its two header lines (canary, "-----")`);
    tasks.push({ name, examples, cotPrompt, promptFile });
  }
  return tasks;
}
