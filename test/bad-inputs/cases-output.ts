// Unusable output folders (--out) for train, eval and merge; what is already there must stay as it was.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { evalArgs, mergeArgs, trainArgs } from './commands.js';
import { loraFolder, modelFolder, taskFile } from './sources.js';

type Command = 'train' | 'eval' | 'merge';

/** `<command>` on good inputs with `--out` replaced by what `makeOut(dir)` returns (made there). */
function out(id: string, what: string, makeOut: (dir: string) => string, culprit: Array<string | RegExp>, commands: Command[] = ['train', 'eval', 'merge']): BadInputCase[] {
  return commands.map((command) => ({
    id: `output/${command}-${id}`,
    category: 'output' as const,
    what,
    exit: 2 as const,
    culprit: [/--out|output/, ...culprit],
    setup: (dir: string) => {
      const model = modelFolder(dir);
      const target = makeOut(dir);
      const args = command === 'train' ? trainArgs(dir, model, taskFile(dir)) : command === 'eval' ? evalArgs(dir, model, loraFolder(dir, model), taskFile(dir)) : mergeArgs(dir, model, loraFolder(dir, model));
      args[args.indexOf('--out') + 1] = target;
      return args;
    },
  }));
}

export const outputCases: BadInputCase[] = [
  ...out('is-file', '--out names an existing file', (dir) => {
    const f = path.join(dir, 'out-file');
    writeFileSync(f, 'precious\n');
    return f;
  }, ['out-file']),
  ...out('under-file', '--out lies below a file (ENOTDIR)', (dir) => {
    writeFileSync(path.join(dir, 'blocker'), 'precious\n');
    return path.join(dir, 'blocker', 'out');
  }, ['blocker']),
  ...out('name-too-long', '--out with a 300-character name (ENAMETOOLONG)', (dir) => path.join(dir, 'x'.repeat(300)), ['xxxxxxxx']),
  ...out('read-only-fs', '--out on a read-only file system (/proc: unwritable also for root)', () => '/proc/peft-native-bad-out', ['/proc/peft-native-bad-out']),
  ...out('not-empty', '--out is a folder holding someone\'s files (no --overwrite)', (dir) => {
    const o = path.join(dir, 'full');
    mkdirSync(o);
    writeFileSync(path.join(o, 'notes.txt'), 'precious\n');
    writeFileSync(path.join(o, 'predictions.jsonl'), '{"id": "mine"}\n');
    writeFileSync(path.join(o, 'config.json'), '{"mine": true}\n');
    return o;
  }, ['full']),
];
