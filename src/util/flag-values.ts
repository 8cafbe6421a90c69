// Parsers of flag values, shared by the CLI and the method records (src/peft/<method>.ts) that declare their
// own flags: decimal notation only, and one line saying what the value must be.
import { UsageError } from './usage-error.js';

/** A flag value that does not parse; the CLI reports it as commander's invalid-argument error. */
export class FlagValueError extends UsageError {}

export function integerValue(min: number, what: string): (text: string) => number {
  return (text) => {
    const v = text.trim();
    if (!/^[+-]?\d+$/.test(v)) throw new FlagValueError(`${what} must be an integer >= ${min}.`);
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new FlagValueError(`${what} must be an integer >= ${min}.`);
    return n;
  };
}

export function numberValue(what: string, check: (n: number) => boolean, rule: string): (text: string) => number {
  return (text) => {
    const v = text.trim();
    // Decimal notation only: Number() would also take 0x10, 0b1 and 0o7.
    const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v) ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new FlagValueError(`${what} must be a number.`);
    if (!check(n)) throw new FlagValueError(`${what} must be ${rule}.`);
    return n;
  };
}

/** A comma list of names (empty entries dropped). */
export function listValue(text: string): string[] {
  return text.split(',').map((m) => m.trim()).filter((m) => m.length > 0);
}
