// Token ids outside the model's vocabulary (320), where files give the CLI ids: a tokenizer with more ids than the
// model has embedding rows, a special token's id in tokenizer.json, and config.json's eos_token_id (read when
// tokenizer_config.json names no EOS token).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { evalArgs, trainArgs } from './commands.js';
import { fullTokenizerJson, loraFolder, modelFolder, taskFile } from './sources.js';

type Command = 'train' | 'eval';

function ids(id: string, what: string, damage: (model: string) => void, culprit: Array<string | RegExp>, commands: Command[]): BadInputCase[] {
  return commands.map((command) => ({
    id: `token-ids/${command}-${id}`,
    category: 'token-ids' as const,
    what,
    exit: 2 as const,
    culprit,
    setup: (dir: string) => {
      const model = modelFolder(dir);
      damage(model);
      const data = taskFile(dir);
      return command === 'train' ? trainArgs(dir, model, data) : evalArgs(dir, model, loraFolder(dir, model), data);
    },
  }));
}

function editJson(file: string, change: (o: Record<string, unknown>) => void): void {
  const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(o);
  writeFileSync(file, JSON.stringify(o, null, 1));
}

/** config.json's eos_token_id set to `id`, tokenizer_config.json naming no EOS token (so config.json's is used). */
function eosFromConfig(id: unknown): (model: string) => void {
  return (m) => {
    editJson(path.join(m, 'tokenizer_config.json'), (c) => { delete c.eos_token; });
    editJson(path.join(m, 'config.json'), (c) => { c.eos_token_id = id; });
  };
}

export const tokenIdCases: BadInputCase[] = [
  ...ids('tokenizer-larger-than-vocab', 'tokenizer.json with 1024 ids for a model of vocab_size 320', (m) => writeFileSync(path.join(m, 'tokenizer.json'), fullTokenizerJson()),
    [/tokenizer/, 'vocab_size'], ['train', 'eval']),
  ...ids('special-token-past-vocab', 'tokenizer.json gives `</s>` the id 5000', (m) => editJson(path.join(m, 'tokenizer.json'), (t) => {
    const added = t.added_tokens as Array<{ id: number; content: string }>;
    for (const a of added) if (a.content === '</s>') a.id = 5000;
    const vocab = (t.model as { vocab: Record<string, number> }).vocab;
    if ('</s>' in vocab) vocab['</s>'] = 5000;
  }), [/tokenizer/, '5000'], ['train', 'eval']),
  ...ids('config-eos-past-vocab', 'config.json eos_token_id 5000 (tokenizer_config.json names no EOS)', eosFromConfig(5000), ['config.json', 'eos_token_id'], ['train', 'eval']),
  ...ids('config-eos-negative', 'config.json eos_token_id -1 (tokenizer_config.json names no EOS)', eosFromConfig(-1), ['config.json', 'eos_token_id'], ['train']),
  ...ids('tokenizer-config-eos-unknown', 'tokenizer_config.json eos_token `"<eot>"`, a token the tokenizer does not have', (m) => editJson(path.join(m, 'tokenizer_config.json'), (c) => { c.eos_token = '<eot>'; }),
    ['tokenizer_config.json', '<eot>'], ['train', 'eval']),
];
