// Divergence detection for training runs: a non-finite loss or gradient norm, or a loss spike beyond
// `factor` x the median of the last `window` losses. A sweep counts diverged runs as a result, so the
// detector only reports; the loop decides (stop, or flag and continue with --on-divergence continue).

export type DivergencePolicy = 'stop' | 'continue';
export const DIVERGENCE_POLICIES: readonly DivergencePolicy[] = ['stop', 'continue'];

export interface DivergenceOptions {
  /** A loss above factor x the running median is a spike (> 1). */
  factor: number;
  /** Losses in the running median. */
  window: number;
  /** Losses needed before the spike rule applies (default 1: a run that explodes on its second step is caught). */
  minHistory?: number;
}

export const DEFAULT_DIVERGENCE: Required<Omit<DivergenceOptions, 'minHistory'>> = { factor: 4, window: 25 };

export type DivergenceReason = 'non-finite loss' | 'non-finite gradient norm' | 'loss spike';

export interface DivergenceEvent {
  reason: DivergenceReason;
  /** 1-based optimizer step. */
  step: number;
  loss: number;
  gradNorm: number;
  /** The running median the loss was compared with (spikes only). */
  median: number | null;
  /** Human-readable one-liner. */
  message: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export class DivergenceDetector {
  private readonly recent: number[] = [];
  private readonly minHistory: number;

  constructor(private readonly options: DivergenceOptions = DEFAULT_DIVERGENCE) {
    if (!(options.factor > 1) || !Number.isFinite(options.factor)) throw new Error(`divergence factor must be a number > 1, got ${options.factor}`);
    if (!Number.isInteger(options.window) || options.window < 1) throw new Error(`divergence window must be an integer >= 1, got ${options.window}`);
    this.minHistory = options.minHistory ?? 1;
  }

  /** Checks one step; finite, non-spiking losses join the running window. Returns the divergence, or null. */
  check(step: number, loss: number, gradNorm: number): DivergenceEvent | null {
    const event = (reason: DivergenceReason, med: number | null, message: string): DivergenceEvent => ({ reason, step, loss, gradNorm, median: med, message });
    if (!Number.isFinite(loss)) return event('non-finite loss', null, `the loss became ${loss} at step ${step}`);
    if (!Number.isFinite(gradNorm)) return event('non-finite gradient norm', null, `the gradient norm became ${gradNorm} at step ${step} (loss ${loss})`);
    if (this.recent.length >= this.minHistory) {
      const med = median(this.recent);
      if (loss > this.options.factor * med) {
        return event('loss spike', med, `the loss ${loss.toFixed(4)} at step ${step} is more than ${this.options.factor} x the median ${med.toFixed(4)} of the last ${this.recent.length} steps`);
      }
    }
    this.recent.push(loss);
    if (this.recent.length > this.options.window) this.recent.shift();
    return null;
  }

  /** The window's losses (oldest first), for a checkpoint. */
  history(): number[] {
    return [...this.recent];
  }

  /** Restores the window from a checkpoint. */
  restore(history: number[]): void {
    this.recent.length = 0;
    this.recent.push(...history.slice(-this.options.window));
  }
}
