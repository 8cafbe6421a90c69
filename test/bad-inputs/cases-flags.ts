// Bad flag values and combinations on otherwise good inputs (the fixture Llama, a real SuperNI task).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { evalArgs, mergeArgs, trainArgs } from './commands.js';
import { loraFolder, modelFolder, readTask, taskFile } from './sources.js';

type Command = 'train' | 'eval' | 'merge';

/** `<command>` on good inputs with `extra` appended (a later flag wins over the cheap defaults). */
function flag(id: string, extra: string[], culprit: Array<string | RegExp>, command: Command = 'train', what = `${command} ${extra.join(' ')}`): BadInputCase {
  return {
    id: `flags/${command}-${id}`,
    category: 'flags',
    what,
    exit: 2,
    culprit,
    setup: (dir) => {
      const model = modelFolder(dir);
      if (command === 'train') return trainArgs(dir, model, taskFile(dir), extra);
      if (command === 'eval') return evalArgs(dir, model, loraFolder(dir, model), taskFile(dir), extra);
      return mergeArgs(dir, model, loraFolder(dir, model), extra);
    },
  };
}

export const flagCases: BadInputCase[] = [
  flag('lr-negative', ['--lr', '-1'], ['--lr']),
  flag('lr-zero', ['--lr', '0'], ['--lr']),
  flag('lr-nan', ['--lr', 'NaN'], ['--lr']),
  flag('lr-hex', ['--lr', '0x10'], ['--lr', '0x10']),
  flag('lr-infinity', ['--lr', 'Infinity'], ['--lr']),
  flag('lr-empty', ['--lr', ''], ['--lr']),
  flag('steps-zero', ['--steps', '0'], ['--steps']),
  flag('steps-negative', ['--steps', '-3'], ['--steps']),
  flag('steps-fraction', ['--steps', '1.5'], ['--steps']),
  flag('steps-huge', ['--steps', '1e400'], ['--steps']),
  flag('batch-size-zero', ['--batch-size', '0'], ['--batch-size']),
  flag('rank-nan', ['--rank', 'NaN'], ['--rank']),
  flag('threads-zero', ['--threads', '0'], ['--threads']),
  flag('dropout-above-one', ['--dropout', '1.5'], [/dropout/]),
  flag('warmup-ratio-two', ['--warmup-ratio', '2'], [/warmup/]),
  flag('seed-negative', ['--seed', '-1'], ['--seed']),
  flag('method-unknown', ['--method', 'qlora'], ['--method', 'qlora']),
  flag('target-modules-unknown', ['--target-modules', 'foo_proj'], [/--target-modules|foo_proj/, 'foo_proj']),
  flag('max-length-drops-all', ['--max-length', '16'], ['--max-length']),
  flag('device-unknown', ['--device', 'tpu'], ['--device', 'tpu']),
  flag('device-missing-gpu', ['--device', 'cuda:7'], ['cuda:7']),
  flag('steps-and-epochs', ['--epochs', '2'], ['--steps', '--epochs']),
  flag('unknown-flag', ['--no-such-flag'], ['--no-such-flag']),
  flag('misspelled-flag', ['--stepz', '2'], ['--stepz']),
  flag('precision-fp16', ['--precision', 'fp16'], ['--precision', 'fp16']),
  flag('save-total-limit-zero', ['--save-total-limit', '0'], ['--save-total-limit']),
  flag('virtual-tokens-zero', ['--method', 'prompt', '--virtual-tokens', '0'], ['--virtual-tokens']),
  flag('rank-with-full', ['--method', 'full', '--rank', '8'], ['--rank']),
  flag('eval-times-without-dev', ['--eval-times', '2'], ['--eval-times']),
  flag('max-new-tokens-no-room', ['--max-new-tokens', '200'], ['--max-new-tokens', /max_position_embeddings|128/], 'eval'),
  flag('max-new-tokens-zero', ['--max-new-tokens', '0'], ['--max-new-tokens'], 'eval'),
  flag('max-instances-zero', ['--max-instances', '0'], ['--max-instances'], 'eval'),
  flag('split-unknown', ['--split', 'validation'], ['--split', 'validation'], 'eval'),
  flag('device-unknown', ['--device', 'gpu0'], ['--device', 'gpu0'], 'eval'),
  flag('max-shard-size-zero', ['--max-shard-size', '0'], ['--max-shard-size'], 'merge'),
  flag('max-shard-size-text', ['--max-shard-size', 'big'], ['--max-shard-size'], 'merge'),
  {
    id: 'flags/train-max-length-past-positions',
    category: 'flags',
    what: '--max-length 1024 with examples longer than max_position_embeddings 128',
    exit: 2,
    culprit: ['max_position_embeddings'],
    setup: (dir) => {
      const t = readTask();
      for (const i of t.Instances) i.input = `${String(i.input)} `.repeat(80);
      const file = path.join(dir, 'long_task.json');
      writeFileSync(file, JSON.stringify(t));
      return trainArgs(dir, modelFolder(dir), file, ['--max-length', '1024', '--max-source-length', '1000']);
    },
  },
  {
    id: 'flags/merge-adapter-missing-flag',
    category: 'flags',
    what: 'merge without --adapter',
    exit: 2,
    culprit: ['--adapter'],
    setup: (dir) => ['merge', '--model', modelFolder(dir), '--out', path.join(dir, 'merged')],
  },
];
