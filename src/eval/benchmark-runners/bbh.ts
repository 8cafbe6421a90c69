// BIG-Bench Hard as open-instruct's eval/bbh/run_eval.py runs it: per task the three-shot chain-of-thought prompt
// (--no-cot: the demonstrations without their reasoning), greedy generation of at most 512 new tokens that stops,
// without the chat format, at "\n\n" (the last token of its encoding; the text is also cut at the string, as
// vLLM's stop=["\n\n"] cuts it), the answer after "the answer is", exact match per task and their average.
import { bbh } from '../benchmarks/index.js';
import { exactMatchPair } from '../benchmarks/common/exact-match.js';
import { generateUntilStop, truncationNotes, wrapOf } from './generation.js';
import type { BenchmarkRunner } from './types.js';

const MAX_NEW_TOKENS = 512;

export const bbhRunner: BenchmarkRunner = {
  settings: ['cot', 'batchSize', 'maxNewTokens'],
  maxNewTokens: MAX_NEW_TOKENS,
  async run(model, tokenizer, o) {
    const tasks = bbh.sample(await bbh.load(o.dir), o.maxInstances);
    const wrap = wrapOf(o.chatFormat, tokenizer);
    const cot = o.cot ?? true;
    const maxNewTokens = o.maxNewTokens ?? MAX_NEW_TOKENS;
    const stop = wrap ? undefined : '\n\n';
    // All tasks' prompts in one call, so that continuous batching keeps its slots busy across tasks.
    const prompts = tasks.flatMap((task) => bbh.buildPrompts(task, { cot, ...(wrap ? { wrap } : {}) }));
    const { generations, outputs } = await generateUntilStop(model, tokenizer, prompts, {
      stop,
      maxNewTokens,
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const results: bbh.BbhTaskResult[] = [];
    const predictions: Array<Record<string, unknown>> = [];
    let next = 0;
    for (const task of tasks) {
      const answers = task.examples.map((e) => {
        const g = generations[next]!;
        const output = outputs[next++]!;
        const prediction = bbh.extractAnswer(output);
        predictions.push({ task: task.name, input: e.input, target: e.target, output, prediction, correct: exactMatchPair(prediction, e.target), ...(g.promptTruncated ? { promptTruncated: true } : {}) });
        return prediction;
      });
      results.push({ task: task.name, predictions: answers, targets: task.examples.map((e) => e.target) });
    }
    return { metrics: bbh.metrics(results), predictions, settings: { cot, maxNewTokens }, notes: truncationNotes(generations) };
  },
};
