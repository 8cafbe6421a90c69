// Broken tokenizer files beside the fixture Llama, read by `train --model` and by `data inspect --model`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { inspectArgs, trainArgs } from './commands.js';
import { modelFolder, taskFile } from './sources.js';

type Command = 'train' | 'inspect';

function tokenizer(id: string, what: string, file: string, damage: (file: string) => void, command: Command = 'train', culprit: Array<string | RegExp> = []): BadInputCase {
  return {
    id: `tokenizer/${id}${command === 'inspect' ? '-inspect' : ''}`,
    category: 'tokenizer',
    what: command === 'inspect' ? `${what} (data inspect)` : what,
    exit: 2,
    culprit: [file, ...culprit],
    setup: (dir) => {
      const model = modelFolder(dir);
      damage(path.join(model, file));
      const data = taskFile(dir);
      return command === 'train' ? trainArgs(dir, model, data) : inspectArgs(model, data);
    },
  };
}

const garbage = (f: string) => writeFileSync(f, Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x00, 0x22, 0x0a, 0x1b, 0x5b, 0x33, 0x31, 0x6d]));
const truncated = (f: string) => writeFileSync(f, readFileSync(f).subarray(0, Math.floor(readFileSync(f).length / 2)));
const empty = (f: string) => writeFileSync(f, '');
const missing = (f: string) => rmSync(f);

export const tokenizerCases: BadInputCase[] = [
  ...(['train', 'inspect'] as const).flatMap((command) => [
    tokenizer('garbage', 'tokenizer.json is binary garbage', 'tokenizer.json', garbage, command),
    tokenizer('truncated', 'tokenizer.json cut in half', 'tokenizer.json', truncated, command),
    tokenizer('empty', 'tokenizer.json is empty', 'tokenizer.json', empty, command),
    tokenizer('missing', 'no tokenizer.json', 'tokenizer.json', missing, command),
  ]),
  tokenizer('wrong-structure', 'tokenizer.json is JSON without a model', 'tokenizer.json', (f) => writeFileSync(f, '{"version": "1.0", "model": 5}')),
  tokenizer('unknown-model-type', 'tokenizer.json model type "Magic"', 'tokenizer.json', (f) => {
    const t = JSON.parse(readFileSync(f, 'utf8')) as { model: { type: string } };
    t.model.type = 'Magic';
    writeFileSync(f, JSON.stringify(t));
  }),
  tokenizer('is-directory', 'tokenizer.json is a directory', 'tokenizer.json', (f) => { rmSync(f); mkdirSync(f); }),
  tokenizer('config-garbage', 'tokenizer_config.json is not JSON', 'tokenizer_config.json', (f) => writeFileSync(f, '{"eos_token": "</s>",')),
  tokenizer('config-wrong-type', 'tokenizer_config.json eos_token is a number', 'tokenizer_config.json', (f) => {
    const c = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    c.eos_token = 17;
    writeFileSync(f, JSON.stringify(c));
  }, 'train', ['eos_token']),
];
