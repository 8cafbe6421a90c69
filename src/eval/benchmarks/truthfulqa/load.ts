// TruthfulQA as open-instruct reads it (eval/truthfulqa/run_eval.py @09613af main: pd.read_csv(<dir>/TruthfulQA.csv)):
// sylinrl/TruthfulQA's TruthfulQA.csv, which scripts/data/prepare_eval_data.sh downloads to data/eval/truthfulqa,
// with its header row (Type, Category, Question, Best Answer, Correct Answers, Incorrect Answers, Source). A cell
// pandas reads as missing (empty, "NA", ...) is null. Problems are DataErrors naming the file and line.
import path from 'node:path';
import { DataError } from '../../../data/errors.js';
import { parseCsv } from '../common/csv.js';
import { readText } from '../common/files.js';
import { isPandasNa } from '../common/pandas-values.js';
import { pythonStrip } from '../common/python-text.js';

export const TRUTHFULQA_FILE = 'TruthfulQA.csv';
const REQUIRED = ['Question', 'Best Answer', 'Correct Answers', 'Incorrect Answers'] as const;

export interface TruthfulqaRow {
  question: string;
  bestAnswer: string;
  /** "; "-separated reference answers, as in the file. */
  correctAnswers: string;
  /** null when the cell is missing (open-instruct skips such rows). */
  incorrectAnswers: string | null;
  line: number;
}

export async function load(dir: string): Promise<TruthfulqaRow[]> {
  const file = path.join(dir, TRUTHFULQA_FILE);
  const [header, ...records] = parseCsv(await readText(file, 'TruthfulQA file'), file);
  if (header === undefined) throw new DataError(`${file}: empty (expected a header row and one row per question)`);
  const column = new Map(header.fields.map((name, i) => [name, i]));
  const missing = REQUIRED.filter((c) => !column.has(c));
  if (missing.length > 0) throw new DataError(`${file} line ${header.line}: no column ${missing.map((c) => `"${c}"`).join(', ')} in the header`);
  if (records.length === 0) throw new DataError(`${file}: no questions after the header`);
  return records.map((r) => {
    if (r.fields.length > header.fields.length) throw new DataError(`${file} line ${r.line}: ${r.fields.length} fields, but the header has ${header.fields.length}`);
    const cell = (name: (typeof REQUIRED)[number]): string | null => {
      const v = r.fields[column.get(name)!];
      return v === undefined || isPandasNa(v) ? null : v;
    };
    const required = (name: (typeof REQUIRED)[number]): string => {
      const v = cell(name);
      if (v === null || pythonStrip(v) === '') throw new DataError(`${file} line ${r.line}: "${name}" is empty`);
      return v;
    };
    return { question: required('Question'), bestAnswer: required('Best Answer'), correctAnswers: required('Correct Answers'), incorrectAnswers: cell('Incorrect Answers'), line: r.line };
  });
}
