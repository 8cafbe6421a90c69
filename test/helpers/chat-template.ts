// A copy of the fake_gpt2 tokenizer fixture with a chat template (and other tokenizer_config.json fields) of a
// test's choosing, for tests of chat-template rendering.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { realFixturesDir } from './real-data.js';

export const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');

/** open-instruct's TÜLU template (as shipped in tokenizer_config.json of the TÜLU 2 models). */
export const TULU_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{ '<|system|>\\n' + message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n'  + message['content'] + eos_token + '\\n' }}{% endif %}" +
  "{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}{% endfor %}";

/** A tokenizer folder: fake_gpt2's files, its tokenizer_config.json with `chat_template` set and `extra` merged in. */
export function tokenizerWithTemplate(template: string, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pn-chat-template-'));
  for (const f of ['tokenizer.json', 'special_tokens_map.json']) copyFileSync(path.join(gpt2Dir, f), path.join(dir, f));
  const config = JSON.parse(readFileSync(path.join(gpt2Dir, 'tokenizer_config.json'), 'utf8'));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: template, ...extra }));
  return dir;
}
