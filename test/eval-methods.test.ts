// `peft-native eval` (runEvaluation) on adapters of every method: each is trained briefly on builtin:tiny,
// saved by `train`, and evaluated through the one general loader (loadAdapter).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { train } from '../src/train/loop.js';
import type { TrainOptions } from '../src/train/options.js';
import { runEvaluation } from '../src/eval/run-eval.js';
import type { TrainMethod } from '../src/peft/methods.js';
import { addonBuilt } from './helpers/addon.js';

const built = addonBuilt(import.meta.filename);
const sink = { write: () => true, isTTY: false };
const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

async function trainAdapter(method: TrainMethod, options: Partial<TrainOptions>): Promise<string> {
  const out = path.join(tmp('pn-eval-method-'), 'run');
  await train({ method, steps: 4, batchSize: 4, instancesPerTask: 4, threads: 2, warmupRatio: 0, out, stdout: sink, ...options });
  return out;
}

/** One instance per builtin task, 2 new tokens, with the reference loss (which shows the adapter is applied). */
const evaluate = (adapter?: string) =>
  runEvaluation({ model: 'builtin:tiny', adapter, split: 'test', maxInstances: 1, maxNewTokens: 2, threads: 2, loss: true, quiet: true, out: tmp('pn-eval-out-') });

const CASES: Array<{ method: TrainMethod; options: Partial<TrainOptions> }> = [
  { method: 'lora', options: { rank: 4, lr: 1e-2 } },
  { method: 'dora', options: { rank: 4, targetModules: 'q_proj,v_proj', lr: 1e-2 } },
  { method: 'ia3', options: { lr: 5e-2 } },
  { method: 'adapter', options: { adapterSize: 8, lr: 1e-2 } },
  { method: 'bitfit', options: { lr: 5e-2 } },
  { method: 'prompt', options: { virtualTokens: 4, lr: 5e-2 } },
  { method: 'prefix', options: { virtualTokens: 4, prefixHiddenSize: 16, lr: 1e-2 } },
  // A combination: one folder per method under the run's adapter folder, loaded by the same loader.
  { method: 'lora+adapter', options: { rank: 4, adapterSize: 8, lr: 1e-2 } },
];

describe.skipIf(!built)('eval with an adapter of each method', () => {
  let baseLoss: number;
  beforeAll(async () => {
    baseLoss = (await evaluate()).loss!.meanLoss;
  }, 120_000);

  it.each(CASES)('$method: trained, loaded by eval, evaluated', async ({ method, options }) => {
    const dir = await trainAdapter(method, options);
    const result = await evaluate(dir);
    expect(result.instances).toBe(10);
    const metrics = JSON.parse(readFileSync(result.files!.metrics, 'utf8'));
    expect(metrics.adapter).toBe(path.resolve(dir));
    expect(readFileSync(result.files!.predictions, 'utf8').trim().split('\n')).toHaveLength(10);
    // The base model is the same (same seed); only the loaded adapter can move the reference loss.
    expect(Number.isFinite(result.loss!.meanLoss)).toBe(true);
    expect(result.loss!.meanLoss).not.toBe(baseLoss);
  }, 180_000);
});
