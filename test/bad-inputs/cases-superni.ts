// Malformed SuperNI task files and split lists, read by `train --data`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { trainArgs } from './commands.js';
import { TASK, modelFolder, readTask, superniFolder, taskFile } from './sources.js';

const FILE = `${TASK}.json`;

/** One task file (`<dir>/<TASK>.json`) with `text` as its contents, trained on as `--data <file>`. */
function task(id: string, what: string, text: () => string, culprit: Array<string | RegExp>): BadInputCase {
  return {
    id: `superni/${id}`,
    category: 'superni',
    what,
    exit: 2,
    culprit: [FILE, ...culprit],
    setup: (dir) => {
      const file = path.join(dir, FILE);
      writeFileSync(file, text());
      return trainArgs(dir, modelFolder(dir), file);
    },
  };
}

function edited(change: (t: ReturnType<typeof readTask>) => void): () => string {
  return () => {
    const t = readTask();
    change(t);
    return JSON.stringify(t, null, 1);
  };
}

/** A superni:<dir> folder (two real tasks, split lists) that `change` damages; trained with --split-dir. */
function folder(id: string, what: string, change: (ni: ReturnType<typeof superniFolder>) => void, culprit: Array<string | RegExp>): BadInputCase {
  return {
    id: `superni/${id}`,
    category: 'superni',
    what,
    exit: 2,
    culprit,
    setup: (dir) => {
      const ni = superniFolder(dir);
      change(ni);
      return trainArgs(dir, modelFolder(dir), `superni:${ni.dir}`, ['--split-dir', ni.splits]);
    },
  };
}

export const superniCases: BadInputCase[] = [
  task('not-json', 'task file is not JSON', () => '{"Definition": ["Answer."], "Instances": [', []),
  task('empty-file', 'task file is empty', () => '', []),
  task('binary', 'task file is binary garbage', () => '\u0000\u00ff\u00fe\u001b[31m', []),
  task('array', 'task file is a JSON array', () => '[]', []),
  task('truncated', 'task file cut in half', () => { const s = JSON.stringify(readTask()); return s.slice(0, s.length >> 1); }, []),
  task('definition-missing', 'no Definition', edited((t) => { delete t.Definition; }), ['Definition']),
  task('definition-number', 'Definition is a number', edited((t) => { t.Definition = 42; }), ['Definition']),
  task('instances-missing', 'no Instances', edited((t) => { delete (t as Record<string, unknown>).Instances; }), ['Instances']),
  task('instances-string', 'Instances is a string', edited((t) => { (t as Record<string, unknown>).Instances = 'many'; }), ['Instances']),
  task('instances-empty', 'Instances is [] (an empty task)', edited((t) => { t.Instances = []; }), ['Instances']),
  task('instance-input-number', 'an instance whose input is a number', edited((t) => { t.Instances[0]!.input = 12; }), ['input']),
  task('instance-output-string', 'an instance whose output is a string, not a list', edited((t) => { t.Instances[0]!.output = 'Paris'; }), ['output']),
  task('instance-output-numbers', 'an instance whose output list holds numbers', edited((t) => { t.Instances[0]!.output = [1, 2]; }), ['output']),
  task('instance-id-missing', 'an instance without id', edited((t) => { delete t.Instances[0]!.id; }), [/\bid\b/]),
  task('instance-not-object', 'an instance that is a string', edited((t) => { (t.Instances as unknown[])[0] = 'Paris'; }), ['Instances']),
  {
    id: 'superni/data-file-missing',
    category: 'superni',
    what: '--data names a task file that does not exist',
    exit: 2,
    culprit: ['nope.json'],
    setup: (dir) => trainArgs(dir, modelFolder(dir), path.join(dir, 'nope.json')),
  },
  folder('folder-empty', 'superni:<dir> with no task files', (ni) => { rmSync(ni.tasks, { recursive: true }); mkdirSync(ni.tasks); }, [/tasks/]),
  folder('split-names-missing-task', 'train_tasks.txt names a task that is not in the folder', (ni) => {
    writeFileSync(path.join(ni.splits, 'train_tasks.txt'), `${TASK}\ntask9999_no_such_task\n`);
  }, ['train_tasks.txt', 'task9999_no_such_task']),
  folder('split-list-empty', 'train_tasks.txt is empty', (ni) => writeFileSync(path.join(ni.splits, 'train_tasks.txt'), ''), ['train_tasks.txt']),
  folder('split-list-binary', 'train_tasks.txt is binary garbage', (ni) => writeFileSync(path.join(ni.splits, 'train_tasks.txt'), Buffer.from([0, 0xff, 0x0a, 0x1b])), ['train_tasks.txt']),
  folder('split-dir-missing', '--split-dir names a folder that does not exist', (ni) => rmSync(ni.splits, { recursive: true }), ['splits']),
  folder('one-task-garbage', 'one of the folder\'s task files is not JSON', (ni) => {
    const file = path.join(ni.tasks, `${TASK}.json`);
    writeFileSync(file, readFileSync(file).subarray(0, 100));
  }, [FILE]),
  {
    id: 'superni/data-folder-is-file',
    category: 'superni',
    what: 'superni:<path> names a file, not a folder',
    exit: 2,
    culprit: [FILE],
    setup: (dir) => trainArgs(dir, modelFolder(dir), `superni:${taskFile(dir)}`),
  },
];
