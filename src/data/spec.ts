// Data source specs (the --data flag), parsed and checked against the file system without reading data:
//   builtin            the built-in generated SuperNI-format tasks
//   superni:<dir>      a folder of SuperNI task files (<dir>/tasks/*.json or <dir>/*.json)
//   tulu:<file.jsonl>  TÜLU-format conversations, one {"messages": [...]} object per line
//   <file>.json        one SuperNI task file
import { existsSync, statSync } from 'node:fs';

/** Where tokenized datasets are cached (src/data/dataset.ts), relative to the working directory. */
export const DEFAULT_CACHE_DIR = '.peft-native-cache';

export type DataSpec =
  | { kind: 'builtin' }
  | { kind: 'superni'; dir: string }
  | { kind: 'file'; file: string }
  | { kind: 'tulu'; file: string };

export const ACCEPTED_DATA_SPECS =
  'accepted data sources: "builtin" (the built-in tasks), "superni:<dir>" (a folder of SuperNI task files: <dir>/tasks/*.json or <dir>/*.json), "tulu:<file.jsonl>" (TÜLU-format conversations), or the path of one SuperNI task .json file';

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
  if (s.startsWith('tulu:')) {
    const file = s.slice('tulu:'.length);
    if (file === '') throw new Error(`Data source "${spec}" names no file; ${ACCEPTED_DATA_SPECS}`);
    if (!existsSync(file)) throw new Error(`Data source "${spec}": ${file} does not exist`);
    if (!statSync(file).isFile()) throw new Error(`Data source "${spec}": ${file} is not a file (tulu:<file.jsonl> takes one jsonl file)`);
    return { kind: 'tulu', file };
  }
  const prefix = /^([a-zA-Z][\w-]+):/.exec(s);
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
  if (s.endsWith('.jsonl')) throw new Error(`Data source "${spec}": write tulu:${s} to read it as TÜLU-format conversations (${ACCEPTED_DATA_SPECS})`);
  throw new Error(`Unknown data source "${spec}"; ${ACCEPTED_DATA_SPECS}`);
}
