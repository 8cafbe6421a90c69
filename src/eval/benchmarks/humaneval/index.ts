// HumanEval (Codex), functional correctness as open-instruct evaluates it (eval/codex_humaneval/): load -> select ->
// buildPrompts -> (sample 20 completions per prompt, temperature 0.1, top_p 0.95, at most 512 new tokens) ->
// truncateAtStop -> executeSamples (runs the model's code: opt-in, see execute.ts) -> metrics (pass@k).
export { load, loadFile, HUMANEVAL_FILES, type HumanEvalProblem } from './load.js';
export { select, type HumanEvalSelectOptions } from './select.js';
export { buildPrompts, CHAT_INSTRUCTION, CHAT_REPLY_START, type HumanEvalPromptOptions } from './prompts.js';
export { STOP_SEQUENCES, stopSequences, truncateAtStop } from './completion.js';
export { checkProgram } from './program.js';
export { executeSamples, type ExecuteOptions, type ExecutionResult, type ExecutionRun, type HumanEvalSample } from './execute.js';
export type { ExecutionStatus } from './run-program.js';
export type { NetworkIsolation } from './interpreter.js';
export { estimatePassAtK, metrics, numpyMean, type SampleOutcome } from './pass-at-k.js';
