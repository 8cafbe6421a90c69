// AlpacaEval as open-instruct runs it (eval/alpaca_farm/run_eval.py): load -> buildPrompts -> (generate greedily) ->
// writeModelOutputs, whose file `alpaca_eval evaluate --model_outputs <file>` judges against the reference outputs
// (a GPT-4 judge: outside this project).
export { load, loadFile, ALPACA_EVAL_FILE, type AlpacaEvalInstance } from './load.js';
export { buildPrompts, type AlpacaEvalPromptOptions } from './prompts.js';
export { generatorName, outputFileName, modelOutputRecords, writeModelOutputs } from './outputs.js';
