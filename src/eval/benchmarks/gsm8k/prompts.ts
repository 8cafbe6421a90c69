// GSM8K prompts as open-instruct writes them (eval/gsm/run_eval.py @c93a41e L50-73):
//   "Answer the following questions.\n\n" + "\n\n".join("Question: " + q + "\n" + "Answer: " + cot_answer) + "\n\n"
//   + "Question: " + question.strip() + "\nAnswer:"
// With no demonstrations the prefix is "Answer the following question.\n\n"; without chain of thought (--no_cot)
// the demonstrations give the short answer and are headed "Quesion: " (sic, L54). With chat wrapping the user
// message stops after the question and "Answer:" follows the rendered chat prompt (L68-70).
import { appendCue, type ChatWrap } from '../common/chat.js';
import { pythonStrip } from '../common/python-text.js';
import { GSM_EXEMPLARS, type GsmExemplar } from './exemplars.js';
import type { GsmInstance } from './load.js';

export interface GsmPromptOptions {
  /** The demonstrations (default all eight, in file order; [] for zero-shot): select()'s exemplars. */
  exemplars?: readonly GsmExemplar[];
  /** Chain-of-thought demonstrations (default true); false is --no_cot. */
  cot?: boolean;
  /** --use_chat_format: renders the user message (e.g. tuluChatWrap). */
  wrap?: ChatWrap;
}

export function promptPrefix(exemplars: readonly GsmExemplar[], cot = true): string {
  if (exemplars.length === 0) return 'Answer the following question.\n\n';
  const demonstrations = exemplars.map((e) => (cot ? `Question: ${e.question}\nAnswer: ${e.cotAnswer}` : `Quesion: ${e.question}\nAnswer: ${e.shortAnswer}`));
  return `Answer the following questions.\n\n${demonstrations.join('\n\n')}\n\n`;
}

export function buildPrompts(instances: readonly GsmInstance[], options: GsmPromptOptions = {}): string[] {
  const prefix = promptPrefix(options.exemplars ?? GSM_EXEMPLARS, options.cot ?? true);
  const wrap = options.wrap;
  return instances.map((inst) => {
    const message = `${prefix}Question: ${pythonStrip(inst.question)}`;
    return wrap ? appendCue(wrap(message), 'Answer:') : `${message}\nAnswer:`;
  });
}
