// pass@k as human-eval computes it (open-instruct eval/codex_humaneval/evaluation.py
// @ 4db31ff5918114ab4854691484399b184af43700): the unbiased estimator of the Codex paper, 1 - C(n-c, k) / C(n, k)
// for n samples of which c passed, computed as 1 - prod(1 - k / arange(n-c+1, n+1)) in float64 (L13-36), and its
// mean over problems, reported only for the k that every problem has at least k samples for (L81-93). np.prod
// multiplies in order and np.mean sums pairwise (numpy's pairwise_sum), so both are reproduced here to the bit.
// open-instruct orders the problems as their last test finishes (as_completed), which can change the mean's last
// bit from run to run; here the order is the problems' first appearance in the results.

/** The estimator for one problem: n samples, c of them correct. */
export function estimatePassAtK(n: number, c: number, k: number): number {
  for (const [name, v] of [['n', n], ['c', c], ['k', k]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`pass@k: ${name} must be an integer >= 0, got ${v}`);
  }
  if (c > n) throw new Error(`pass@k: ${c} correct of ${n} samples`);
  if (n - c < k) return 1.0;
  let prod = 1.0;
  for (let i = n - c + 1; i <= n; i++) prod *= 1.0 - k / i;
  return 1.0 - prod;
}

/** numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src pairwise_sum) of float64 values. */
function pairwiseSum(values: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += values[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = values.slice(start, start + 8);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += values[start + i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += values[start + i]!;
    return res;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, n - half);
}

/** np.mean of a float64 array (NaN for an empty one). */
export function numpyMean(values: readonly number[]): number {
  return pairwiseSum(values, 0, values.length) / values.length;
}

/** One executed sample: its problem and whether it passed. */
export interface SampleOutcome {
  taskId: string;
  passed: boolean;
}

/**
 * { "pass@<k>": mean estimator over problems } for each k in `ks` (default [1], open-instruct's --eval_pass_at_ks)
 * that no problem has fewer than k samples for.
 */
export function metrics(outcomes: readonly SampleOutcome[], ks: readonly number[] = [1]): Record<string, number> {
  const byTask = new Map<string, { total: number; correct: number }>();
  for (const o of outcomes) {
    const t = byTask.get(o.taskId) ?? { total: 0, correct: 0 };
    t.total++;
    if (o.passed) t.correct++;
    byTask.set(o.taskId, t);
  }
  const tasks = [...byTask.values()];
  const out: Record<string, number> = {};
  for (const k of ks) {
    if (!Number.isSafeInteger(k) || k < 1) throw new Error(`pass@k: k must be an integer >= 1, got ${k}`);
    if (tasks.every((t) => t.total >= k)) out[`pass@${k}`] = numpyMean(tasks.map((t) => estimatePassAtK(t.total, t.correct, k)));
  }
  return out;
}
