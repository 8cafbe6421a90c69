// TruthfulQA multiple-choice prompts as open-instruct builds them (eval/truthfulqa/run_eval.py @09613af
// run_hf_model_mc, with eval/truthfulqa/utilities.py @0ddab2b format_prompt L23-44, split_multi_answer L102-119,
// format_best L122-130): the preset's primer + "\n\nQ: " + question, then "\nA:" (with chat format the rendered
// prompt and "A:"); the candidates are the correct then the incorrect reference answers (split at ";", stripped,
// a period added when missing); rows without incorrect answers are skipped. Each candidate is scored as a
// continuation of the prompt (eval/utils.py score_completions, aggregation "sum"): the text scored is the prompt,
// a space unless the prompt ends in "\n" or " ", and the answer, and the score is the summed log-probability of
// the tokens of that text past the prompt's own tokens, which is what the native scorer must return.
import { DataError } from '../../../data/errors.js';
import { appendCue, type ChatWrap } from '../common/chat.js';
import { pythonStrip } from '../common/python-text.js';
import type { TruthfulqaRow } from './load.js';
import { PROF_PRIMER, QA_PRIMER, type TruthfulqaPreset } from './presets.js';

export function formatPrompt(question: string, preset: TruthfulqaPreset = 'qa'): string {
  if (preset === 'null') return `Q: ${question}\n\nA:`;
  return `${preset === 'help' ? PROF_PRIMER : QA_PRIMER}\n\nQ: ${question}`;
}

export function splitMultiAnswer(answers: string): string[] {
  return pythonStrip(answers)
    .split(';')
    .map((a) => pythonStrip(a))
    .filter((a) => a.length > 0)
    .map((a) => (a.endsWith('.') ? a : `${a}.`));
}

export function formatBest(best: string): string {
  const b = pythonStrip(best);
  return b.endsWith('.') ? b : `${b}.`;
}

/** The scored text after the prompt: " " + answer unless the prompt ends in a newline or a space. */
export function continuation(prompt: string, answer: string): string {
  return prompt.endsWith('\n') || prompt.endsWith(' ') ? answer : ` ${answer}`;
}

export interface McItem {
  row: TruthfulqaRow;
  prompt: string;
  refTrue: string[];
  refFalse: string[];
  refBest: string;
}

export interface McPromptOptions {
  preset?: TruthfulqaPreset;
  wrap?: ChatWrap;
}

export function buildPrompts(rows: readonly TruthfulqaRow[], options: McPromptOptions = {}): McItem[] {
  const items: McItem[] = [];
  for (const row of rows) {
    if (row.incorrectAnswers === null) continue;
    const base = formatPrompt(row.question, options.preset ?? 'qa');
    const prompt = options.wrap ? appendCue(options.wrap(base), 'A:') : `${base}\nA:`;
    const refTrue = splitMultiAnswer(row.correctAnswers);
    const refBest = formatBest(row.bestAnswer);
    if (!refTrue.includes(refBest)) throw new DataError(`TruthfulQA line ${row.line}: the best answer "${refBest}" is not among the correct answers`);
    const refFalse = splitMultiAnswer(row.incorrectAnswers);
    if (refFalse.length === 0) throw new DataError(`TruthfulQA line ${row.line}: "Incorrect Answers" holds no answer`);
    items.push({ row, prompt, refTrue, refFalse, refBest });
  }
  return items;
}
