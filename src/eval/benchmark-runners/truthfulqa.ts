// TruthfulQA MC1/MC2: each answer's log-likelihood after the QA primer and the question.
import { truthfulqa } from '../benchmarks/index.js';
import { nativeScorer } from '../loglik.js';
import { wrapOf } from './generation.js';
import type { BenchmarkRunner } from './types.js';

export const truthfulqaRunner: BenchmarkRunner = {
  settings: [],
  async run(model, tokenizer, o) {
    const rows = truthfulqa.sample(await truthfulqa.load(o.dir), o.maxInstances);
    const wrap = wrapOf(o.chatFormat, tokenizer);
    const items = truthfulqa.buildPrompts(rows, wrap ? { wrap } : {});
    const scores = await truthfulqa.scoreItems(items, nativeScorer(model, tokenizer, { mode: 'continuation' }));
    const predictions = items.map((item, i) => ({ question: item.row.question, line: item.row.line, ...scores[i] }));
    return { metrics: truthfulqa.metrics(scores), predictions, settings: {}, notes: [] };
  },
};
