// Data source specs (the --data flag), parsed and checked against the file system without reading data:
//   builtin                         the built-in generated SuperNI-format tasks
//   superni:<dir>                   a folder of SuperNI task files (<dir>/tasks/*.json or <dir>/*.json)
//   tulu:<file.jsonl>               TÜLU-format conversations, one {"messages": [...]} object per line
//   sharegpt:<file>                 ShareGPT conversations {"conversations": [{"from", "value"}, ...]}, JSON array or JSONL
//   alpaca:<file>                   Alpaca records {instruction, input, output}, JSON array or JSONL
//   prompt-completion:<file.jsonl>  {"prompt", "completion"} records
//   <file>.json                     one SuperNI task file
import { existsSync, statSync } from 'node:fs';

/** Where tokenized datasets are cached (src/data/dataset.ts), relative to the working directory. */
export const DEFAULT_CACHE_DIR = '.peft-native-cache';

/** The record-file formats, each named by its prefix ("alpaca:<file>"), with the file it takes (for messages). */
export const RECORD_FILE_FORMATS = {
  tulu: 'one jsonl file',
  sharegpt: 'one JSON array or JSONL file',
  alpaca: 'one JSON array or JSONL file',
  'prompt-completion': 'one jsonl file',
} as const;
export type RecordFileKind = keyof typeof RECORD_FILE_FORMATS;

export type DataSpec =
  | { kind: 'builtin' }
  | { kind: 'superni'; dir: string }
  | { kind: 'file'; file: string }
  | { kind: 'tulu'; file: string }
  | { kind: 'sharegpt'; file: string }
  | { kind: 'alpaca'; file: string }
  | { kind: 'prompt-completion'; file: string };

/** Specs of SuperNI-format data (tasks, instances, the SuperNI prompt). */
export type SuperNIDataSpec = Extract<DataSpec, { kind: 'builtin' | 'superni' | 'file' }>;

export function isSuperNISpec(spec: DataSpec): spec is SuperNIDataSpec {
  return isSuperNIKind(spec.kind);
}

export function isSuperNIKind(kind: DataSpec['kind']): kind is SuperNIDataSpec['kind'] {
  return kind === 'builtin' || kind === 'superni' || kind === 'file';
}

/** Conversation data (assistant turns trained; --chat-template applies; encoder-decoders take (context, turn) pairs). */
export function isConversationSpec(spec: DataSpec): spec is Extract<DataSpec, { kind: 'tulu' | 'sharegpt' }> {
  return spec.kind === 'tulu' || spec.kind === 'sharegpt';
}

export const ACCEPTED_DATA_SPECS =
  'accepted data sources: "builtin" (the built-in tasks), "superni:<dir>" (a folder of SuperNI task files: <dir>/tasks/*.json or <dir>/*.json), "tulu:<file.jsonl>" (TÜLU-format conversations), ' +
  '"sharegpt:<file.json|file.jsonl>" (ShareGPT conversations), "alpaca:<file.json|file.jsonl>" (Alpaca instruction/input/output records), "prompt-completion:<file.jsonl>" (prompt/completion records), ' +
  'or the path of one SuperNI task .json file';

const isRecordFileKind = (prefix: string): prefix is RecordFileKind => Object.hasOwn(RECORD_FILE_FORMATS, prefix);

/** The kind of a data spec by its form alone (no file system check): for reading recorded settings. */
export function dataSpecKind(spec: string): DataSpec['kind'] {
  const s = spec.trim();
  if (s === 'builtin') return 'builtin';
  if (s.startsWith('superni:')) return 'superni';
  const prefix = /^([a-zA-Z][\w-]+):/.exec(s);
  return prefix && isRecordFileKind(prefix[1]!) ? prefix[1] : 'file';
}

/** Parses a data spec and checks that what it names exists, or throws an error that lists the accepted forms. */
export function parseDataSpec(spec: string): DataSpec {
  const s = spec.trim();
  if (s === '') throw new Error(`The data source is empty; ${ACCEPTED_DATA_SPECS}`);
  if (s === 'builtin') return { kind: 'builtin' };
  if (s.startsWith('superni:')) {
    const dir = s.slice('superni:'.length);
    if (dir === '') throw new Error(`Data source "${spec}" names no folder; ${ACCEPTED_DATA_SPECS}`);
    if (!existsSync(dir)) throw new Error(`Data source "${spec}": ${dir} does not exist`);
    if (!statSync(dir).isDirectory()) throw new Error(`Data source "${spec}": ${dir} is not a folder (superni:<dir> takes a natural-instructions checkout or its tasks/ folder)`);
    return { kind: 'superni', dir };
  }
  const prefix = /^([a-zA-Z][\w-]+):/.exec(s);
  if (prefix && isRecordFileKind(prefix[1]!)) {
    const kind = prefix[1];
    const file = s.slice(kind.length + 1);
    if (file === '') throw new Error(`Data source "${spec}" names no file; ${ACCEPTED_DATA_SPECS}`);
    if (!existsSync(file)) throw new Error(`Data source "${spec}": ${file} does not exist`);
    if (!statSync(file).isFile()) throw new Error(`Data source "${spec}": ${file} is not a file (${kind}:<file> takes ${RECORD_FILE_FORMATS[kind]})`);
    return { kind, file };
  }
  if (prefix && !(process.platform === 'win32' && prefix[1]!.length === 1)) {
    throw new Error(`Unknown data source prefix "${prefix[1]}:" in "${spec}"; ${ACCEPTED_DATA_SPECS}`);
  }
  if (s.endsWith('.json')) {
    if (!existsSync(s)) throw new Error(`Data file ${s} does not exist`);
    return { kind: 'file', file: s };
  }
  if (existsSync(s) && statSync(s).isDirectory()) {
    throw new Error(`Data source "${spec}" is a folder; write superni:${s} to use it as a folder of SuperNI task files (${ACCEPTED_DATA_SPECS})`);
  }
  if (s.endsWith('.jsonl')) {
    throw new Error(`Data source "${spec}": write tulu:${s} to read it as TÜLU-format conversations, or sharegpt:${s}, alpaca:${s} or prompt-completion:${s} for another format (${ACCEPTED_DATA_SPECS})`);
  }
  throw new Error(`Unknown data source "${spec}"; ${ACCEPTED_DATA_SPECS}`);
}
