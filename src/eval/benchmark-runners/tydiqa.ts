// TyDiQA GoldP as open-instruct's eval/tydiqa/run_eval.py runs it: one demonstration per language (--shots), every
// context cut to 512 tokens of the model's tokenizer, greedy generation of at most 50 new tokens that stops,
// without the chat format, at "\n" (the last token of its encoding; the text is cut at the string too), and
// SQuAD exact match / F1 per language and averaged.
import type { TextTokenizer } from '../../tokenizer/types.js';
import { tydiqa } from '../benchmarks/index.js';
import { generateUntilStop, truncationNotes, wrapOf } from './generation.js';
import type { BenchmarkRunner } from './types.js';

const MAX_NEW_TOKENS = 50;
/** open-instruct's --max_context_length. */
const MAX_CONTEXT_TOKENS = 512;

/**
 * Each context cut as open-instruct cuts it: tokenizer.decode(tokenizer.encode(context)[:512]) when the encoding
 * is longer. HF's encode adds the BOS of Llama-style tokenizers, so it counts toward the 512 here too; open-instruct's
 * decode then puts it back into the passage as text ("<s>"), an artifact left out here.
 */
async function contextCutter(tokenizer: TextTokenizer, contexts: readonly string[]): Promise<(context: string) => string> {
  const unique = [...new Set(contexts)];
  const bos = (tokenizer as { addBos?: unknown }).addBos === true ? 1 : 0;
  const encoded = unique.length === 0 ? [] : await tokenizer.encodeBatch(unique);
  const cut = new Map<string, string>();
  unique.forEach((context, i) => {
    const ids = encoded[i]!;
    if (bos + ids.length > MAX_CONTEXT_TOKENS) cut.set(context, tokenizer.decode(ids.slice(0, MAX_CONTEXT_TOKENS - bos), { skipSpecialTokens: true }));
  });
  return (context) => cut.get(context) ?? context;
}

export const tydiqaRunner: BenchmarkRunner = {
  settings: ['shots', 'batchSize', 'maxNewTokens'],
  maxNewTokens: MAX_NEW_TOKENS,
  async run(model, tokenizer, o) {
    const shots = o.shots ?? 1;
    const maxNewTokens = o.maxNewTokens ?? MAX_NEW_TOKENS;
    const data = await tydiqa.load(o.dir, { nShot: shots });
    const { instances, shots: demonstrations } = tydiqa.select(data.dev, data.train, { nShot: shots, ...(o.maxInstances !== undefined ? { maxNumExamplesPerLang: o.maxInstances } : {}) });
    const wrap = wrapOf(o.chatFormat, tokenizer);
    const truncateContext = await contextCutter(tokenizer, [...instances, ...[...demonstrations.values()].flat()].map((e) => e.context));
    const prompts = tydiqa.buildPrompts(instances, { shots: demonstrations, truncateContext, ...(wrap ? { wrap } : {}) });
    const stop = wrap ? undefined : '\n';
    const { generations, outputs } = await generateUntilStop(model, tokenizer, prompts, {
      stop,
      maxNewTokens,
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const answers = outputs.map((t) => tydiqa.cleanGeneration(t));
    const predictions = instances.map((e, i) => ({ id: e.id, lang: e.lang, question: e.question, answers: e.answers, output: outputs[i], prediction: answers[i], ...(generations[i]!.promptTruncated ? { promptTruncated: true } : {}) }));
    return { metrics: tydiqa.metrics(instances, answers), predictions, settings: { shots, maxNewTokens, maxContextTokens: MAX_CONTEXT_TOKENS }, notes: truncationNotes(generations) };
  },
};
