// MMLU prompts as open-instruct writes them (eval/mmlu/run_eval.py @0ddab2b): format_subject (L17-22) puts a space
// before every word, so the header reads "about  abstract algebra." (two spaces); format_example (L25-33) is the
// question, "\n<letter>. <choice>" per choice, "\nAnswer:", and for a shot " <answer>\n\n"; gen_prompt (L36-44)
// is the header and the first k dev rows. Each test question gets the --ntrain shots (L51-55); with chat format
// the whole prompt is the user message and "The answer is:" follows (L57-63). open-instruct then drops shots one at
// a time while the prompt is over 2048 tokens (L65-81): pass `fits` to do the same with the model's tokenizer
// (here the count stops at zero shots, where open-instruct would go on to k = -1, i.e. every dev row).
import { DataError } from '../../../data/errors.js';
import { appendCue, type ChatWrap } from '../common/chat.js';
import { MMLU_CHOICES, type MmluQuestion, type MmluSubject } from './load.js';

export function formatSubject(subject: string): string {
  return subject
    .split('_')
    .map((entry) => ` ${entry}`)
    .join('');
}

export function formatExample(q: MmluQuestion, includeAnswer = true): string {
  let prompt = q.question;
  q.choices.forEach((choice, j) => {
    prompt += `\n${MMLU_CHOICES[j]!}. ${choice}`;
  });
  prompt += '\nAnswer:';
  if (includeAnswer) prompt += ` ${q.answer}\n\n`;
  return prompt;
}

/** The header and the first k dev rows of `subject`. */
export function genPrompt(dev: readonly MmluQuestion[], subject: string, k: number): string {
  let prompt = `The following are multiple choice questions (with answers) about ${formatSubject(subject)}.\n\n`;
  for (let i = 0; i < k; i++) prompt += formatExample(dev[i]!);
  return prompt;
}

export interface MmluPromptOptions {
  /** --ntrain: shots from the dev rows (default 5; 0 for zero-shot). */
  nTrain?: number;
  /** --use_chat_format: renders the user message (e.g. tuluChatWrap). */
  wrap?: ChatWrap;
  /** Whether a finished prompt is short enough (open-instruct: at most 2048 tokens); shots are dropped until it is. */
  fits?: (prompt: string) => boolean;
}

/** One prompt per test question of `subject` (see the file comment). */
export function buildPrompts(subject: MmluSubject, options: MmluPromptOptions = {}): string[] {
  const nTrain = options.nTrain ?? 5;
  if (!Number.isInteger(nTrain) || nTrain < 0) throw new Error(`ntrain must be an integer >= 0, got ${nTrain}`);
  if (nTrain > subject.dev.length) {
    throw new DataError(`MMLU subject ${subject.name}: ${nTrain} shots need ${nTrain} rows in ${subject.name}_dev.csv, which has ${subject.dev.length}`);
  }
  const finish = (body: string): string => (options.wrap ? appendCue(options.wrap(body), 'The answer is:') : body);
  return subject.test.map((q) => {
    const end = formatExample(q, false);
    let k = nTrain;
    let prompt = finish(genPrompt(subject.dev, subject.name, k) + end);
    while (options.fits && k > 0 && !options.fits(prompt)) {
      k--;
      prompt = finish(genPrompt(subject.dev, subject.name, k) + end);
    }
    return prompt;
  });
}
