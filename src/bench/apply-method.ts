// Attaches a benchmarked method to a freshly loaded model with the same call `train` uses (applyMethod).
import type { NativeModel, NativeModelConfig } from '../native/binding.js';
import { applyMethod } from '../peft/methods.js';
import { BenchMethodError, type BenchMethod } from './method-spec.js';

/** Methods that adapt existing modules: matching none would benchmark the frozen model. */
const MODULE_METHODS = new Set(['lora', 'dora', 'ia3', 'adapter', 'bitfit']);

export function applyBenchMethod(model: NativeModel, m: BenchMethod, config: NativeModelConfig, seed: number): void {
  const targeted = applyMethod(model, m.settings, config, seed);
  if (MODULE_METHODS.has(m.name) && targeted.length === 0) throw new BenchMethodError(`--methods entry "${m.label}": the method's targets match no module of the model`);
}
