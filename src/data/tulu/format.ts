// Rendering a conversation to text, with the character spans that are trained (loss) marked.
//
// TÜLU format (STUDY.md "TÜLU protocol", open-instruct's _concat_messages without its .strip()):
//   <|system|>\n{content}\n   <|user|>\n{content}\n   <|assistant|>\n{content}{eos}\n
// trained: each assistant content plus the EOS text after it; the headers, system and user turns and the
// newline after EOS are not.
//
// A model's own chat template (tokenizer_config.json chat_template, rendered with @huggingface/jinja as
// transformers' apply_chat_template does, with messages, bos_token, eos_token, add_generation_prompt):
// for assistant turn i, P = render(messages[:i], add_generation_prompt=true) and F = render(messages[:i+1])
// must both be prefixes of the whole rendering; the turn's trained span is [len(P), len(F)) with trailing
// whitespace removed, i.e. the content and the end-of-turn token the template writes after it (Qwen's
// "<|im_end|>", Llama 3's "<|eot_id|>", "</s>"), but not the newline that follows it. A template that does not
// render conversations incrementally that way (one that rewrites earlier turns) is an error.
import { Template } from '@huggingface/jinja';
import type { ChatMessage } from './read.js';

/** A rendered conversation: its text, and the [start, end) UTF-16 spans whose tokens get a loss. */
export interface RenderedConversation {
  text: string;
  trained: Array<[number, number]>;
}

export type ConversationRenderer = (messages: readonly ChatMessage[]) => RenderedConversation;

/** The TÜLU chat format with `eos` as the end-of-turn text. */
export function tuluRenderer(eos: string): ConversationRenderer {
  return (messages) => {
    let text = '';
    const trained: Array<[number, number]> = [];
    for (const m of messages) {
      text += `<|${m.role}|>\n`;
      if (m.role === 'assistant') {
        const start = text.length;
        text += m.content + eos;
        trained.push([start, text.length]);
        text += '\n';
      } else {
        text += m.content + '\n';
      }
    }
    return { text, trained };
  };
}

/** A Jinja chat template rendered as transformers' apply_chat_template(tokenize=False) renders it. */
export type ChatTemplateRender = (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => string;

/** Compiles a chat template; `source` names it in errors. */
export function compileChatTemplate(template: string, specials: { bos: string | null; eos: string }, source: string): ChatTemplateRender {
  let compiled: Template;
  try {
    compiled = new Template(template);
  } catch (err) {
    throw new Error(`The chat template of ${source} cannot be parsed: ${(err as Error).message}`);
  }
  return (messages, addGenerationPrompt) => {
    try {
      return compiled.render({
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        bos_token: specials.bos ?? '',
        eos_token: specials.eos,
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (err) {
      throw new Error(`The chat template of ${source} failed: ${(err as Error).message}`);
    }
  };
}

/** A renderer over a Jinja chat template (see the file comment); `source` names the template in errors. */
export function chatTemplateRenderer(template: string, specials: { bos: string | null; eos: string }, source: string): ConversationRenderer {
  const render = compileChatTemplate(template, specials, source);
  return (messages) => {
    const text = render(messages, false);
    const trained: Array<[number, number]> = [];
    messages.forEach((m, i) => {
      if (m.role !== 'assistant') return;
      const before = render(messages.slice(0, i), true);
      const through = render(messages.slice(0, i + 1), false);
      if (!through.startsWith(before) || !text.startsWith(through)) {
        throw new Error(
          `The chat template of ${source} does not render conversations incrementally (turn ${i + 1} changes what comes before it), so the assistant turns cannot be located; use the TÜLU format (--chat-template tulu)`,
        );
      }
      const end = before.length + through.slice(before.length).trimEnd().length;
      if (end > before.length) trained.push([before.length, end]);
    });
    return { text, trained };
  };
}
