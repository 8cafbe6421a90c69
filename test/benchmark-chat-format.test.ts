// The chat formats of benchmark prompts (src/eval/benchmark-runners/generation.ts wrapOf): the model's own chat
// template renders one user turn with its generation prompt; open-instruct's TÜLU template (as the TÜLU 2 models
// ship it) gives exactly the TÜLU wrap; a template's BOS is not doubled when the tokenizer adds its own.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { wrapOf } from '../src/eval/benchmark-runners/generation.js';
import { tuluChatWrap } from '../src/eval/benchmarks/index.js';
import { realFixturesDir } from './helpers/real-data.js';

const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');

/** fake_gpt2's tokenizer with a chat template (and optionally add_bos_token). */
function withTemplate(template: string | null, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pn-chat-format-'));
  for (const f of ['tokenizer.json', 'special_tokens_map.json']) copyFileSync(path.join(gpt2Dir, f), path.join(dir, f));
  const config = JSON.parse(readFileSync(path.join(gpt2Dir, 'tokenizer_config.json'), 'utf8'));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, ...(template !== null ? { chat_template: template } : {}), ...extra }));
  return dir;
}

const TULU_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{ '<|system|>\\n' + message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n'  + message['content'] + eos_token + '\\n' }}{% endif %}" +
  "{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}{% endfor %}";

describe('benchmark prompt chat formats', () => {
  it('none leaves prompts alone; tulu is the TÜLU user turn', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    expect(wrapOf('none', tok)).toBeUndefined();
    expect(wrapOf(undefined, tok)).toBeUndefined();
    expect(wrapOf('tulu', tok)).toBe(tuluChatWrap);
  });

  it("model renders one user turn with the template's generation prompt", async () => {
    const chatml = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const wrap = wrapOf('model', await loadTokenizer(withTemplate(chatml)))!;
    expect(wrap('What is 2+2?')).toBe('<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n');
    // The TÜLU 2 models' own template is the TÜLU wrap.
    const tulu = wrapOf('model', await loadTokenizer(withTemplate(TULU_TEMPLATE)))!;
    expect(tulu('Question')).toBe(tuluChatWrap('Question'));
  });

  it("a template's BOS is kept unless the tokenizer adds one itself", async () => {
    const withBos = "{{ bos_token }}{% for m in messages %}{{ '[' + m['role'] + '] ' + m['content'] }}{% endfor %}{% if add_generation_prompt %}{{ ' [assistant]' }}{% endif %}";
    expect(wrapOf('model', await loadTokenizer(withTemplate(withBos)))!('hi')).toBe('<|endoftext|>[user] hi [assistant]');
    expect(wrapOf('model', await loadTokenizer(withTemplate(withBos, { add_bos_token: true })))!('hi')).toBe('[user] hi [assistant]');
  });

  it('refuses a model without a template in one line', async () => {
    expect(() => wrapOf('model', { source: 'x/tokenizer.json', eosId: 0, bosId: null } as never)).toThrow(/--chat-format model: x\/tokenizer\.json has no chat_template in tokenizer_config\.json/);
  });
});
