// Where a training run stands: steps done, the data position, token counts, losses, divergence, the best
// checkpoint and how long it has run. One object, so the loop, a checkpoint and the summary read the same
// numbers; a resumed run starts from its checkpoint's record.
import type { NativeStepResult } from '../native/binding.js';
import type { CheckpointRecord, DataPosition } from './checkpoints.js';
import { DivergenceDetector, type DivergenceEvent } from './divergence.js';
import type { StepMetrics } from './metrics.js';
import type { UpdateGroup } from './updates.js';

export interface BestCheckpoint {
  step: number;
  metric: string;
  value: number;
  dir: string;
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export class RunState {
  /** Optimizer steps done. */
  step: number;
  /** Epoch of the last finished step. */
  epoch: number;
  /** Where the next update group starts. */
  position: DataPosition;
  targetTokens: number;
  realTokens: number;
  readonly losses: number[];
  /** The first divergence, the steps flagged as diverged, and the last step before the first one. */
  divergence: DivergenceEvent | null;
  divergedSteps: number;
  lastGood: StepMetrics | null;
  stoppedAtDivergence = false;
  interrupted = false;
  lastCheckpointStep: number;
  best: BestCheckpoint | null = null;
  /** The step the run was resumed from, or null. */
  readonly resumedFrom: number | null;
  private readonly detector: DivergenceDetector;
  private readonly priorSec: number;
  private readonly start = performance.now();

  constructor(divergence: { factor: number; window: number }, from?: CheckpointRecord) {
    this.step = from?.step ?? 0;
    this.epoch = from?.epoch ?? 0;
    this.position = from?.position ?? { epoch: 0, batch: 0 };
    this.targetTokens = from?.targetTokens ?? 0;
    this.realTokens = from?.realTokens ?? 0;
    this.losses = from ? [...from.losses] : [];
    this.detector = new DivergenceDetector({ factor: divergence.factor, window: divergence.window });
    if (from) this.detector.restore(from.divergence.history);
    this.divergence = from?.divergence.first ?? null;
    this.divergedSteps = from?.divergence.divergedSteps ?? 0;
    this.lastGood = from?.divergence.lastGood ?? null;
    this.lastCheckpointStep = this.step;
    this.priorSec = from?.elapsedSec ?? 0;
    this.resumedFrom = from?.step ?? null;
  }

  /** Seconds of training, a resumed run's earlier ones included. */
  elapsedSec(): number {
    return this.priorSec + (performance.now() - this.start) / 1000;
  }

  /** Takes one finished update: returns its metrics line and the divergence it shows, if any. */
  recordStep(group: UpdateGroup, lr: number, result: NativeStepResult, stepSec: number): { metrics: StepMetrics; divergence: DivergenceEvent | null } {
    this.step++;
    this.epoch = group.epoch;
    this.position = group.next;
    const groupReal = group.batches.reduce((s, b) => s + b.realTokens, 0);
    this.targetTokens += result.targetTokens;
    this.realTokens += groupReal;
    this.losses.push(result.loss);
    const metrics: StepMetrics = {
      step: this.step,
      epoch: group.epoch,
      loss: result.loss,
      lr,
      gradNorm: result.gradNorm,
      targetTokens: result.targetTokens,
      tokensPerSec: stepSec > 0 ? groupReal / stepSec : 0,
      elapsedSec: this.elapsedSec(),
    };
    const event = this.detector.check(this.step, result.loss, result.gradNorm);
    if (event) {
      metrics.divergence = event.reason;
      this.divergedSteps++;
      this.divergence ??= event;
    } else if (this.divergence === null) {
      this.lastGood = metrics;
    }
    return { metrics, divergence: event };
  }

  /** The checkpoint record of this moment (the mean training loss since the previous checkpoint among its metrics). */
  checkpointRecord(totalSteps: number, extraMetrics: Record<string, number>): CheckpointRecord {
    const trainLoss = mean(this.losses.slice(this.lastCheckpointStep).filter((x) => Number.isFinite(x)));
    return {
      format: 1,
      step: this.step,
      totalSteps,
      position: this.position,
      epoch: this.epoch,
      targetTokens: this.targetTokens,
      realTokens: this.realTokens,
      elapsedSec: this.elapsedSec(),
      losses: this.losses,
      divergence: { history: this.detector.history(), first: this.divergence, divergedSteps: this.divergedSteps, lastGood: this.lastGood },
      metrics: { ...(trainLoss !== null ? { train_loss: trainLoss } : {}), ...extraMetrics },
      savedAt: new Date().toISOString(),
    };
  }
}
