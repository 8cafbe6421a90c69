// GSM8K's test set as open-instruct reads it (eval/gsm/run_eval.py @c93a41e L25-37): <dir>/test.jsonl (the
// layout of openai/grade-school-math grade_school_math/data/test.jsonl, which scripts/data/prepare_eval_data.sh
// puts in data/eval/gsm/), one {"question", "answer"} object per line. The target is the text after "####" in
// "answer", stripped, with the thousands commas of numbers removed (re.sub(r"(\d),(\d)", r"\1\2", ...)).
// Malformed lines are one-line DataErrors naming the file, the line and the field. open-instruct asserts
// float(answer), which also rejects a final answer of 0; here any number is accepted.
import path from 'node:path';
import { DataError } from '../../../data/errors.js';
import { printable } from '../../../util/printable.js';
import { readJsonlObjects, stringField } from '../common/jsonl.js';
import { pythonStrip } from '../common/python-text.js';

export interface GsmInstance {
  question: string;
  /** The reference final answer, normalized as open-instruct compares it ("70000"). */
  answer: string;
  /** 1-based line in test.jsonl. */
  line: number;
}

export const GSM_TEST_FILE = 'test.jsonl';

/** Python's \d is any decimal digit (Unicode Nd), not only 0-9. */
export function removeThousandsCommas(text: string): string {
  return text.replace(/(\p{Nd}),(\p{Nd})/gu, '$1$2');
}

// What float() reads (underscores between digits aside).
const PYTHON_FLOAT = /^[+-]?(\p{Nd}+\.?\p{Nd}*|\.\p{Nd}+)([eE][+-]?\p{Nd}+)?$|^[+-]?(inf|infinity|nan)$/iu;

export async function load(dir: string): Promise<GsmInstance[]> {
  const file = path.join(dir, GSM_TEST_FILE);
  const instances: GsmInstance[] = [];
  for (const { value, line, where } of await readJsonlObjects(file, 'GSM8K test file')) {
    const question = stringField(value, 'question', where);
    const raw = stringField(value, 'answer', where);
    const parts = raw.split('####');
    if (parts.length < 2) throw new DataError(`${where}: "answer" has no "#### <final answer>" part`);
    const answer = removeThousandsCommas(pythonStrip(parts[1]!));
    if (!PYTHON_FLOAT.test(answer)) throw new DataError(`${where}: the final answer after "####" is not a number: "${printable(answer, 40)}"`);
    instances.push({ question, answer, line });
  }
  if (instances.length === 0) throw new DataError(`${file}: no questions (expected one JSON object per line)`);
  return instances;
}
