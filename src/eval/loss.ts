// Loss / perplexity of a model on prepared examples (any TrainingExample list: held-out SuperNI, TÜLU, ...):
// the mean cross-entropy over every target token of the set (not a mean of per-batch means), and exp of it.
import { collate } from '../data/batching.js';
import { collateSeq2Seq } from '../data/seq2seq.js';
import type { TrainingExample } from '../data/types.js';
import type { NativeModel } from '../native/binding.js';

export interface LossEvaluation {
  /** Sum of token losses / target tokens. */
  meanLoss: number;
  /** exp(meanLoss). */
  perplexity: number;
  targetTokens: number;
  examples: number;
}

export async function evaluateLoss(
  model: NativeModel,
  examples: readonly TrainingExample[],
  options: { batchSize?: number; padId: number; seq2seq?: boolean; onProgress?: (done: number, total: number) => void },
): Promise<LossEvaluation> {
  const batchSize = options.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (examples.length === 0) throw new Error('evaluateLoss: no examples');
  let lossSum = 0;
  let targetTokens = 0;
  for (let start = 0; start < examples.length; start += batchSize) {
    const slice = examples.slice(start, start + batchSize);
    const batch = options.seq2seq ? collateSeq2Seq(slice, options.padId) : collate(slice, options.padId);
    const out = await model.forward(batch);
    lossSum += out.lossSum;
    targetTokens += out.targetTokens;
    options.onProgress?.(Math.min(start + batchSize, examples.length), examples.length);
  }
  if (targetTokens === 0) throw new Error('evaluateLoss: the examples have no target tokens');
  const meanLoss = lossSum / targetTokens;
  return { meanLoss, perplexity: Math.exp(meanLoss), targetTokens, examples: examples.length };
}
