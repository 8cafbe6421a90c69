// HumanEval's problems as open-instruct reads them: read_problems(args.data_file) (eval/codex_humaneval/data.py
// @ 469cf2ded780e4202a9fcf217ee3eb8f91a3980e, L10-28, from openai/human-eval): one JSON object per line, lines of
// only whitespace skipped, a ".gz" file gunzipped first (the default --data_file is data/codex_eval/HumanEval.jsonl.gz,
// openai/human-eval's data/HumanEval.jsonl.gz). Each record has "task_id", "prompt", "canonical_solution", "test"
// and "entry_point".
// Differences, all for malformed files: open-instruct keys the problems by task_id, so a repeated id silently
// replaces the earlier problem; here it is an error. "entry_point" must be a Python identifier, because it is
// pasted into the program that runs ("check(<entry_point>)").
import { gunzipSync } from 'node:zlib';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DataError } from '../../../data/errors.js';
import { printable } from '../../../util/printable.js';
import { describeValue, parseJsonlObjects, stringField, type JsonlObject } from '../common/jsonl.js';
import { pythonStrip } from '../common/python-text.js';

export interface HumanEvalProblem {
  taskId: string;
  /** The function signature and docstring the model continues. */
  prompt: string;
  canonicalSolution?: string;
  /** Defines check(candidate). */
  test: string;
  /** The function check() is called with. */
  entryPoint: string;
  /** 1-based line in the file. */
  line: number;
}

/** The file names load(dir) looks for, in order (openai/human-eval ships the .gz). */
export const HUMANEVAL_FILES = ['HumanEval.jsonl.gz', 'HumanEval.jsonl'] as const;

const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

async function readBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new DataError(`Cannot read HumanEval file ${file}: ${(err as Error).message}`);
  }
}

function decode(bytes: Buffer, file: string): string {
  if (!file.endsWith('.gz')) return bytes.toString('utf8');
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (err) {
    throw new DataError(`${file}: not a readable gzip file (${(err as Error).message})`);
  }
}

function problemOf({ value: row, line, where }: JsonlObject): HumanEvalProblem {
  const entryPoint = stringField(row, 'entry_point', where);
  if (!IDENTIFIER.test(entryPoint)) throw new DataError(`${where}: "entry_point" must be a Python identifier, got "${printable(entryPoint, 60)}"`);
  const solution = row['canonical_solution'];
  if (solution !== undefined && typeof solution !== 'string') throw new DataError(`${where}: "canonical_solution" must be a string, got ${describeValue(solution)}`);
  return {
    taskId: stringField(row, 'task_id', where),
    prompt: stringField(row, 'prompt', where),
    ...(solution !== undefined ? { canonicalSolution: solution } : {}),
    test: stringField(row, 'test', where),
    entryPoint,
    line,
  };
}

/** The problems of one HumanEval file (.jsonl, or .jsonl.gz when the name ends in ".gz"), in file order. */
export async function loadFile(file: string): Promise<HumanEvalProblem[]> {
  const bytes = await readBytes(file);
  if (bytes === undefined) throw new DataError(`HumanEval file: ${file} does not exist`);
  const problems: HumanEvalProblem[] = [];
  const seen = new Map<string, number>();
  // stream_jsonl skips lines with nothing but (Python) whitespace: any(not x.isspace() for x in line).
  for (const record of parseJsonlObjects(decode(bytes, file), file, (l) => pythonStrip(l) === '')) {
    const problem = problemOf(record);
    const earlier = seen.get(problem.taskId);
    if (earlier !== undefined) throw new DataError(`${record.where}: task_id "${printable(problem.taskId, 60)}" is also on line ${earlier}`);
    seen.set(problem.taskId, record.line);
    problems.push(problem);
  }
  if (problems.length === 0) throw new DataError(`${file}: no problems (expected one JSON object per line)`);
  return problems;
}

/** The problems in `dir`: HumanEval.jsonl.gz, else HumanEval.jsonl. */
export async function load(dir: string): Promise<HumanEvalProblem[]> {
  for (const name of HUMANEVAL_FILES) {
    const file = path.join(dir, name);
    const present = await access(file).then(
      () => true,
      () => false,
    );
    if (present) return loadFile(file);
  }
  throw new DataError(`HumanEval folder ${dir} has neither ${HUMANEVAL_FILES.join(' nor ')}`);
}
