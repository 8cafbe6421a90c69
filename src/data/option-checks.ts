// Checks of TrainingDataOptions shared by the loaders (src/data/sources.ts and the per-format loaders).
import type { TrainingDataOptions } from './sources.js';

export function nonNegativeInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

export function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Options that only SuperNI-format data (builtin, superni:<dir>, a task file) has a use for. */
const SUPERNI_ONLY = ['devTasks', 'trainTasks', 'trainCategories', 'instruction', 'posExamples', 'negExamples', 'addExplanation', 'addTaskName', 'instancesPerTask', 'evalInstances', 'maxSourceLength', 'maxTargetLength'] as const;

/** Refuses SuperNI-only options for another source (`spec` names it, e.g. "tulu:<file>"). */
export function rejectSuperNIOptions(options: TrainingDataOptions, spec: string): void {
  for (const key of SUPERNI_ONLY) {
    if (options[key] !== undefined) throw new Error(`${key} applies to SuperNI sources, not to ${spec}`);
  }
}
