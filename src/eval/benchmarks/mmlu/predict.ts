// The answer to an MMLU prompt as open-instruct picks it (eval/mmlu/run_eval.py @0ddab2b L83-97 with eval/utils.py
// get_next_word_predictions): the next-token distribution after the prompt, restricted to the tokens of " A",
// " B", " C", " D" (the last token of each, tokenized without special tokens), and the first of the highest.
// The scorer is asked for those four continuations; the native side returns, for each, the log-probability of
// its last token as the token right after the prompt (equal, when each is one token, to its log-likelihood).
import { argmaxFirst, scoreContinuations, type ContinuationScorer } from '../common/scoring.js';
import { MMLU_CHOICES } from './load.js';

export const MMLU_CONTINUATIONS: readonly string[] = MMLU_CHOICES.map((c) => ` ${c}`);

export interface MmluPrediction {
  /** "A".."D". */
  answer: string;
  /** exp(log-likelihood) of each letter: the probabilities open-instruct writes to <subject>.csv. */
  probs: number[];
}

export async function predict(prompts: readonly string[], scorer: ContinuationScorer): Promise<MmluPrediction[]> {
  const out: MmluPrediction[] = [];
  for (const prompt of prompts) {
    const scores = await scoreContinuations(scorer, prompt, MMLU_CONTINUATIONS);
    out.push({ answer: MMLU_CHOICES[argmaxFirst(scores)]!, probs: scores.map(Math.exp) });
  }
  return out;
}
