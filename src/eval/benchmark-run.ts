// Open-instruction benchmarks on a loaded model (`peft-native eval --benchmark`): the benchmark modules of
// src/eval/benchmarks (open-instruct's prompts, selection, extraction and metrics) driven by native generation
// (GSM8K) or native log-likelihood scoring (MMLU, TruthfulQA), with predictions.jsonl and metrics.json written
// atomically. Defaults follow open-instruct's scripts: MMLU 0-shot (--shots), GSM8K 8-shot chain of thought
// with at most 512 new tokens stopping at the first newline (without the chat format), TruthfulQA MC with the
// QA primer.
import path from 'node:path';
import type { NativeModel } from '../native/binding.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { writeFileAtomically, writeJsonAtomically } from '../util/atomic-file.js';
import { gsm8k, mmlu, truthfulqa, tuluChatWrap, type ChatWrap } from './benchmarks/index.js';
import { generateTexts } from './generate.js';
import { nativeScorer } from './loglik.js';

export const BENCHMARKS = ['mmlu', 'gsm8k', 'truthfulqa'] as const;
export type Benchmark = (typeof BENCHMARKS)[number];
export const CHAT_FORMATS = ['none', 'tulu'] as const;
export type ChatFormat = (typeof CHAT_FORMATS)[number];

export interface BenchmarkOptions {
  benchmark: Benchmark;
  /** The benchmark's folder in open-instruct's layout (data/eval/<benchmark>). */
  dir: string;
  /** 'tulu' wraps every prompt as one TÜLU user turn (open-instruct's --use_chat_format); default none. */
  chatFormat?: ChatFormat;
  /** Questions per subject (MMLU) or in all (GSM8K, TruthfulQA), sampled with open-instruct's seed 42. */
  maxInstances?: number;
  /** MMLU shots (default 0) or GSM8K exemplars (default 8). */
  shots?: number;
  /** GSM8K: rows generated together (default 16). */
  batchSize?: number;
  /** GSM8K: new tokens at most (default 512). */
  maxNewTokens?: number;
  out?: string;
  metadata?: Record<string, unknown>;
}

export interface BenchmarkResult {
  benchmark: Benchmark;
  instances: number;
  metrics: Record<string, number>;
  files?: { predictions: string; metrics: string };
}

interface Scored {
  metrics: Record<string, number>;
  predictions: Array<Record<string, unknown>>;
}

function wrapOf(format: ChatFormat | undefined): ChatWrap | undefined {
  return format === 'tulu' ? tuluChatWrap : undefined;
}

async function runMmlu(model: NativeModel, tokenizer: TextTokenizer, o: BenchmarkOptions): Promise<Scored> {
  const scorer = nativeScorer(model, tokenizer, { mode: 'next-token' });
  const wrap = wrapOf(o.chatFormat);
  const results: mmlu.MmluSubjectResult[] = [];
  const predictions: Array<Record<string, unknown>> = [];
  for (const loaded of await mmlu.load(o.dir)) {
    const subject = mmlu.sampleTest(loaded, o.maxInstances);
    const prompts = mmlu.buildPrompts(subject, { nTrain: o.shots ?? 0, ...(wrap ? { wrap } : {}) });
    const predicted = await mmlu.predict(prompts, scorer);
    const correct = mmlu.correctness(predicted.map((p) => p.answer), subject.test.map((q) => q.answer));
    results.push({ subject: subject.name, correct });
    subject.test.forEach((q, i) => predictions.push({ subject: subject.name, prompt: prompts[i], answer: q.answer, prediction: predicted[i]!.answer, probs: predicted[i]!.probs, correct: correct[i] }));
  }
  return { metrics: mmlu.metrics(results), predictions };
}

async function runTruthfulqa(model: NativeModel, tokenizer: TextTokenizer, o: BenchmarkOptions): Promise<Scored> {
  const rows = truthfulqa.sample(await truthfulqa.load(o.dir), o.maxInstances);
  const wrap = wrapOf(o.chatFormat);
  const items = truthfulqa.buildPrompts(rows, wrap ? { wrap } : {});
  const scores = await truthfulqa.scoreItems(items, nativeScorer(model, tokenizer, { mode: 'continuation' }));
  const predictions = items.map((item, i) => ({ question: item.row.question, line: item.row.line, ...scores[i] }));
  return { metrics: truthfulqa.metrics(scores), predictions };
}

async function runGsm8k(model: NativeModel, tokenizer: TextTokenizer, o: BenchmarkOptions): Promise<Scored> {
  const { instances, exemplars } = gsm8k.select(await gsm8k.load(o.dir), { nShot: o.shots ?? 8, ...(o.maxInstances !== undefined ? { maxNumExamples: o.maxInstances } : {}) });
  const wrap = wrapOf(o.chatFormat);
  const prompts = gsm8k.buildPrompts(instances, { exemplars, ...(wrap ? { wrap } : {}) });
  // Without the chat format, open-instruct stops at the first newline token (the last token of "\n" alone).
  const stops = [tokenizer.eosId];
  if (!wrap) {
    const newline = await tokenizer.encode('\n');
    if (newline.length > 0) stops.push(newline[newline.length - 1]!);
  }
  const generations = await generateTexts(model, tokenizer, prompts, { maxNewTokens: o.maxNewTokens ?? 512, batchSize: o.batchSize ?? 16, eosTokenIds: stops, maxPromptTokens: 2048 });
  const answers = generations.map((g) => gsm8k.extractAnswer(g.text));
  const predictions = instances.map((inst, i) => ({ line: inst.line, question: inst.question, answer: inst.answer, output: generations[i]!.text, prediction: answers[i] }));
  return { metrics: gsm8k.metrics(answers, instances.map((i) => i.answer)), predictions };
}

const RUNNERS: Record<Benchmark, (model: NativeModel, tokenizer: TextTokenizer, o: BenchmarkOptions) => Promise<Scored>> = {
  mmlu: runMmlu,
  gsm8k: runGsm8k,
  truthfulqa: runTruthfulqa,
};

export async function evaluateBenchmark(model: NativeModel, tokenizer: TextTokenizer, o: BenchmarkOptions): Promise<BenchmarkResult> {
  const scored = await RUNNERS[o.benchmark](model, tokenizer, o);
  const result: BenchmarkResult = { benchmark: o.benchmark, instances: scored.predictions.length, metrics: scored.metrics };
  if (o.out !== undefined) {
    const predictions = path.resolve(o.out, 'predictions.jsonl');
    const metrics = path.resolve(o.out, 'metrics.json');
    await writeFileAtomically(predictions, scored.predictions.map((p) => JSON.stringify(p)).join('\n') + '\n');
    await writeJsonAtomically(metrics, {
      benchmark: o.benchmark,
      data: path.resolve(o.dir),
      instances: result.instances,
      metrics: scored.metrics,
      settings: { chatFormat: o.chatFormat ?? 'none', shots: o.shots ?? (o.benchmark === 'gsm8k' ? 8 : 0), maxInstances: o.maxInstances ?? null, ...(o.benchmark === 'gsm8k' ? { maxNewTokens: o.maxNewTokens ?? 512 } : {}) },
      ...o.metadata,
    });
    result.files = { predictions, metrics };
  }
  return result;
}
