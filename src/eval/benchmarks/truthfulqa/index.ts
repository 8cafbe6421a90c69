// TruthfulQA MC1/MC2 as open-instruct evaluates it: load -> sample (optional) -> buildPrompts -> scoreItems with
// a log-likelihood scorer (or mcScores on scores computed elsewhere) -> metrics.
export { load, TRUTHFULQA_FILE, type TruthfulqaRow } from './load.js';
export { sample } from './select.js';
export { buildPrompts, formatPrompt, splitMultiAnswer, formatBest, continuation, type McItem, type McPromptOptions } from './prompts.js';
export { mcScores, scoreItems, metrics, type McScores } from './mc.js';
export { QA_PRIMER, PROF_PRIMER, TRUTHFULQA_PRESETS, type TruthfulqaPreset } from './presets.js';
