// Chat wrapping of a benchmark prompt, as open-instruct's `--use_chat_format` does it: the raw prompt becomes one
// user message, the chat formatting function renders it with add_bos=False (ending in the assistant header), and
// the benchmark's answer cue ("Answer:", "A:", "The answer is:") is appended after it, with a space unless the
// rendering already ends in a newline or a space (`prompt += s if prompt[-1] in ["\n", " "] else " " + s`).

/** Renders one user message as a chat prompt that ends where the assistant's reply starts. */
export type ChatWrap = (userMessage: string) => string;

/**
 * open-instruct eval/templates.py create_prompt_with_tulu_chat_format for a single user message with
 * add_bos=False: "<|user|>\n" + content + "\n" + "<|assistant|>\n" (the TÜLU format of src/data/tulu/format.ts).
 */
export const tuluChatWrap: ChatWrap = (content) => `<|user|>\n${content}\n<|assistant|>\n`;

/** The chat-formatted prompt followed by the answer cue (see the file comment). */
export function appendCue(wrapped: string, cue: string): string {
  return wrapped.endsWith('\n') || wrapped.endsWith(' ') ? wrapped + cue : `${wrapped} ${cue}`;
}
