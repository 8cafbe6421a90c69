// MMLU (0-shot or k-shot per subject) as open-instruct evaluates it: load -> sampleTest (optional) ->
// buildPrompts per subject -> predict with a log-likelihood scorer -> correctness -> metrics.
export { load, readMmluCsv, MMLU_CHOICES, type MmluQuestion, type MmluSubject, type MmluLoadOptions } from './load.js';
export { buildPrompts, formatSubject, formatExample, genPrompt, type MmluPromptOptions } from './prompts.js';
export { sampleTest } from './select.js';
export { predict, MMLU_CONTINUATIONS, type MmluPrediction } from './predict.js';
export { metrics, correctness, type MmluSubjectResult } from './metrics.js';
export { MMLU_SUBCATEGORIES, MMLU_CATEGORIES } from './categories.js';
