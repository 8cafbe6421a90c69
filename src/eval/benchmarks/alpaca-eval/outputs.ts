// The model's outputs in the form AlpacaEval's judge reads. open-instruct (eval/alpaca_farm/run_eval.py
// @ c0a998ddc6071e429c9e935ead9952c55c76be57, L72-79) makes each record from the evaluation record with "output" set
// to the generation and "generator" to "<model>-greedy-long", <model> being the last part of the model path
// (os.path.basename(os.path.normpath(...))) or the OpenAI engine's name, and hands the list to alpaca_eval.evaluate.
// Its file <model>-greedy-long-output.json holds one JSON object per line, which `alpaca_eval evaluate
// --model_outputs <file>` cannot read: AlpacaEval loads a .json path with pandas.read_json, i.e. one JSON list of
// records (tatsu-lab/alpaca_eval src/alpaca_eval/utils.py @ 03d0868ca030f3a4b5c9da02c60660be9015f990,
// load_or_convert_to_dataframe), and names the model after the records' single "generator" (src/alpaca_eval/main.py
// @ 039c0441e6c19a56460bd24ec6dccbc539da5962, evaluate). So the file here is that JSON list, the same records in the
// same order and field order, written to a temporary file and renamed (never half-written).
import path from 'node:path';
import { writeJsonAtomically } from '../../../util/atomic-file.js';
import type { AlpacaEvalInstance } from './load.js';

/** "<last part of the model path>-greedy-long", open-instruct's generator name. */
export function generatorName(modelNameOrPath: string): string {
  return `${path.posix.basename(path.posix.normalize(modelNameOrPath))}-greedy-long`;
}

/** open-instruct's file name for a generator: "<generator>-output.json". */
export function outputFileName(generator: string): string {
  return `${generator}-output.json`;
}

/** Each record with "output" and "generator" replaced (in place when present, else appended), in order. */
export function modelOutputRecords(instances: readonly AlpacaEvalInstance[], outputs: readonly string[], generator: string): Record<string, unknown>[] {
  if (outputs.length !== instances.length) throw new Error(`AlpacaEval: ${outputs.length} outputs for ${instances.length} instructions`);
  if (typeof generator !== 'string' || generator === '') throw new Error('AlpacaEval: the generator name must be a non-empty string');
  return instances.map((inst, i) => {
    const output = outputs[i];
    if (typeof output !== 'string') throw new Error(`AlpacaEval: output ${i} is not a string`);
    return { ...inst.record, output, generator };
  });
}

/** Writes modelOutputRecords(...) to `file` as one JSON list, atomically. */
export async function writeModelOutputs(file: string, instances: readonly AlpacaEvalInstance[], outputs: readonly string[], generator: string): Promise<void> {
  await writeJsonAtomically(file, modelOutputRecords(instances, outputs, generator));
}
