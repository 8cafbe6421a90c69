// Reading a benchmark's files from the user's folder (never the network): text, JSON and folder listings. A missing
// or unreadable file and invalid JSON are one-line DataErrors naming the file (the CLI maps them to exit code 2).
import { readdir, readFile } from 'node:fs/promises';
import { DataError } from '../../../data/errors.js';
import { jsonSyntaxProblem } from '../../../util/json-syntax.js';

function fileError(err: unknown, label: string, file: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DataError(`${label}: ${file} does not exist`);
  if (code !== undefined) return new DataError(`Cannot read ${label} ${file}: ${(err as Error).message}`);
  return err;
}

/** The file as UTF-8 text (a BOM is kept, as Python's open() keeps it). */
export async function readText(file: string, label: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, label, file);
  }
}

/** The file parsed as one JSON value (json.load: a leading BOM is an error there too). */
export async function readJson(file: string, label: string): Promise<unknown> {
  const text = await readText(file, label);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DataError(`${file}: invalid JSON: ${jsonSyntaxProblem(err)}`);
  }
}

/** The names of the entries of a folder, sorted by code unit (Python's sorted() on ASCII names). */
export async function listFolder(dir: string, label: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    throw fileError(err, label, dir);
  }
}
