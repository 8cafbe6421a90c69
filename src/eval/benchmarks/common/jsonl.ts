// JSON-lines files (GSM8K's test.jsonl) and the field checks of benchmark records: every problem is a one-line
// DataError "<file> line <n>: <what is wrong>" naming the field. Lines are split as Python's text mode reads them
// ("\n", "\r\n" or "\r"); blank lines are skipped.
import { DataError } from '../../../data/errors.js';
import { jsonSyntaxProblem } from '../../../util/json-syntax.js';
import { readText } from './files.js';
import { universalNewlines } from './python-text.js';

/** A JSON value's kind, for messages: "a list", "null", else its typeof ("undefined" when absent). */
export function describeValue(value: unknown): string {
  return Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value;
}

export interface JsonlObject {
  value: Record<string, unknown>;
  /** 1-based line number. */
  line: number;
  /** "<file> line <n>", the prefix of messages about the record. */
  where: string;
}

export async function readJsonlObjects(file: string, label: string): Promise<JsonlObject[]> {
  return parseJsonlObjects(await readText(file, label), file);
}

/** The objects of a JSON-lines text read from `file`; `isBlank` says which lines to skip (default: whitespace only). */
export function parseJsonlObjects(content: string, file: string, isBlank: (line: string) => boolean = (l) => l.trim() === ''): JsonlObject[] {
  const lines = universalNewlines(content).split('\n');
  const records: JsonlObject[] = [];
  lines.forEach((text, i) => {
    if (isBlank(text)) return;
    const where = `${file} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DataError(`${where}: invalid JSON: ${jsonSyntaxProblem(err)}`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new DataError(`${where}: expected a JSON object, got ${describeValue(value)}`);
    records.push({ value: value as Record<string, unknown>, line: i + 1, where });
  });
  return records;
}

/** A required string field of a record. */
export function stringField(row: Record<string, unknown>, field: string, where: string): string {
  const v = row[field];
  if (v === undefined) throw new DataError(`${where}: "${field}" is missing (it must be a string)`);
  if (typeof v !== 'string') throw new DataError(`${where}: "${field}" must be a string, got ${describeValue(v)}`);
  return v;
}
