// The cheapest command lines that reach each kind of input: one step, one thread, one instance, two new tokens.
import path from 'node:path';

const TRAIN_CHEAP = ['--steps', '1', '--batch-size', '1', '--max-length', '128', '--threads', '1', '--quiet', '--no-tensorboard', '--no-cache'];

export function trainArgs(dir: string, model: string, data: string, extra: string[] = []): string[] {
  return ['train', '--model', model, '--data', data, ...TRAIN_CHEAP, '--out', path.join(dir, 'run'), ...extra];
}

export function evalArgs(dir: string, model: string, adapter: string | undefined, data: string, extra: string[] = []): string[] {
  return [
    'eval', '--model', model, ...(adapter !== undefined ? ['--adapter', adapter] : []), '--data', data,
    '--max-instances', '1', '--max-new-tokens', '2', '--batch-size', '1', '--threads', '1', '--quiet', '--out', path.join(dir, 'eval'), ...extra,
  ];
}

export function mergeArgs(dir: string, model: string, adapter: string, extra: string[] = []): string[] {
  return ['merge', '--model', model, '--adapter', adapter, '--out', path.join(dir, 'merged'), ...extra];
}

export function inspectArgs(model: string, data: string, extra: string[] = []): string[] {
  return ['data', 'inspect', '--model', model, '--data', data, '--max-length', '128', '-n', '1', '--no-cache', ...extra];
}
