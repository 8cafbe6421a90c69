// Benchmark batches from the data a run trains on (`bench --data <spec>`): the training pipeline's own encoding
// and collation (examples padded per batch, seeded order), as many batches as the benchmark steps, cycling
// through the epochs when the data has fewer. What a step costs then depends on the data's real lengths and on
// how much of each row is trained.
import type { NativeBatch, NativeModelConfig } from '../native/binding.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { isEncoderDecoder } from '../models/config.js';
import { toNativeBatch } from '../train/updates.js';
import { seq2seqTargetLen } from './worker.js';

export interface DataBatches {
  batches: NativeBatch[];
  /** Mean real (unpadded) input tokens per batch. */
  tokensPerStep: number;
  /** Mean padded row length. */
  meanSeqLen: number;
  /** Trained tokens per real input token (a decoder's LM head runs on these only). */
  headShare: number;
}

export async function dataBatches(
  spec: string,
  tokenizer: TextTokenizer,
  config: NativeModelConfig,
  o: { batchSize: number; maxLength: number; count: number; seed: number },
): Promise<DataBatches> {
  const [{ prepareDataset }, { BatchSource }] = await Promise.all([import('../data/dataset.js'), import('../data/batch-source.js')]);
  const seq2seq = isEncoderDecoder(config);
  const limits = seq2seq ? { maxSourceLength: o.maxLength, maxTargetLength: seq2seqTargetLen(o.maxLength) } : { maxLength: o.maxLength };
  const data = await prepareDataset(spec, tokenizer, { seed: o.seed, ...limits }, { dir: null });
  if (data.examples.length === 0) throw new Error(`the data ${spec} gave no examples within ${o.maxLength} tokens`);
  const source = new BatchSource(data.examples, { batchSize: o.batchSize, padId: tokenizer.padId, seed: o.seed, ...(seq2seq ? { seq2seq: true } : {}) });
  const batches: NativeBatch[] = [];
  for (let epoch = 0; batches.length < o.count; epoch++) {
    for (const b of source.batches(epoch)) {
      if (batches.length === o.count) break;
      batches.push(toNativeBatch(b));
    }
  }
  let real = 0;
  let trained = 0;
  let rowLength = 0;
  for (const b of batches) {
    real += b.attentionMask ? b.attentionMask.reduce((s, x) => s + x, 0) : b.batchSize * b.seqLen;
    trained += b.labels!.reduce((s, x) => s + (x === -100 ? 0 : 1), 0);
    rowLength += b.seqLen;
  }
  return { batches, tokensPerStep: real / batches.length, meanSeqLen: rowLength / batches.length, headShare: trained / real };
}
