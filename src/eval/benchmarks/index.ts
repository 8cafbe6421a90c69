// Open-instruction evaluation as allenai/open-instruct runs it (the pure-TypeScript parts: data, prompts, answer
// extraction, metrics). Generation and log-likelihood scoring come from the caller: a prompt list in, generations
// or a ContinuationScorer back. Each benchmark follows open-instruct's eval/<benchmark>/run_eval.py; its files
// name the commit and lines. HumanEval's executor is the exception to "pure TypeScript": it runs the model's code
// with Python, only when asked to (humaneval/execute.ts).
export * as gsm8k from './gsm8k/index.js';
export * as mmlu from './mmlu/index.js';
export * as bbh from './bbh/index.js';
export * as tydiqa from './tydiqa/index.js';
export * as truthfulqa from './truthfulqa/index.js';
export * as humaneval from './humaneval/index.js';
export * as alpacaEval from './alpaca-eval/index.js';
export { tuluChatWrap, appendCue, type ChatWrap } from './common/chat.js';
export type { ContinuationScorer } from './common/scoring.js';
