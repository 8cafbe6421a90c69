// TyDiQA GoldP as open-instruct reads it (eval/tydiqa/run_eval.py @c93a41e L47-61, L73-90): the SQuAD-format files
// that scripts/data/prepare_eval_data.sh downloads to data/eval/tydiqa, <dir>/tydiqa-goldp-v1.1-dev.json (the
// questions) and <dir>/tydiqa-goldp-v1.1-train.json (the one-shot demonstrations), {"data": [{"paragraphs":
// [{"context", "qas": [{"id", "question", "answers": [{"text", ...}]}]}]}]}; the language is the id up to its first
// "-" ("english-123-0"). Problems are DataErrors naming the file and the JSON path of the field.
import path from 'node:path';
import { DataError } from '../../../data/errors.js';
import { printable } from '../../../util/printable.js';
import { readJson } from '../common/files.js';
import { describeValue } from '../common/jsonl.js';
import { TEMPLATES_WITH_CONTEXT } from './templates.js';

export const TYDIQA_DEV_FILE = 'tydiqa-goldp-v1.1-dev.json';
export const TYDIQA_TRAIN_FILE = 'tydiqa-goldp-v1.1-train.json';

export interface TydiqaExample {
  id: string;
  lang: string;
  context: string;
  question: string;
  /** The reference answer texts (a question may have several). */
  answers: string[];
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new DataError(`${where} must be a list, got ${describeValue(value)}`);
  return value;
}

function field(value: unknown, name: string, where: string): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new DataError(`${where} must be an object, got ${describeValue(value)}`);
  return (value as Record<string, unknown>)[name];
}

function text(value: unknown, name: string, where: string): string {
  const v = field(value, name, where);
  if (typeof v !== 'string') throw new DataError(`${where}: "${name}" must be a string, got ${describeValue(v)}`);
  return v;
}

/** Every question of a SQuAD-format file, in file order. */
export async function readSquadFile(file: string): Promise<TydiqaExample[]> {
  const root = await readJson(file, 'TyDiQA file');
  const examples: TydiqaExample[] = [];
  list(field(root, 'data', file), `${file}: "data"`).forEach((article, a) => {
    const at = `${file}: data[${a}]`;
    list(field(article, 'paragraphs', at), `${at}.paragraphs`).forEach((paragraph, p) => {
      const pt = `${at}.paragraphs[${p}]`;
      const context = text(paragraph, 'context', pt);
      list(field(paragraph, 'qas', pt), `${pt}.qas`).forEach((qa, q) => {
        const qt = `${pt}.qas[${q}]`;
        const id = text(qa, 'id', qt);
        const answers = list(field(qa, 'answers', qt), `${qt}.answers`).map((ans, k) => text(ans, 'text', `${qt}.answers[${k}]`));
        if (answers.length === 0) throw new DataError(`${qt}: "answers" is empty`);
        examples.push({ id, lang: id.split('-')[0]!, context, question: text(qa, 'question', qt), answers });
      });
    });
  });
  return examples;
}

export interface TydiqaData {
  dev: TydiqaExample[];
  /** The train file's questions, read when demonstrations are needed (nShot > 0). */
  train: TydiqaExample[] | null;
}

export async function load(dir: string, options: { nShot?: number } = {}): Promise<TydiqaData> {
  const devFile = path.join(dir, TYDIQA_DEV_FILE);
  const dev = await readSquadFile(devFile);
  if (dev.length === 0) throw new DataError(`${devFile}: no questions`);
  for (const e of dev) {
    if (!(e.lang in TEMPLATES_WITH_CONTEXT)) {
      throw new DataError(`${devFile}: question "${printable(e.id, 60)}" is in language "${printable(e.lang, 30)}", which has no prompt template (${Object.keys(TEMPLATES_WITH_CONTEXT).join(', ')})`);
    }
  }
  const train = (options.nShot ?? 1) > 0 ? await readSquadFile(path.join(dir, TYDIQA_TRAIN_FILE)) : null;
  return { dev, train };
}
