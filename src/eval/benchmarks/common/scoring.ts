// The log-likelihood interface that multiple-choice benchmarks (MMLU, TruthfulQA MC) use, so the native model can
// be plugged in later: given a prompt and candidate continuations, the model's log-likelihood of each. What each
// benchmark needs the native side to compute is written where the benchmark calls it (mmlu/predict.ts,
// truthfulqa/prompts.ts).

/** Log-likelihoods of `continuations` after `prompt`, one number per continuation, in order. */
export type ContinuationScorer = (prompt: string, continuations: readonly string[]) => Promise<number[]>;

/** Calls the scorer and checks its answer: one finite-or--Infinity number per continuation. */
export async function scoreContinuations(scorer: ContinuationScorer, prompt: string, continuations: readonly string[]): Promise<number[]> {
  const scores = await scorer(prompt, continuations);
  if (!Array.isArray(scores) || scores.length !== continuations.length) {
    throw new Error(`the scorer returned ${Array.isArray(scores) ? scores.length : typeof scores} scores for ${continuations.length} continuations`);
  }
  scores.forEach((s, i) => {
    if (typeof s !== 'number' || Number.isNaN(s) || s === Number.POSITIVE_INFINITY) {
      throw new Error(`the scorer returned ${String(s)} for continuation ${i} ("${continuations[i]}"); log-likelihoods are finite or -Infinity`);
    }
  });
  return scores;
}

/** torch.argmax over a vector: the index of the first maximum. */
export function argmaxFirst(scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}
