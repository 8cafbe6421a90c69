// Paths with non-ASCII names: good inputs succeed (exit 0) as their ASCII twins do; bad ones fail naming the path
// as written.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { evalArgs, mergeArgs, trainArgs } from './commands.js';
import { loraFolder, modelFolder, superniFolder, taskFile, tuluFile } from './sources.js';

const MODEL = 'モデル-é';
const DATA = 'données-数据';
const OUT = 'выход-🚀';

function good(id: string, what: string, setup: (dir: string) => string[]): BadInputCase {
  return { id: `unicode/${id}`, category: 'unicode', what, exit: 0, culprit: [], setup };
}

export const unicodeCases: BadInputCase[] = [
  good('train-model-folder', `train --model ${MODEL}/`, (dir) => trainArgs(dir, modelFolder(dir, MODEL), taskFile(dir))),
  good('train-task-file', `train --data ${DATA}.json`, (dir) => trainArgs(dir, modelFolder(dir), taskFile(dir, `${DATA}.json`))),
  good('train-superni-folder', `train --data superni:${DATA}/`, (dir) => {
    const ni = superniFolder(dir, DATA);
    return trainArgs(dir, modelFolder(dir), `superni:${ni.dir}`, ['--split-dir', ni.splits]);
  }),
  good('train-tulu-file', `train --data tulu:${DATA}.jsonl`, (dir) => trainArgs(dir, modelFolder(dir), `tulu:${tuluFile(dir, undefined, `${DATA}.jsonl`)}`)),
  good('train-out', `train --out ${OUT}`, (dir) => {
    const args = trainArgs(dir, modelFolder(dir), taskFile(dir));
    args[args.indexOf('--out') + 1] = path.join(dir, OUT);
    return args;
  }),
  good('eval-adapter-folder', `eval --adapter アダプタ/ --out ${OUT}`, (dir) => {
    const model = modelFolder(dir, MODEL);
    const args = evalArgs(dir, model, loraFolder(dir, model, 'アダプタ'), taskFile(dir, `${DATA}.json`));
    args[args.indexOf('--out') + 1] = path.join(dir, OUT);
    return args;
  }),
  good('merge-out', `merge --model ${MODEL}/ --out ${OUT}`, (dir) => {
    const model = modelFolder(dir, MODEL);
    const args = mergeArgs(dir, model, loraFolder(dir, model, 'アダプタ'));
    args[args.indexOf('--out') + 1] = path.join(dir, OUT);
    return args;
  }),
  {
    id: 'unicode/bad-config-in-unicode-folder',
    category: 'unicode',
    what: `config.json not JSON in ${MODEL}/`,
    exit: 2,
    culprit: [MODEL, 'config.json'],
    setup: (dir) => {
      const model = modelFolder(dir, MODEL);
      writeFileSync(path.join(model, 'config.json'), '{');
      return trainArgs(dir, model, taskFile(dir));
    },
  },
  {
    id: 'unicode/bad-task-file-name',
    category: 'unicode',
    what: `task file ${DATA}.json not JSON`,
    exit: 2,
    culprit: [`${DATA}.json`],
    setup: (dir) => {
      const file = path.join(dir, `${DATA}.json`);
      writeFileSync(file, '{"Definition": ');
      return trainArgs(dir, modelFolder(dir), file);
    },
  },
  {
    id: 'unicode/truncated-weights-in-unicode-folder',
    category: 'unicode',
    what: `model.safetensors of 5 bytes in ${MODEL}/`,
    exit: 2,
    culprit: [MODEL, 'model.safetensors'],
    setup: (dir) => {
      const model = modelFolder(dir, MODEL);
      writeFileSync(path.join(model, 'model.safetensors'), 'abcde');
      return trainArgs(dir, model, taskFile(dir));
    },
  },
];
