// Attaches a benchmarked method to a freshly loaded model with the same call `train` uses (applyMethod).
import type { NativeModel } from '../native/binding.js';
import { applyMethod, methodSpec } from '../peft/methods.js';
import { BenchMethodError, type BenchMethod } from './method-spec.js';

export function applyBenchMethod(model: NativeModel, m: BenchMethod, seed: number): void {
  const targeted = applyMethod(model, m.settings, seed);
  // A method that adapts existing modules but matched none would benchmark the frozen model.
  if (methodSpec(m.name).capabilities.adaptsModules && targeted.length === 0) throw new BenchMethodError(`--methods entry "${m.label}": the method's targets match no module of the model`);
}
