// Alpaca records (tatsu-lab/stanford_alpaca, alpaca_data.json): {"instruction": string, "input"?: string,
// "output": string}, a JSON array or JSONL. The prompt is Alpaca's template, with or without the input; only the
// output (+ EOS) is trained (src/data/formats/pairs.ts). "input" may be absent or null (no input); other fields
// are ignored.
import { optionalStringField, recordObject, stringField, type RawRecord } from '../records.js';
import type { PromptResponse } from './pairs.js';

// The Stanford Alpaca prompts, character for character: PROMPT_DICT of tatsu-lab/stanford_alpaca train.py,
// lines 32-43 at commit c8ea92b1c360269f787036fb3746b9e2dea120e5 (Apache-2.0). The prompt ends at
// "### Response:"; the output follows it directly, then the tokenizer's EOS (train.py line 151).
export const ALPACA_PROMPT_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. ' +
  'Write a response that appropriately completes the request.\n\n' +
  '### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:';
export const ALPACA_PROMPT_NO_INPUT =
  'Below is an instruction that describes a task. ' +
  'Write a response that appropriately completes the request.\n\n' +
  '### Instruction:\n{instruction}\n\n### Response:';

/** The Alpaca prompt of an instruction and its input: the with-input template when the input is not "" (train.py line 148). */
export function alpacaPrompt(instruction: string, input: string): string {
  // One pass over the template, as Python's str.format_map fills it: a "{input}" inside the instruction stays text.
  const values: Record<string, string> = { instruction, input };
  return (input !== '' ? ALPACA_PROMPT_INPUT : ALPACA_PROMPT_NO_INPUT).replace(/\{(instruction|input)\}/g, (_, field: string) => values[field]!);
}

/** One Alpaca record as a (prompt, response) pair; malformed records are errors naming the field. */
export function parseAlpacaRecord(record: RawRecord): PromptResponse {
  const row = recordObject(record);
  const instruction = stringField(row, 'instruction', record.where);
  const input = optionalStringField(row, 'input', record.where) ?? '';
  const output = stringField(row, 'output', record.where);
  return { id: record.location, prompt: alpacaPrompt(instruction, input), response: output };
}
