// Learning-rate schedules as pure functions of the 0-based optimizer step, matching transformers'
// get_linear_schedule_with_warmup / get_constant_schedule_with_warmup / get_cosine_schedule_with_warmup:
// the update at step s uses baseLr * lambda(s).

export type ScheduleKind = 'linear' | 'constant' | 'cosine';
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['linear', 'constant', 'cosine'];

export interface ScheduleOptions {
  kind: ScheduleKind;
  baseLr: number;
  totalSteps: number;
  warmupSteps: number;
}

/** Warmup steps for a ratio of the total, rounded up as transformers' TrainingArguments.get_warmup_steps does. */
export function warmupStepsFor(totalSteps: number, warmupRatio: number): number {
  if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw new Error(`warmup ratio must be in [0, 1], got ${warmupRatio}`);
  return Math.ceil(totalSteps * warmupRatio);
}

/** The multiplier lambda(step) of the base learning rate. */
export function lrMultiplier(step: number, o: Omit<ScheduleOptions, 'baseLr'>): number {
  const { kind, totalSteps, warmupSteps } = o;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  switch (kind) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    case 'cosine': {
      const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}

/** The learning rate of the update at 0-based `step`. */
export function learningRate(step: number, o: ScheduleOptions): number {
  return o.baseLr * lrMultiplier(step, o);
}

/** A schedule bound to its options. */
export function makeSchedule(o: ScheduleOptions): (step: number) => number {
  if (!SCHEDULE_KINDS.includes(o.kind)) throw new Error(`unknown schedule "${o.kind}" (expected ${SCHEDULE_KINDS.join(', ')})`);
  if (!(o.baseLr > 0) || !Number.isFinite(o.baseLr)) throw new Error(`learning rate must be a positive number, got ${o.baseLr}`);
  if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) throw new Error(`total steps must be a positive integer, got ${o.totalSteps}`);
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new Error(`warmup steps must be a non-negative integer, got ${o.warmupSteps}`);
  return (step) => learningRate(step, o);
}
