// Damaged run folders under `train --resume` (a copy of a finished run whose only checkpoint is step-2).
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { copySeedRun } from './seed-run.js';

const STATE = 'checkpoints/step-2/trainer_state.safetensors';

function resume(id: string, what: string, damage: (run: string, dir: string) => void, culprit: Array<string | RegExp>): BadInputCase {
  return {
    id: `resume/${id}`,
    category: 'resume',
    what,
    exit: 2,
    culprit,
    setup: async (dir) => {
      const run = await copySeedRun(dir);
      damage(run, dir);
      return ['train', '--resume', run, '--threads', '1', '--quiet'];
    },
  };
}

function editJson(file: string, change: (o: Record<string, unknown>) => void): void {
  const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(o);
  writeFileSync(file, JSON.stringify(o, null, 1));
}

const options = (o: Record<string, unknown>) => o.options as Record<string, unknown>;

export const resumeCases: BadInputCase[] = [
  resume('run-config-garbage', 'run_config.json is binary garbage', (r) => writeFileSync(path.join(r, 'run_config.json'), Buffer.from([0, 0xff, 0x7b, 0x1b, 0x5b])), ['run_config.json']),
  resume('run-config-truncated', 'run_config.json cut in half', (r) => truncateSync(path.join(r, 'run_config.json'), 500), ['run_config.json']),
  resume('run-config-empty', 'run_config.json is empty', (r) => writeFileSync(path.join(r, 'run_config.json'), ''), ['run_config.json']),
  resume('run-config-missing', 'no run_config.json', (r) => rmSync(path.join(r, 'run_config.json')), ['run_config.json']),
  resume('run-config-version', 'run_config.json version 99', (r) => editJson(path.join(r, 'run_config.json'), (o) => { o.version = 99; }), ['run_config.json', 'version']),
  resume('run-config-options-missing', 'run_config.json without options', (r) => editJson(path.join(r, 'run_config.json'), (o) => { delete o.options; }), ['run_config.json', 'options']),
  resume('run-config-lr-string', 'run_config.json options.lr is "fast"', (r) => editJson(path.join(r, 'run_config.json'), (o) => { options(o).lr = 'fast'; }), ['run_config.json', /\blr\b/]),
  resume('recorded-model-gone', 'the model folder run_config.json names is gone', (r, dir) => editJson(path.join(r, 'run_config.json'), (o) => { options(o).model = path.join(dir, 'gone-model'); }), ['gone-model']),
  resume('recorded-data-gone', 'the data file run_config.json names is gone', (r, dir) => editJson(path.join(r, 'run_config.json'), (o) => { options(o).data = path.join(dir, 'gone-task.json'); }), ['gone-task.json']),
  resume('trainer-state-truncated', 'the only checkpoint\'s trainer_state.safetensors cut in half', (r) => truncateSync(path.join(r, STATE), Math.floor(statSync(path.join(r, STATE)).size / 2)), ['trainer_state.safetensors']),
  resume('trainer-state-empty', 'the only checkpoint\'s trainer_state.safetensors is empty', (r) => writeFileSync(path.join(r, STATE), ''), ['trainer_state.safetensors']),
  resume('trainer-state-missing', 'the only checkpoint has no trainer_state.safetensors', (r) => rmSync(path.join(r, STATE)), ['trainer_state.safetensors']),
  resume('checkpoint-json-garbage', 'checkpoint.json is not JSON', (r) => writeFileSync(path.join(r, 'checkpoints/step-2/checkpoint.json'), '{"step": 2,'), ['checkpoint.json']),
  resume('checkpoint-json-step-string', 'checkpoint.json step is "two"', (r) => editJson(path.join(r, 'checkpoints/step-2/checkpoint.json'), (o) => { o.step = 'two'; }), ['checkpoint.json', 'step']),
  resume('checkpoint-metrics-garbage', 'the checkpoint\'s metrics.jsonl is binary garbage', (r) => writeFileSync(path.join(r, 'checkpoints/step-2/metrics.jsonl'), Buffer.from([0, 0xff, 0x0a, 0x1b])), ['metrics.jsonl']),
  resume('checkpoints-missing', 'no checkpoints folder', (r) => rmSync(path.join(r, 'checkpoints'), { recursive: true }), ['checkpoints']),
  resume('checkpoints-empty', 'an empty checkpoints folder', (r) => { rmSync(path.join(r, 'checkpoints'), { recursive: true }); mkdirSync(path.join(r, 'checkpoints')); }, ['checkpoints']),
  {
    id: 'resume/folder-is-file',
    category: 'resume',
    what: '--resume names a file',
    exit: 2,
    culprit: ['run_config.json'],
    setup: async (dir) => ['train', '--resume', path.join(await copySeedRun(dir), 'run_config.json'), '--threads', '1', '--quiet'],
  },
];
