// Reading TÜLU-format conversation files (STUDY.md "TÜLU protocol"): jsonl, one object per line,
//   {"dataset"?: string, "id"?: string | number, "messages": [{"role": "system" | "user" | "assistant", "content": string}, ...]}
// Blank lines are skipped. Anything else that is wrong is an error naming the file and the 1-based line:
// invalid JSON, a missing or empty "messages" list, a message without a string "content", an unknown role.
// The file is streamed line by line (the TÜLU v2 mixture is over a gigabyte).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { jsonSyntaxProblem } from '../../util/json-syntax.js';
import { printable } from '../../util/printable.js';

export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface Conversation {
  /** The row's "dataset" field, or null. */
  dataset: string | null;
  /** The row's "id" (numbers as text), or "line <n>" when it has none. */
  id: string;
  /** 1-based line in the file. */
  line: number;
  messages: ChatMessage[];
}

const describe = (value: unknown): string => (Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value);

/** Validates one parsed row; `where` ("file line n") prefixes every error. */
export function parseConversation(raw: unknown, line: number, where: string): Conversation {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(`expected a JSON object, got ${describe(raw)}`);
  const row = raw as Record<string, unknown>;
  const messages = row['messages'];
  if (!Array.isArray(messages)) fail(`"messages" must be a list, got ${describe(messages)}`);
  if ((messages as unknown[]).length === 0) fail(`"messages" is empty`);
  const parsed = (messages as unknown[]).map((m, k): ChatMessage => {
    if (!m || typeof m !== 'object' || Array.isArray(m)) fail(`"messages"[${k}] must be an object, got ${describe(m)}`);
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string') fail(`"messages"[${k}] has no "role" string`);
    if (!(CHAT_ROLES as readonly string[]).includes(role as string)) {
      fail(`"messages"[${k}] has the unknown role "${printable(String(role), 40)}" (expected ${CHAT_ROLES.join(', ')})`);
    }
    if (typeof content !== 'string') fail(`"messages"[${k}] ("${role as string}"): "content" must be a string, got ${describe(content)}`);
    return { role: role as ChatRole, content: content as string };
  });
  const id = row['id'];
  if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') fail(`"id" must be a string or a number, got ${describe(id)}`);
  const dataset = row['dataset'];
  if (dataset !== undefined && dataset !== null && typeof dataset !== 'string') fail(`"dataset" must be a string, got ${describe(dataset)}`);
  return {
    dataset: typeof dataset === 'string' ? dataset : null,
    id: id === undefined || id === null ? `line ${line}` : String(id),
    line,
    messages: parsed,
  };
}

/** Every conversation of a jsonl file, in file order (see the file comment). */
export async function readConversations(file: string): Promise<Conversation[]> {
  const conversations: Conversation[] = [];
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      const where = `${file} line ${line}`;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw new Error(`${where}: invalid JSON: ${jsonSyntaxProblem(err)}`);
      }
      conversations.push(parseConversation(raw, line, where));
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new Error(`Cannot read TÜLU file ${file}: ${(err as Error).message}`);
    throw err;
  } finally {
    lines.close();
    stream.destroy();
  }
  if (conversations.length === 0) throw new Error(`TÜLU file ${file} has no conversations`);
  return conversations;
}
