// A sweep folder's plan, sweep.json: the spec and its expanded runs, written when the sweep starts. A restarted
// sweep takes its runs from there (so `peft-native sweep --out <dir>` alone continues), and refuses a spec whose
// runs differ from the recorded ones rather than mixing two experiments in one folder.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomically } from '../util/atomic-file.js';
import { readJsonFile } from './run-folder.js';
import { SweepSpecError, type PlannedRun, type SweepSpec } from './spec.js';

export const SWEEP_FILE = 'sweep.json';

export interface SweepPlan {
  format: 1;
  spec: SweepSpec;
  runs: PlannedRun[];
  createdAt: string;
}

export function readSweepPlan(dir: string): SweepPlan | null {
  const file = path.join(dir, SWEEP_FILE);
  if (!existsSync(file)) return null;
  const plan = readJsonFile<SweepPlan>(file);
  if (plan === null || plan.format !== 1 || !Array.isArray(plan.runs) || typeof plan.spec !== 'object') throw new SweepSpecError(`${file}: not a sweep plan written by peft-native sweep`);
  return plan;
}

/** The plan to run in `dir`: the recorded one (which a given spec must match), or the given one, recorded now. */
export async function openSweepPlan(dir: string, given: { spec: SweepSpec; runs: PlannedRun[] } | null): Promise<SweepPlan> {
  const recorded = readSweepPlan(dir);
  if (recorded) {
    if (given) {
      const ids = (runs: PlannedRun[]) => runs.map((r) => r.id).sort().join('\n');
      if (ids(given.runs) !== ids(recorded.runs)) {
        throw new SweepSpecError(`${path.join(dir, SWEEP_FILE)}: this folder holds another sweep ("${recorded.spec.name}", ${recorded.runs.length} runs); continue it with --out ${dir} alone, or choose another --out`);
      }
    }
    return recorded;
  }
  if (!given) throw new SweepSpecError(`--out ${dir}: no ${SWEEP_FILE} there; give a spec file or --preset to start a sweep`);
  const plan: SweepPlan = { format: 1, spec: given.spec, runs: given.runs, createdAt: new Date().toISOString() };
  await writeJsonAtomically(path.join(dir, SWEEP_FILE), plan);
  return plan;
}
