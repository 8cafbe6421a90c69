// MMLU: the answer letter by log-likelihood (" A".." D" after the prompt), --shots dev rows (default 0).
// open-instruct's other path, for API models (eval/mmlu/run_eval.py @0ddab2b eval_openai_chat_engine), generates one
// token with a +100 logit bias on the four answer tokens: for a model whose logits are at hand that picks the
// same letter as this argmax over the four, so there is one path here.
import { mmlu } from '../benchmarks/index.js';
import { nativeScorer } from '../loglik.js';
import { wrapOf } from './generation.js';
import type { BenchmarkRunner } from './types.js';

export const mmluRunner: BenchmarkRunner = {
  settings: ['shots'],
  async run(model, tokenizer, o) {
    const scorer = nativeScorer(model, tokenizer, { mode: 'next-token' });
    const wrap = wrapOf(o.chatFormat, tokenizer);
    const shots = o.shots ?? 0;
    const results: mmlu.MmluSubjectResult[] = [];
    const predictions: Array<Record<string, unknown>> = [];
    for (const loaded of await mmlu.load(o.dir)) {
      const subject = mmlu.sampleTest(loaded, o.maxInstances);
      const prompts = mmlu.buildPrompts(subject, { nTrain: shots, ...(wrap ? { wrap } : {}) });
      const predicted = await mmlu.predict(prompts, scorer);
      const correct = mmlu.correctness(predicted.map((p) => p.answer), subject.test.map((q) => q.answer));
      results.push({ subject: subject.name, correct });
      subject.test.forEach((q, i) => predictions.push({ subject: subject.name, prompt: prompts[i], answer: q.answer, prediction: predicted[i]!.answer, probs: predicted[i]!.probs, correct: correct[i] }));
    }
    return { metrics: mmlu.metrics(results), predictions, settings: { shots }, notes: [] };
  },
};
