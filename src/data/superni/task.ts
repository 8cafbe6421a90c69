// Reading and validating one Super-NaturalInstructions task file (natural-instructions `tasks/<name>.json`).
//
// Required: "Definition" (a list whose first entry is a non-empty string; a plain string is accepted too)
// and "Instances" (a non-empty list of {id, input, output: [references]}). Optional: "Positive Examples",
// "Negative Examples" ({input, output, explanation?}), "Categories", and any other metadata.
// Files are parsed the way Python's json module reads them: bare NaN / Infinity / -Infinity outside
// strings are accepted (they become null); four files of the official repository contain `"URL": [NaN]`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonSyntaxProblem } from '../../util/json-syntax.js';
import { printable } from '../../util/printable.js';

export interface SuperNIExample {
  input: string;
  output: string;
  explanation?: string;
}

export interface SuperNIInstance {
  id: string;
  input: string;
  /** Reference outputs, at least one. */
  output: string[];
}

export interface SuperNITask {
  /** Task name: the file name without .json (e.g. task1146_country_capital). */
  name: string;
  /** Where it came from (file path, or "builtin"), for messages. */
  source: string;
  definition: string;
  positiveExamples: SuperNIExample[];
  negativeExamples: SuperNIExample[];
  instances: SuperNIInstance[];
  categories: string[];
  /** Things in the file that were skipped, with counts, for DataSummary.notes. */
  warnings: string[];
}

/**
 * JSON.parse that also accepts Python json's NaN, Infinity and -Infinity literals (as null).
 * `file` names the source in the error, which gives line and column in the original text.
 */
export function parsePythonJson(text: string, file: string): unknown {
  const { sanitized, replacements } = replaceNonFiniteLiterals(text);
  try {
    return JSON.parse(sanitized);
  } catch (err) {
    const message = (err as Error).message;
    const match = /position (\d+)/.exec(message);
    if (!match) throw new Error(`Invalid JSON in ${file}: ${jsonSyntaxProblem(err)}`);
    let position = Number(match[1]);
    // Map the position back to the original text: each replacement changed the length.
    for (const r of replacements) if (r.at <= position) position -= r.delta;
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    throw new Error(`Invalid JSON in ${file} at line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
}

/** Replaces NaN, Infinity, -Infinity outside strings by null; records where the text length changed. */
function replaceNonFiniteLiterals(text: string): { sanitized: string; replacements: Array<{ at: number; delta: number }> } {
  const replacements: Array<{ at: number; delta: number }> = [];
  if (!/NaN|Infinity/.test(text)) return { sanitized: text, replacements };
  let out = '';
  let inString = false;
  let i = 0;
  let shift = 0; // sanitized position - original position so far
  while (i < text.length) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (ch === '"') inString = false;
      i++;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      i++;
      continue;
    }
    const literal = ['-Infinity', 'Infinity', 'NaN'].find((lit) => text.startsWith(lit, i));
    if (literal) {
      replacements.push({ at: i + shift + 4, delta: 4 - literal.length });
      shift += 4 - literal.length;
      out += 'null';
      i += literal.length;
      continue;
    }
    out += ch;
    i++;
  }
  return { sanitized: out, replacements };
}

/** Read, parse and validate a task file. */
export async function readSuperNITask(file: string): Promise<SuperNITask> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read SuperNI task file ${file}: ${(err as Error).message}`);
  }
  return parseSuperNITask(parsePythonJson(text, file), path.basename(file, '.json'), file);
}

const describe = (value: unknown): string => (Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value);

/** Validate a parsed task object. `source` names the file (or "builtin") in every error. */
export function parseSuperNITask(raw: unknown, name: string, source: string): SuperNITask {
  const fail = (what: string): never => {
    throw new Error(`SuperNI task ${source}: ${what}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(`expected a JSON object, got ${describe(raw)}`);
  const obj = raw as Record<string, unknown>;

  const defField = obj['Definition'];
  const definition = Array.isArray(defField) ? defField[0] : defField;
  if (typeof definition !== 'string' || definition.trim() === '') {
    fail(`"Definition" must be a list whose first entry is a non-empty string, got ${JSON.stringify(defField)?.slice(0, 80) ?? 'nothing'}`);
  }

  const instancesField = obj['Instances'];
  if (!Array.isArray(instancesField)) fail(`"Instances" must be a list, got ${describe(instancesField)}`);
  const list = instancesField as unknown[];
  if (list.length === 0) fail(`"Instances" is empty`);
  const seen = new Set<string>();
  const instances = list.map((item, index): SuperNIInstance => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) fail(`"Instances"[${index}] must be an object, got ${describe(item)}`);
    const inst = item as Record<string, unknown>;
    const id = inst['id'];
    if (typeof id !== 'string' || id === '') fail(`"Instances"[${index}] has no "id" string`);
    const where = `instance "${printable(id as string, 40)}" ("Instances"[${index}])`;
    if (seen.has(id as string)) fail(`${where}: duplicate id`);
    seen.add(id as string);
    if (typeof inst['input'] !== 'string') fail(`${where}: "input" must be a string, got ${describe(inst['input'])}`);
    const output = inst['output'];
    if (!Array.isArray(output)) fail(`${where}: "output" must be a list of strings, got ${describe(output)}`);
    if ((output as unknown[]).length === 0) fail(`${where}: "output" is an empty list (at least one reference is needed)`);
    (output as unknown[]).forEach((o, k) => {
      if (typeof o !== 'string') fail(`${where}: "output"[${k}] must be a string, got ${describe(o)}`);
    });
    return { id: id as string, input: inst['input'] as string, output: output as string[] };
  });

  const warnings: string[] = [];
  const examples = (key: 'Positive Examples' | 'Negative Examples'): SuperNIExample[] => {
    const field = obj[key];
    if (field === undefined || field === null) return [];
    if (!Array.isArray(field)) fail(`"${key}" must be a list, got ${describe(field)}`);
    const valid: SuperNIExample[] = [];
    let skipped = 0;
    for (const item of field as unknown[]) {
      const ex = item as Record<string, unknown> | null;
      if (ex && typeof ex === 'object' && typeof ex['input'] === 'string' && typeof ex['output'] === 'string') {
        const example: SuperNIExample = { input: ex['input'], output: ex['output'] };
        if (typeof ex['explanation'] === 'string') example.explanation = ex['explanation'];
        valid.push(example);
      } else {
        skipped++;
      }
    }
    if (skipped > 0) warnings.push(`${name}: ${skipped} "${key}" entr${skipped === 1 ? 'y is' : 'ies are'} not {input, output} string objects (skipped)`);
    return valid;
  };

  const categoriesField = obj['Categories'];
  const categories = Array.isArray(categoriesField) ? categoriesField.filter((c): c is string => typeof c === 'string') : [];

  return {
    name,
    source,
    definition: definition as string,
    positiveExamples: examples('Positive Examples'),
    negativeExamples: examples('Negative Examples'),
    instances,
    categories,
    warnings,
  };
}
