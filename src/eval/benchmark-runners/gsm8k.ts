// GSM8K as open-instruct's eval/gsm/run_eval.py runs it: 8-shot chain of thought (--shots), greedy, at most 512
// new tokens stopping at the first newline (without the chat format), the answer being the output's last number.
import { gsm8k } from '../benchmarks/index.js';
import { generateUntilStop, truncationNotes, wrapOf } from './generation.js';
import type { BenchmarkRunner } from './types.js';

const MAX_NEW_TOKENS = 512;

export const gsm8kRunner: BenchmarkRunner = {
  settings: ['shots', 'batchSize', 'maxNewTokens'],
  maxNewTokens: MAX_NEW_TOKENS,
  async run(model, tokenizer, o) {
    const shots = o.shots ?? 8;
    const maxNewTokens = o.maxNewTokens ?? MAX_NEW_TOKENS;
    const { instances, exemplars } = gsm8k.select(await gsm8k.load(o.dir), { nShot: shots, ...(o.maxInstances !== undefined ? { maxNumExamples: o.maxInstances } : {}) });
    const wrap = wrapOf(o.chatFormat, tokenizer);
    const prompts = gsm8k.buildPrompts(instances, { exemplars, ...(wrap ? { wrap } : {}) });
    // Without the chat format, open-instruct stops at the first newline (the last token of "\n" alone; the text
    // is cut at the string too).
    const stop = wrap ? undefined : '\n';
    const { generations, outputs } = await generateUntilStop(model, tokenizer, prompts, {
      stop,
      maxNewTokens,
      maxPromptTokens: 2048,
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const answers = outputs.map((text) => gsm8k.extractAnswer(text));
    const predictions = instances.map((inst, i) => ({ line: inst.line, question: inst.question, answer: inst.answer, output: outputs[i], prediction: answers[i] }));
    return { metrics: gsm8k.metrics(answers, instances.map((i) => i.answer)), predictions, settings: { shots, maxNewTokens }, notes: truncationNotes(generations) };
  },
};
