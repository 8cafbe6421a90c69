// AlpacaEval prompts as open-instruct writes them (eval/alpaca_farm/run_eval.py
// @ c0a998ddc6071e429c9e935ead9952c55c76be57, L19-26): the instruction itself; with --use_chat_format the instruction
// as the one user message, rendered with add_bos=False (ending where the assistant's reply starts), nothing after it.
// Generation there is greedy, at most --max_new_tokens (default 8192) new tokens, no stop sequences but EOS (L28-57).
import type { ChatWrap } from '../common/chat.js';
import type { AlpacaEvalInstance } from './load.js';

export interface AlpacaEvalPromptOptions {
  /** --use_chat_format: renders the user message (e.g. tuluChatWrap). */
  wrap?: ChatWrap;
}

export function buildPrompts(instances: readonly AlpacaEvalInstance[], options: AlpacaEvalPromptOptions = {}): string[] {
  const wrap = options.wrap;
  return instances.map((inst) => (wrap ? wrap(inst.instruction) : inst.instruction));
}
