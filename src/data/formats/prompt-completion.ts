// Prompt/completion records: {"prompt": string, "completion": string}, one per line (JSONL; a JSON array is
// read too). The prompt is used verbatim and masked; the completion (+ EOS) is trained (src/data/formats/pairs.ts).
// Nothing is put between them: a completion that should start with a space or a newline carries it. Other fields
// are ignored.
import { recordObject, stringField, type RawRecord } from '../records.js';
import type { PromptResponse } from './pairs.js';

export function parsePromptCompletionRecord(record: RawRecord): PromptResponse {
  const row = recordObject(record);
  const prompt = stringField(row, 'prompt', record.where);
  const completion = stringField(row, 'completion', record.where);
  return { id: record.location, prompt, response: completion };
}
