// HumanEval prompts as open-instruct writes them (eval/codex_humaneval/run_eval.py
// @ d8a922becfadd6646033a69b6acd62a9937e7420, L28-40): without chat format the prompt is the problem's own
// "prompt" (a signature and docstring the model continues). With --use_chat_format the user message is
// "Complete the following python function.\n\n\n" + prompt, rendered with add_bos=False, and the reply is started
// for the model: "Here is the completed function:\n\n\n" + prompt, after a space unless the rendering ends in a
// newline or a space. Either way the completion continues the function body, and the program that runs is the
// problem's prompt + completion (program.ts).
import { appendCue, type ChatWrap } from '../common/chat.js';
import type { HumanEvalProblem } from './load.js';

export const CHAT_INSTRUCTION = 'Complete the following python function.\n\n\n';
export const CHAT_REPLY_START = 'Here is the completed function:\n\n\n';

export interface HumanEvalPromptOptions {
  /** --use_chat_format: renders the user message (e.g. tuluChatWrap). */
  wrap?: ChatWrap;
}

export function buildPrompts(problems: readonly HumanEvalProblem[], options: HumanEvalPromptOptions = {}): string[] {
  const wrap = options.wrap;
  return problems.map((p) => (wrap ? appendCue(wrap(CHAT_INSTRUCTION + p.prompt), CHAT_REPLY_START + p.prompt) : p.prompt));
}
