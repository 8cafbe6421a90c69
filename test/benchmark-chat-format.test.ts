// The chat formats of benchmark prompts (src/eval/benchmark-runners/generation.ts wrapOf): the model's own chat
// template renders one user turn with its generation prompt; open-instruct's TÜLU template (as the TÜLU 2 models
// ship it) gives exactly the TÜLU wrap; a template's BOS is not doubled when the tokenizer adds its own.
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { wrapOf } from '../src/eval/benchmark-runners/generation.js';
import { tuluChatWrap } from '../src/eval/benchmarks/index.js';
import { TULU_TEMPLATE, gpt2Dir, tokenizerWithTemplate } from './helpers/chat-template.js';

describe('benchmark prompt chat formats', () => {
  it('none leaves prompts alone; tulu is the TÜLU user turn', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    expect(wrapOf('none', tok)).toBeUndefined();
    expect(wrapOf(undefined, tok)).toBeUndefined();
    expect(wrapOf('tulu', tok)).toBe(tuluChatWrap);
  });

  it("model renders one user turn with the template's generation prompt", async () => {
    const chatml = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const wrap = wrapOf('model', await loadTokenizer(tokenizerWithTemplate(chatml)))!;
    expect(wrap('What is 2+2?')).toBe('<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n');
    // The TÜLU 2 models' own template is the TÜLU wrap.
    const tulu = wrapOf('model', await loadTokenizer(tokenizerWithTemplate(TULU_TEMPLATE)))!;
    expect(tulu('Question')).toBe(tuluChatWrap('Question'));
  });

  it("a template's BOS is kept unless the tokenizer adds one itself", async () => {
    const withBos = "{{ bos_token }}{% for m in messages %}{{ '[' + m['role'] + '] ' + m['content'] }}{% endfor %}{% if add_generation_prompt %}{{ ' [assistant]' }}{% endif %}";
    expect(wrapOf('model', await loadTokenizer(tokenizerWithTemplate(withBos)))!('hi')).toBe('<|endoftext|>[user] hi [assistant]');
    expect(wrapOf('model', await loadTokenizer(tokenizerWithTemplate(withBos, { add_bos_token: true })))!('hi')).toBe('[user] hi [assistant]');
  });

  it('refuses a model without a template in one line', async () => {
    expect(() => wrapOf('model', { source: 'x/tokenizer.json', eosId: 0, bosId: null } as never)).toThrow(/--chat-format model: x\/tokenizer\.json has no chat_template in tokenizer_config\.json/);
  });
});
