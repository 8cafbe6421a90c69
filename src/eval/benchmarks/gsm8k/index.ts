// GSM8K, 8-shot chain of thought, as open-instruct evaluates it: load -> select -> buildPrompts -> (generate
// greedily, at most 512 new tokens, stopping at the first "\n" without chat format) -> extractAnswer -> metrics.
export { load, GSM_TEST_FILE, type GsmInstance } from './load.js';
export { select, type GsmSelectOptions, type GsmSelection } from './select.js';
export { buildPrompts, promptPrefix, type GsmPromptOptions } from './prompts.js';
export { extractAnswer, metrics } from './score.js';
export { GSM_EXEMPLARS, type GsmExemplar } from './exemplars.js';
