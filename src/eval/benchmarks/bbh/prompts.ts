// BBH prompts as open-instruct writes them (eval/bbh/run_eval.py @c93a41e): the task's three-shot chain-of-thought
// prompt, stripped, then "\n\nQ: " + input + "\nA:" (L97); with chat format the user message ends after the input
// and "A:" follows the rendered prompt (L90-94). --no_cot (L40-52) keeps only "question\nA: answer" of each
// demonstration, the answer being what follows the last "So the answer is" (period included).
import { DataError } from '../../../data/errors.js';
import { appendCue, type ChatWrap } from '../common/chat.js';
import { pythonStrip } from '../common/python-text.js';
import type { BbhTask } from './load.js';

/** The demonstrations without their reasoning (--no_cot); `file` names the prompt file in errors. */
export function noCotPrompt(cotPrompt: string, file: string): string {
  return cotPrompt
    .split('\n\n')
    .map((field) => {
      if (!field.startsWith('Q:')) return field;
      if (!field.includes('So the answer is')) throw new DataError(`${file}: a demonstration has no "So the answer is"`);
      if (!field.includes('\nA:')) throw new DataError(`${file}: a demonstration has no "\\nA:" line`);
      const answer = pythonStrip(field.split('So the answer is').pop()!);
      const question = pythonStrip(field.split('\nA:')[0]!);
      return `${question}\nA: ${answer}`;
    })
    .join('\n\n');
}

export interface BbhPromptOptions {
  /** Chain-of-thought demonstrations (default true); false is --no_cot. */
  cot?: boolean;
  /** --use_chat_format: renders the user message (e.g. tuluChatWrap). */
  wrap?: ChatWrap;
}

export function buildPrompts(task: BbhTask, options: BbhPromptOptions = {}): string[] {
  const demos = pythonStrip(options.cot === false ? noCotPrompt(task.cotPrompt, task.promptFile) : task.cotPrompt);
  const wrap = options.wrap;
  return task.examples.map((e) => {
    const message = `${demos}\n\nQ: ${e.input}`;
    return wrap ? appendCue(wrap(message), 'A:') : `${message}\nA:`;
  });
}
