// Log-likelihood scoring of text continuations over a native model (native scoreContinuations): the
// ContinuationScorer that multiple-choice benchmarks take (src/eval/benchmarks/common/scoring.ts). Two ways to
// cut text into a prompt and the tokens scored, as open-instruct's evaluations do:
//   next-token    (MMLU, eval/utils.py get_next_word_predictions): the last token of each continuation, tokenized
//                 alone, scored as the token right after the prompt;
//   continuation  (TruthfulQA, eval/utils.py score_completions): prompt + continuation tokenized together, the
//                 tokens past the prompt's own token count summed.
// Continuations that share their prompt tokens go to the native side as one request (one prompt pass, the
// candidates batched against its KV cache).
import { native, type NativeModel, type NativeScoreRequest } from '../native/binding.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import type { ContinuationScorer } from './benchmarks/common/scoring.js';

export type ScoringMode = 'next-token' | 'continuation';

export interface ScorerOptions {
  mode: ScoringMode;
  /** Start the prompt with BOS; default: what the tokenizer's config says. */
  addBos?: boolean;
}

export function nativeScorer(model: NativeModel, tokenizer: TextTokenizer, options: ScorerOptions): ContinuationScorer {
  const addBos = options.addBos ?? (tokenizer as { addBos?: unknown }).addBos === true;
  if (addBos && tokenizer.bosId === null) throw new Error(`addBos is set but the tokenizer (${tokenizer.source}) has no BOS token`);
  const withBos = (ids: number[]) => (addBos ? [tokenizer.bosId as number, ...ids] : ids);
  return async (prompt, continuations) => {
    if (continuations.length === 0) return [];
    const promptIds = withBos(await tokenizer.encode(prompt));
    if (promptIds.length === 0) throw new Error('log-likelihood scoring needs a prompt of at least one token');
    // Each continuation as (prompt tokens, scored tokens).
    const pieces = await Promise.all(
      continuations.map(async (text, i): Promise<{ prompt: number[]; scored: number[] }> => {
        if (options.mode === 'next-token') {
          const ids = await tokenizer.encode(text);
          if (ids.length === 0) throw new Error(`continuation ${i} ("${text}") has no tokens`);
          return { prompt: promptIds, scored: [ids[ids.length - 1]!] };
        }
        const full = withBos(await tokenizer.encode(prompt + text));
        if (full.length <= promptIds.length) throw new Error(`continuation ${i} ("${text}") adds no tokens to the prompt`);
        return { prompt: full.slice(0, promptIds.length), scored: full.slice(promptIds.length) };
      }),
    );
    const groups = new Map<string, { request: NativeScoreRequest; members: number[] }>();
    pieces.forEach((p, i) => {
      const key = p.prompt.join(',');
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { request: { prompt: Int32Array.from(p.prompt), candidates: [] }, members: [] }));
      group.request.candidates.push(Int32Array.from(p.scored));
      group.members.push(i);
    });
    const all = [...groups.values()];
    const results = await native().scoreContinuations(model, all.map((g) => g.request));
    const scores = new Array<number>(continuations.length);
    all.forEach((g, r) => g.members.forEach((i, c) => (scores[i] = results[r]![c]!.logProb)));
    return scores;
  };
}
