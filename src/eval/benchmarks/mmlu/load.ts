// MMLU as open-instruct reads it (eval/mmlu/run_eval.py @0ddab2b L159-187): the hendrycks/test data folder that
// scripts/data/prepare_eval_data.sh unpacks to data/eval/mmlu, i.e. <dir>/test/<subject>_test.csv and
// <dir>/dev/<subject>_dev.csv, headerless CSV rows "question,A,B,C,D,answer". The subjects are the sorted names
// of the files in test/ containing "_test.csv"; each file is read with pandas.read_csv(header=None), so the cells
// are what pandas makes of them (common/pandas-values.ts). A malformed file is a DataError naming the file and
// line: ragged rows, more than four choices, an empty question, an answer that is not a choice letter.
import path from 'node:path';
import { DataError } from '../../../data/errors.js';
import { printable } from '../../../util/printable.js';
import { parseCsv } from '../common/csv.js';
import { listFolder, readText } from '../common/files.js';
import { isPandasNa, renderTable } from '../common/pandas-values.js';

export const MMLU_CHOICES = ['A', 'B', 'C', 'D'] as const;

export interface MmluQuestion {
  question: string;
  /** The choice cells as open-instruct prints them. */
  choices: string[];
  /** The answer cell ("A".."D"). */
  answer: string;
  /** 1-based line the row starts on. */
  line: number;
}

export interface MmluSubject {
  name: string;
  /** Every row of <subject>_dev.csv (the shots come from its first rows). */
  dev: MmluQuestion[];
  test: MmluQuestion[];
}

export interface MmluLoadOptions {
  /** --subjects: only these (each must have a test file). */
  subjects?: readonly string[];
}

/** The rows of one headerless MMLU CSV file, checked and rendered as pandas reads them. */
export async function readMmluCsv(file: string): Promise<MmluQuestion[]> {
  const records = parseCsv(await readText(file, 'MMLU file'), file);
  if (records.length === 0) throw new DataError(`${file}: no rows (expected "question,A,B,C,D,answer" lines)`);
  const width = records[0]!.fields.length;
  for (const r of records) {
    if (r.fields.length !== width) throw new DataError(`${file} line ${r.line}: ${r.fields.length} fields, but the first row has ${width}`);
  }
  const choices = width - 2;
  if (choices < 1 || choices > MMLU_CHOICES.length) {
    throw new DataError(`${file} line ${records[0]!.line}: ${width} fields; expected a question, 1 to 4 choices and an answer letter`);
  }
  const letters = MMLU_CHOICES.slice(0, choices);
  return renderTable(records.map((r) => r.fields)).map((cells, i) => {
    const line = records[i]!.line;
    const question = cells[0]!;
    const answer = cells[width - 1]!;
    if (isPandasNa(records[i]!.fields[0]!)) throw new DataError(`${file} line ${line}: the question is empty`);
    if (!(letters as readonly string[]).includes(answer)) {
      throw new DataError(`${file} line ${line}: the answer must be one of ${letters.join(', ')}, got "${printable(answer, 20)}"`);
    }
    return { question, choices: cells.slice(1, width - 1), answer, line };
  });
}

export async function load(dir: string, options: MmluLoadOptions = {}): Promise<MmluSubject[]> {
  const testDir = path.join(dir, 'test');
  const found = [...new Set((await listFolder(testDir, 'MMLU test folder')).filter((f) => f.includes('_test.csv')).map((f) => f.split('_test.csv')[0]!))];
  if (found.length === 0) throw new DataError(`${testDir}: no <subject>_test.csv files`);
  let names = found;
  if (options.subjects !== undefined) {
    const unknown = options.subjects.filter((s) => !found.includes(s));
    if (unknown.length > 0) throw new DataError(`MMLU subjects without a test file in ${testDir}: ${unknown.join(', ')}`);
    names = [...options.subjects];
  }
  const subjects: MmluSubject[] = [];
  for (const name of names) {
    const dev = await readMmluCsv(path.join(dir, 'dev', `${name}_dev.csv`));
    const test = await readMmluCsv(path.join(testDir, `${name}_test.csv`));
    subjects.push({ name, dev, test });
  }
  return subjects;
}
