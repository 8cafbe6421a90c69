// TyDiQA GoldP, one-shot with the gold passage, as open-instruct evaluates it: load -> select -> buildPrompts ->
// (generate greedily, at most 50 tokens, stopping at "\n" without chat format) -> cleanGeneration -> metrics.
export { load, readSquadFile, TYDIQA_DEV_FILE, TYDIQA_TRAIN_FILE, type TydiqaExample, type TydiqaData } from './load.js';
export { select, type TydiqaSelectOptions, type TydiqaSelection } from './select.js';
export { buildPrompts, type TydiqaPromptOptions } from './prompts.js';
export { cleanGeneration, metrics } from './score.js';
export { TEMPLATES_WITH_CONTEXT, TEMPLATES_WITHOUT_CONTEXT, TYDIQA_LANGUAGES } from './templates.js';
