// The AlpacaEval evaluation set as open-instruct reads it (eval/alpaca_farm/run_eval.py
// @ c0a998ddc6071e429c9e935ead9952c55c76be57, L17-22): datasets.load_dataset("tatsu-lab/alpaca_eval", "alpaca_eval")
// ["eval"], the dataset's alpaca_eval.json: one JSON list of 805 records {"dataset", "instruction", "output",
// "generator"}, where "output" and "generator" are the reference model's (text_davinci_003). Here the same file is
// read from the user's folder (never the network), in file order. Every record keeps all its fields, because
// open-instruct writes the model's outputs as the record with "output" and "generator" replaced (outputs.ts).
// Problems are one-line DataErrors naming the file, the record and the field.
import path from 'node:path';
import { DataError } from '../../../data/errors.js';
import { readJson } from '../common/files.js';
import { describeValue } from '../common/jsonl.js';

export interface AlpacaEvalInstance {
  instruction: string;
  /** The source set (helpful_base, koala, oasst, selfinstruct, vicuna). */
  dataset: string;
  /** The record as read, field order included. */
  record: Readonly<Record<string, unknown>>;
  /** 0-based position in the file's list. */
  index: number;
}

export const ALPACA_EVAL_FILE = 'alpaca_eval.json';

function stringOf(row: Record<string, unknown>, field: string, where: string, required: boolean): void {
  const v = row[field];
  if (v === undefined && !required) return;
  if (v === undefined) throw new DataError(`${where}: "${field}" is missing (it must be a string)`);
  if (typeof v !== 'string') throw new DataError(`${where}: "${field}" must be a string, got ${describeValue(v)}`);
}

/** The records of one AlpacaEval file (a JSON list). */
export async function loadFile(file: string): Promise<AlpacaEvalInstance[]> {
  const value = await readJson(file, 'AlpacaEval file');
  if (!Array.isArray(value)) throw new DataError(`${file}: expected a JSON list of records, got ${describeValue(value)}`);
  if (value.length === 0) throw new DataError(`${file}: the list of records is empty`);
  return value.map((item: unknown, index) => {
    const where = `${file}: record [${index}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new DataError(`${where} must be an object, got ${describeValue(item)}`);
    const row = item as Record<string, unknown>;
    stringOf(row, 'instruction', where, true);
    stringOf(row, 'dataset', where, true);
    stringOf(row, 'output', where, false);
    stringOf(row, 'generator', where, false);
    return { instruction: row['instruction'] as string, dataset: row['dataset'] as string, record: row, index };
  });
}

/** <dir>/alpaca_eval.json. */
export function load(dir: string): Promise<AlpacaEvalInstance[]> {
  return loadFile(path.join(dir, ALPACA_EVAL_FILE));
}
