// Summary statistics of step times: median and spread (p10/p90, min/max), robust to the odd slow step.

export interface TimeSummary {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  count: number;
}

/** Linear-interpolated quantile of sorted values (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarizeTimes(times: readonly number[]): TimeSummary {
  if (times.length === 0) throw new Error('no timed steps (steps must be >= 1)');
  const sorted = [...times].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    p10Ms: quantile(sorted, 0.1),
    p90Ms: quantile(sorted, 0.9),
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    count: sorted.length,
  };
}
