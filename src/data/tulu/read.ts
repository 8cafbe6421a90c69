// Reading TÜLU-format conversation files (STUDY.md "TÜLU protocol"): jsonl, one object per line,
//   {"dataset"?: string, "id"?: string | number, "messages": [{"role": "system" | "user" | "assistant", "content": string}, ...]}
// Blank lines are skipped. Anything else that is wrong is an error naming the file and the 1-based line:
// invalid JSON, a missing or empty "messages" list, a message without a string "content", an unknown role
// (the rule for malformed records, and the streaming line reader, are src/data/records.ts's).
import { printable } from '../../util/printable.js';
import { DataError } from '../errors.js';
import { describeValue as describe, jsonlRecords, optionalId, optionalStringField, recordError, recordObject, type RawRecord } from '../records.js';

export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface Conversation {
  /** The row's "dataset" field, or null. */
  dataset: string | null;
  /** The row's "id" (numbers as text), or its location when it has none. */
  id: string;
  /** Where the row is in its file: "line <n>" (1-based) or "record [<i>]" (JSON arrays, ShareGPT). */
  location: string;
  messages: ChatMessage[];
}

/** How a format writes its turns: the list field, each turn's role and text fields, and its roles' names. */
export interface TurnFields {
  list: string;
  role: string;
  content: string;
  /** The format's role names, in the order messages list them, mapped to chat roles. */
  roles: ReadonlyArray<readonly [string, ChatRole]>;
}

/** TÜLU's own layout: "messages", "role", "content", the chat roles themselves. */
export const TULU_TURNS: TurnFields = { list: 'messages', role: 'role', content: 'content', roles: CHAT_ROLES.map((r) => [r, r] as const) };

/** The turns of a row in `fields`' layout, as chat messages; errors name the list entry and the field. */
export function parseTurns(row: Record<string, unknown>, where: string, fields: TurnFields): ChatMessage[] {
  const fail = (what: string): never => {
    throw recordError(where, what);
  };
  const list = `"${fields.list}"`;
  // TÜLU says "the unknown role"; a format with another field name says which field.
  const roleWord = fields.role === 'role' ? 'role' : `"${fields.role}"`;
  const turns = row[fields.list];
  if (!Array.isArray(turns)) fail(`${list} must be a list, got ${describe(turns)}`);
  if ((turns as unknown[]).length === 0) fail(`${list} is empty`);
  return (turns as unknown[]).map((m, k): ChatMessage => {
    if (!m || typeof m !== 'object' || Array.isArray(m)) fail(`${list}[${k}] must be an object, got ${describe(m)}`);
    const turn = m as Record<string, unknown>;
    const name = turn[fields.role];
    const content = turn[fields.content];
    if (typeof name !== 'string') fail(`${list}[${k}] has no "${fields.role}" string`);
    const role = fields.roles.find(([n]) => n === name)?.[1];
    if (role === undefined) {
      fail(`${list}[${k}] has the unknown ${roleWord} "${printable(String(name), 40)}" (expected ${fields.roles.map(([n]) => n).join(', ')})`);
    }
    if (typeof content !== 'string') fail(`${list}[${k}] ("${name as string}"): "${fields.content}" must be a string, got ${describe(content)}`);
    return { role: role!, content: content as string };
  });
}

/** Validates one parsed TÜLU row (see the file comment). */
export function parseConversation(record: RawRecord): Conversation {
  const row = recordObject(record);
  const messages = parseTurns(row, record.where, TULU_TURNS);
  const id = optionalId(row, record.where);
  const dataset = optionalStringField(row, 'dataset', record.where);
  return { dataset, id: id ?? record.location, location: record.location, messages };
}

/** Every conversation of a jsonl file, in file order (see the file comment). */
export async function readConversations(file: string): Promise<Conversation[]> {
  const conversations: Conversation[] = [];
  for await (const record of jsonlRecords(file, 'TÜLU')) conversations.push(parseConversation(record));
  if (conversations.length === 0) throw new DataError(`TÜLU file ${file} has no conversations`);
  return conversations;
}
