// Reading the fields of a Hugging Face config.json: typed getters with the transformers defaults, and one
// error type whose message names the file and the field.
import { UsageError } from '../util/usage-error.js';
/** A config.json that cannot be used: the message names the file and the field. */
export class ConfigError extends UsageError {}

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class FieldReader {
  constructor(
    private readonly raw: Json,
    readonly file: string,
  ) {}

  fail(field: string, problem: string): never {
    throw new ConfigError(`${this.file}: ${field} ${problem}`);
  }

  has(field: string): boolean {
    return this.raw[field] !== undefined && this.raw[field] !== null;
  }

  get(field: string): unknown {
    return this.raw[field];
  }

  /** A positive integer; `fallback` when absent (undefined = required). */
  positiveInt(field: string, fallback?: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(field, 'is missing (a positive integer is required)');
      return fallback;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }

  nonNegativeInt(field: string, fallback: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(field, `must be a non-negative integer, got ${JSON.stringify(v)}`);
    return v;
  }

  positiveNumber(field: string, fallback: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(field, `must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  }

  nonNegativeNumber(field: string, fallback: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.fail(field, `must be a non-negative number, got ${JSON.stringify(v)}`);
    return v;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
}
