// Broken config.json of the fixture Llama, read by `train --model`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { trainArgs } from './commands.js';
import { modelFolder, taskFile } from './sources.js';

const FILE = 'config.json';

function config(id: string, what: string, write: (config: Record<string, unknown>) => string, culprit: Array<string | RegExp>): BadInputCase {
  return {
    id: `config/${id}`,
    category: 'config',
    what,
    exit: 2,
    culprit: [FILE, ...culprit],
    setup: (dir) => {
      const model = modelFolder(dir);
      const file = path.join(model, FILE);
      writeFileSync(file, write(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>));
      return trainArgs(dir, model, taskFile(dir));
    },
  };
}

/** config.json with `fields` set (undefined: removed). */
function fields(id: string, what: string, set: Record<string, unknown>, culprit: Array<string | RegExp>): BadInputCase {
  return config(id, what, (c) => {
    for (const [k, v] of Object.entries(set)) {
      if (v === undefined) delete c[k];
      else c[k] = v;
    }
    return JSON.stringify(c, null, 2);
  }, culprit);
}

export const configCases: BadInputCase[] = [
  config('not-json', 'config.json is not JSON', () => '{"model_type": "llama", hidden_size: 64', []),
  config('empty', 'config.json is empty', () => '', []),
  config('binary', 'config.json is binary garbage (NUL, 0xff)', () => '\u0000\u00ff\u00fe garbage \u0000', []),
  config('array', 'config.json is a JSON array', () => '[{"model_type": "llama"}]', []),
  fields('hidden-size-string', 'hidden_size is "64" (a string)', { hidden_size: '64' }, ['hidden_size']),
  fields('layers-missing', 'num_hidden_layers missing', { num_hidden_layers: undefined }, ['num_hidden_layers']),
  fields('vocab-missing', 'vocab_size missing', { vocab_size: undefined }, ['vocab_size']),
  fields('model-type-missing', 'model_type missing', { model_type: undefined }, ['model_type']),
  fields('vocab-disagrees', 'vocab_size 512 but the weights have 320 rows', { vocab_size: 512 }, [/vocab_size|embed_tokens|lm_head/]),
  fields('hidden-size-2e40', 'hidden_size 2^40 (must not try to allocate it)', { hidden_size: 2 ** 40, head_dim: undefined }, ['hidden_size']),
  fields('hidden-size-negative', 'hidden_size -64', { hidden_size: -64 }, ['hidden_size']),
  fields('hidden-size-zero', 'hidden_size 0', { hidden_size: 0 }, ['hidden_size']),
  fields('intermediate-size-zero', 'intermediate_size 0', { intermediate_size: 0 }, ['intermediate_size']),
  fields('heads-zero', 'num_attention_heads 0', { num_attention_heads: 0, head_dim: undefined }, ['num_attention_heads']),
  fields('heads-not-dividing', 'num_attention_heads 5 does not divide hidden_size 64', { num_attention_heads: 5, num_key_value_heads: 5, head_dim: undefined }, ['num_attention_heads']),
  fields('kv-heads-not-dividing', 'num_key_value_heads 3 does not divide num_attention_heads 4', { num_key_value_heads: 3 }, ['num_key_value_heads']),
  fields('unknown-model-type', 'model_type "mamba"', { model_type: 'mamba' }, ['mamba']),
  fields('layers-more-than-weights', 'num_hidden_layers 3, the weights have 2', { num_hidden_layers: 3 }, [/model\.layers\.2|num_hidden_layers/]),
  fields('rms-eps-string', 'rms_norm_eps "small"', { rms_norm_eps: 'small' }, ['rms_norm_eps']),
  fields('max-positions-negative', 'max_position_embeddings -1', { max_position_embeddings: -1 }, ['max_position_embeddings']),
  fields('tie-embeddings-string', 'tie_word_embeddings "yes"', { tie_word_embeddings: 'yes' }, ['tie_word_embeddings']),
  fields('layers-fraction', 'num_hidden_layers 1.5', { num_hidden_layers: 1.5 }, ['num_hidden_layers']),
  {
    id: 'config/missing',
    category: 'config',
    what: 'no config.json in the model folder',
    exit: 2,
    culprit: [FILE],
    setup: (dir) => {
      const model = modelFolder(dir);
      rmSync(path.join(model, FILE));
      return trainArgs(dir, model, taskFile(dir));
    },
  },
  {
    id: 'config/is-directory',
    category: 'config',
    what: 'config.json is a directory',
    exit: 2,
    culprit: [FILE],
    setup: (dir) => {
      const model = modelFolder(dir);
      rmSync(path.join(model, FILE));
      mkdirSync(path.join(model, FILE));
      return trainArgs(dir, model, taskFile(dir));
    },
  },
];
