// The text open-instruct puts in a prompt for a CSV cell: pandas.read_csv's default type inference per column,
// then "{}".format(value). A column whose cells all parse as integers is int64 ("007" -> "7"); one that parses
// as numbers is float64, written as Python's repr ("2" -> "2.0", "1e-5" -> "1e-05", "Infinity" -> "inf"; an
// overflowing "1e400" is no number to it);
// one of True/TRUE/true/False/FALSE/false is bool ("TRUE" -> "True"); anything else stays text. Missing values
// (an empty cell, "NA", "N/A", "null", "nan", "None", ... pandas' default na_values, pandas >= 2.0 adding
// "None") read as NaN, written "nan", and turn an integer column into float64. Inference looks at the whole
// column of the file, so one text cell keeps every number of its column as written.
import { pythonFloatRepr } from './python-float.js';

export const PANDAS_NA_VALUES: ReadonlySet<string> = new Set([
  '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA',
  'NULL', 'NaN', 'None', 'n/a', 'nan', 'null',
]);

const TRUE_VALUES = new Set(['True', 'TRUE', 'true']);
const FALSE_VALUES = new Set(['False', 'FALSE', 'false']);
// pandas' C parser trims ASCII whitespace around numbers (str_to_int64, xstrtod), never around text.
const INTEGER = /^[ \t\n\v\f\r]*[+-]?[0-9]+[ \t\n\v\f\r]*$/;
const DECIMAL = /^[ \t\n\v\f\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\v\f\r]*$/;
const INFINITY = /^[+-]?(inf|infinity)$/i;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

export function isPandasNa(cell: string): boolean {
  return PANDAS_NA_VALUES.has(cell);
}

function parseFloatCell(cell: string): number | null {
  if (DECIMAL.test(cell)) {
    const value = Number(cell.trim());
    return Number.isFinite(value) ? value : null; // pandas' parser rejects an overflowing "1e400"
  }
  if (INFINITY.test(cell)) return cell.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return null;
}

/** One column as pandas infers it, each cell as "{}".format writes the parsed value. */
export function renderColumn(cells: readonly string[]): string[] {
  const na = cells.map(isPandasNa);
  const present = cells.filter((_, i) => !na[i]);
  const hasNa = na.some(Boolean);
  if (present.length > 0 && present.every((c) => INTEGER.test(c))) {
    const ints = present.map((c) => BigInt(c.trim()));
    const fits = ints.every((v) => v >= INT64_MIN && v <= UINT64_MAX);
    if (fits && !hasNa) return cells.map((c) => BigInt(c.trim()).toString());
  }
  const floats = present.map(parseFloatCell);
  if (present.length === 0 || floats.every((v) => v !== null)) {
    return cells.map((c) => (isPandasNa(c) ? 'nan' : pythonFloatRepr(parseFloatCell(c)!)));
  }
  if (present.every((c) => TRUE_VALUES.has(c) || FALSE_VALUES.has(c))) {
    return cells.map((c) => (isPandasNa(c) ? 'nan' : TRUE_VALUES.has(c) ? 'True' : 'False'));
  }
  return cells.map((c) => (isPandasNa(c) ? 'nan' : c));
}

/** Every column of `rows` (all of one width) rendered by renderColumn, back in row order. */
export function renderTable(rows: readonly (readonly string[])[]): string[][] {
  const width = rows[0]?.length ?? 0;
  const columns = Array.from({ length: width }, (_, j) => renderColumn(rows.map((r) => r[j]!)));
  return rows.map((_, i) => columns.map((col) => col[i]!));
}
