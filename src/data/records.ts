// Reading files of instruction-data records (TÜLU, ShareGPT, Alpaca, prompt/completion), and the one rule for
// reporting a malformed record: a DataError in one line, "<file> <location>: <what is wrong>", where the location
// is "line <n>" (1-based) in a JSONL file or "record [<i>]" (the 0-based array index, data[i]) in a JSON array,
// and what is wrong names the field ("output" must be a string, got a number).
//
// A file whose first non-blank character is "[" is one JSON array of records; anything else is JSONL, one
// record per line (blank lines skipped), streamed (the TÜLU v2 mixture is over a gigabyte).
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { jsonSyntaxProblem } from '../util/json-syntax.js';
import { DataError } from './errors.js';

/** One parsed record and where it is. */
export interface RawRecord {
  value: unknown;
  /** "line 3" (JSONL) or "record [2]" (JSON array). */
  location: string;
  /** "<file> <location>", the prefix of every message about the record. */
  where: string;
}

/** The error of a malformed record (see the file comment). */
export function recordError(where: string, what: string): DataError {
  return new DataError(`${where}: ${what}`);
}

/** A JSON value's kind, for messages: "a list", "null", else its typeof ("number", "object", "undefined" when absent). */
export function describeValue(value: unknown): string {
  return Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value;
}

/** The record as an object, or the error that it is not one. */
export function recordObject(record: RawRecord): Record<string, unknown> {
  const v = record.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw recordError(record.where, `expected a JSON object, got ${describeValue(v)}`);
  return v as Record<string, unknown>;
}

/** A required string field. */
export function stringField(row: Record<string, unknown>, field: string, where: string): string {
  const v = row[field];
  if (v === undefined) throw recordError(where, `"${field}" is missing (it must be a string)`);
  if (typeof v !== 'string') throw recordError(where, `"${field}" must be a string, got ${describeValue(v)}`);
  return v;
}

/** An optional string field: absent or null gives null. */
export function optionalStringField(row: Record<string, unknown>, field: string, where: string): string | null {
  const v = row[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw recordError(where, `"${field}" must be a string, got ${describeValue(v)}`);
  return v;
}

/** An optional "id": a string or a number (as text), or null when absent. */
export function optionalId(row: Record<string, unknown>, where: string): string | null {
  const id = row['id'];
  if (id === undefined || id === null) return null;
  if (typeof id !== 'string' && typeof id !== 'number') throw recordError(where, `"id" must be a string or a number, got ${describeValue(id)}`);
  return String(id);
}

/** `Cannot read <label> file <file>: ...` for file-system errors; anything else passes. */
function readFailure(err: unknown, label: string, file: string): unknown {
  return (err as NodeJS.ErrnoException).code ? new DataError(`Cannot read ${label} file ${file}: ${(err as Error).message}`) : err;
}

/** The records of a JSONL file, parsed one line at a time (see the file comment). */
export async function* jsonlRecords(file: string, label: string): AsyncGenerator<RawRecord> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      const location = `line ${line}`;
      const where = `${file} ${location}`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw recordError(where, `invalid JSON: ${jsonSyntaxProblem(err)}`);
      }
      yield { value, location, where };
    }
  } catch (err) {
    throw readFailure(err, label, file);
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Whether the file's first non-blank character opens a JSON array (a UTF-8 BOM is not skipped, as Python's json does not). */
async function startsWithArray(file: string, label: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
    const buffer = Buffer.alloc(4096);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return false;
      const text = buffer.subarray(0, bytesRead).toString('latin1');
      const first = text.search(/\S/);
      if (first >= 0) return text[first] === '[';
    }
  } catch (err) {
    throw readFailure(err, label, file);
  } finally {
    await handle?.close();
  }
}

/** Every record of a JSON array file or a JSONL file (see the file comment), in file order. */
export async function readRecords(file: string, label: string): Promise<RawRecord[]> {
  if (!(await startsWithArray(file, label))) {
    const records: RawRecord[] = [];
    for await (const r of jsonlRecords(file, label)) records.push(r);
    return records;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw readFailure(err, label, file);
  }
  let data: unknown[];
  try {
    data = JSON.parse(text) as unknown[];
  } catch (err) {
    throw new DataError(`${file}: invalid JSON (a JSON array of records): ${jsonSyntaxProblem(err)}`);
  }
  return data.map((value, i) => ({ value, location: `record [${i}]`, where: `${file} record [${i}]` }));
}
