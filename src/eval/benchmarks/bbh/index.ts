// BIG-Bench Hard, three-shot chain of thought per task, as open-instruct evaluates it: load -> sample (optional)
// -> buildPrompts per task -> (generate greedily, at most 512 new tokens, stopping at "\n\n" without chat
// format) -> extractAnswer -> metrics.
export { load, dropHeaderLines, type BbhTask, type BbhExample } from './load.js';
export { sample } from './select.js';
export { buildPrompts, noCotPrompt, type BbhPromptOptions } from './prompts.js';
export { extractAnswer, metrics, type BbhTaskResult } from './score.js';
