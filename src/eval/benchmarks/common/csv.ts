// CSV records as pandas.read_csv's C tokenizer reads them with its defaults (open-instruct reads MMLU and
// TruthfulQA with pandas): comma-separated, '"' quotes with "" for a quote inside, quoted fields may span lines,
// a quote inside an unquoted field is an ordinary character, text after a closing quote joins the field, lines
// end in \n, \r\n or \r, empty and whitespace-only lines are skipped, a UTF-8 BOM at the start is dropped.
// Every record keeps the 1-based line it starts on, for error messages.
import { DataError } from '../../../data/errors.js';

export interface CsvRecord {
  fields: string[];
  line: number;
}

// skip_blank_lines: a line of nothing but spaces and tabs is no record (sticky: tried at one position only).
const BLANK_LINE = /[ \t]*(\r\n|\r|\n)/y;
const BLANK_TAIL = /[ \t]*$/y;

/** Where the tokenizer is: before a field, inside an unquoted one, inside quotes, just after a quote inside quotes. */
type State = 'startField' | 'inField' | 'inQuoted' | 'quoteInQuoted';

/** The records of `text` (see the file comment); `file` names the file in errors. */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const src = text.startsWith('\ufeff') ? text.slice(1) : text;
  let fields: string[] = [];
  let field = '';
  let state: State = 'startField';
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  let i = 0;
  const endField = (): void => {
    fields.push(field);
    field = '';
  };
  const endRecord = (): void => {
    endField();
    records.push({ fields, line: recordLine });
    fields = [];
    state = 'startField';
  };
  while (i < src.length) {
    const atRecordStart = state === 'startField' && fields.length === 0 && field === '';
    if (atRecordStart) {
      BLANK_LINE.lastIndex = i;
      const blank = BLANK_LINE.exec(src);
      if (blank) {
        i += blank[0].length;
        line++;
        continue;
      }
      BLANK_TAIL.lastIndex = i;
      if (BLANK_TAIL.test(src)) break;
      recordLine = line;
    }
    const c = src[i]!;
    const newline = c === '\n' || c === '\r' ? (c === '\r' && src[i + 1] === '\n' ? 2 : 1) : 0;
    if (state === 'inQuoted') {
      if (c === '"') state = 'quoteInQuoted';
      else field += c;
      if (c === '\n' || (c === '\r' && src[i + 1] !== '\n')) line++;
      i++;
      continue;
    }
    if (state === 'quoteInQuoted' && c === '"') {
      field += '"';
      state = 'inQuoted';
      i++;
      continue;
    }
    if (c === ',') {
      endField();
      state = 'startField';
    } else if (newline > 0) {
      endRecord();
      line++;
      i += newline;
      continue;
    } else if (state === 'startField' && c === '"') {
      state = 'inQuoted';
      quoteLine = line;
    } else {
      field += c;
      state = 'inField';
    }
    i++;
  }
  if (state === 'inQuoted') throw new DataError(`${file} line ${quoteLine}: a quoted field is never closed (EOF inside string)`);
  if (state !== 'startField' || fields.length > 0 || field !== '') endRecord();
  return records;
}
