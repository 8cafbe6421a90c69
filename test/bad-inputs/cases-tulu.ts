// Malformed TÜLU conversations (JSONL), read by `train --data tulu:<file>`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { trainArgs } from './commands.js';
import { modelFolder, tuluFile, tuluLines } from './sources.js';

const FILE = 'tulu.jsonl';

/** The fixture's short conversations with line 3 (1-based) replaced by `line` (a function of the good one). */
function line3(id: string, what: string, line: (good: Record<string, unknown>) => string, culprit: Array<string | RegExp>): BadInputCase {
  return file(id, what, () => {
    const lines = tuluLines();
    lines[2] = line(JSON.parse(lines[2]!) as Record<string, unknown>);
    return lines.map((l) => l + '\n').join('');
  }, [/line 3\b/, ...culprit]);
}

function file(id: string, what: string, text: () => string | Buffer, culprit: Array<string | RegExp>): BadInputCase {
  return {
    id: `tulu/${id}`,
    category: 'tulu',
    what,
    exit: 2,
    culprit: [FILE, ...culprit],
    setup: (dir) => {
      const f = path.join(dir, FILE);
      writeFileSync(f, text());
      return trainArgs(dir, modelFolder(dir), `tulu:${f}`);
    },
  };
}

type Message = { role: string; content: unknown };
const messages = (o: Record<string, unknown>) => o.messages as Message[];

export const tuluCases: BadInputCase[] = [
  line3('line-not-json', 'a line that is not JSON', (o) => JSON.stringify(o).slice(0, 30), []),
  line3('line-array', 'a line that is a JSON array', () => '[1, 2]', []),
  line3('messages-missing', 'a line without messages', (o) => JSON.stringify({ ...o, messages: undefined }), ['messages']),
  line3('messages-not-array', 'messages is a string', (o) => JSON.stringify({ ...o, messages: 'hello' }), ['messages']),
  line3('messages-empty', 'messages is []', (o) => JSON.stringify({ ...o, messages: [] }), ['messages']),
  line3('role-unknown', 'a message with role "robot"', (o) => JSON.stringify({ ...o, messages: messages(o).map((m, i) => (i === 0 ? { ...m, role: 'robot' } : m)) }), ['role', 'robot']),
  line3('role-missing', 'a message without role', (o) => JSON.stringify({ ...o, messages: messages(o).map((m, i) => (i === 0 ? { content: m.content } : m)) }), ['role']),
  line3('content-number', 'a message whose content is a number', (o) => JSON.stringify({ ...o, messages: messages(o).map((m, i) => (i === 0 ? { ...m, content: 7 } : m)) }), ['content']),
  // One such conversation among good ones is dropped with a note in the data summary (open-instruct drops
  // examples without labels too); a file of nothing else is an error (all-no-assistant).
  { ...line3('no-assistant-turn', 'a conversation with no assistant turn among good ones (dropped, noted)', (o) => JSON.stringify({ ...o, messages: messages(o).filter((m) => m.role !== 'assistant') }), []), exit: 0 },
  line3('control-bytes', 'a line of raw control bytes', () => '\u0000\u0001\u001b[2J', []),
  file('all-no-assistant', 'every conversation lacks an assistant turn', () => tuluLines().map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return JSON.stringify({ ...o, messages: messages(o).filter((m) => m.role !== 'assistant') }) + '\n';
  }).join(''), [/assistant/]),
  file('empty', 'an empty file', () => '', []),
  file('blank-lines', 'only blank lines', () => '\n\n   \n', []),
  file('truncated-last-line', 'the file cut in the middle of its last line', () => {
    const text = tuluLines().join('\n');
    return text.slice(0, text.length - 20);
  }, [/line 8\b/]),
  file('invalid-utf8', 'a line with bytes that are not UTF-8', () => Buffer.concat([Buffer.from(tuluLines(2).join('\n') + '\n'), Buffer.from([0xc3, 0x28, 0xff, 0x0a])]), [/line 3\b/]),
  {
    id: 'tulu/missing',
    category: 'tulu',
    what: 'tulu:<file> that does not exist',
    exit: 2,
    culprit: ['nope.jsonl'],
    setup: (dir) => trainArgs(dir, modelFolder(dir), `tulu:${path.join(dir, 'nope.jsonl')}`),
  },
  {
    id: 'tulu/jsonl-without-prefix',
    category: 'tulu',
    what: 'a .jsonl file given without tulu:',
    exit: 2,
    culprit: [FILE],
    setup: (dir) => trainArgs(dir, modelFolder(dir), tuluFile(dir)),
  },
];
