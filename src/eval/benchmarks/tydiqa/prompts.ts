// TyDiQA prompts as open-instruct writes them (eval/tydiqa/run_eval.py @c93a41e L139-176): the language's
// instruction + "\n\n", each demonstration ("<passage label> <context>\n<question label> <question>\n<answer label>
// <first answer>") joined by "\n\n" and followed by "\n\n", then "<passage label> <context>\n<question label>
// <question>\n" and the answer label. Closed book (--no_context) drops the passage parts. With chat format the
// user message ends after the question's "\n" and the answer label follows the rendered prompt. open-instruct cuts
// every context to --max_context_length (512) tokens first (L123-134): pass `truncateContext` to do the same.
import { appendCue, type ChatWrap } from '../common/chat.js';
import type { TydiqaExample } from './load.js';
import { TEMPLATES_WITH_CONTEXT, TEMPLATES_WITHOUT_CONTEXT } from './templates.js';

export interface TydiqaPromptOptions {
  /** Demonstrations by language (select()'s shots); none when absent. */
  shots?: ReadonlyMap<string, readonly TydiqaExample[]>;
  /** --no_context: closed-book prompts. */
  noContext?: boolean;
  /** --use_chat_format: renders the user message (e.g. tuluChatWrap). */
  wrap?: ChatWrap;
  /** Cuts a context to the token budget (tokenizer.decode(tokenizer.encode(context)[:512])). */
  truncateContext?: (context: string) => string;
}

export function buildPrompts(instances: readonly TydiqaExample[], options: TydiqaPromptOptions = {}): string[] {
  const cut = options.truncateContext ?? ((context: string) => context);
  return instances.map((example) => {
    const withContext = TEMPLATES_WITH_CONTEXT[example.lang]!;
    const t = options.noContext ? { ...TEMPLATES_WITHOUT_CONTEXT[example.lang]!, passage: '' } : withContext;
    let prompt = `${t.instruction}\n\n`;
    const demos = options.shots?.get(example.lang) ?? [];
    if (demos.length > 0) {
      const formatted = demos.map((d) =>
        options.noContext
          ? `${t.question} ${d.question}\n${t.answer} ${d.answers[0]!}`
          : `${t.passage} ${cut(d.context)}\n${t.question} ${d.question}\n${t.answer} ${d.answers[0]!}`,
      );
      prompt += `${formatted.join('\n\n')}\n\n`;
    }
    prompt += options.noContext ? `${t.question} ${example.question}\n` : `${t.passage} ${cut(example.context)}\n${t.question} ${example.question}\n`;
    return options.wrap ? appendCue(options.wrap(prompt), t.answer) : prompt + t.answer;
  });
}
