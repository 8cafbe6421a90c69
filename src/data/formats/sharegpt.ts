// ShareGPT-style conversations: {"id"?: string | number, "system"?: string, "conversations": [{"from": "human" |
// "gpt" | "system", "value": string}, ...]}, a JSON array (FastChat's data files) or JSONL. Turns become TÜLU chat
// messages (human -> user, gpt -> assistant, system -> system) and go through the TÜLU rendering and masking
// (src/data/tulu/load.ts): every assistant turn is trained. A non-empty top-level "system" (FastChat's
// dummy_conversation_with_system.json, LLaMA-Factory) is put first as a system message.
import { DataError } from '../errors.js';
import { optionalId, optionalStringField, readRecords, recordObject, type RawRecord } from '../records.js';
import { parseTurns, type Conversation, type TurnFields } from '../tulu/read.js';

export const SHAREGPT_TURNS: TurnFields = {
  list: 'conversations',
  role: 'from',
  content: 'value',
  roles: [
    ['human', 'user'],
    ['gpt', 'assistant'],
    ['system', 'system'],
  ],
};

/** One ShareGPT record as a conversation; malformed records are errors naming the entry and the field. */
export function parseShareGPTRecord(record: RawRecord): Conversation {
  const row = recordObject(record);
  const turns = parseTurns(row, record.where, SHAREGPT_TURNS);
  const id = optionalId(row, record.where);
  const system = optionalStringField(row, 'system', record.where);
  const messages = system ? [{ role: 'system' as const, content: system }, ...turns] : turns;
  return { dataset: null, id: id ?? record.location, location: record.location, messages };
}

/** Every conversation of a ShareGPT file (JSON array or JSONL), in file order. */
export async function readShareGPT(file: string): Promise<Conversation[]> {
  const conversations = (await readRecords(file, 'ShareGPT')).map(parseShareGPTRecord);
  if (conversations.length === 0) throw new DataError(`ShareGPT file ${file} has no conversations`);
  return conversations;
}
