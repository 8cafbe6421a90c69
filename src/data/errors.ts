// A data input that cannot be used (a bad spec, a malformed task or jsonl file, impossible options): the CLI
// reports it in one line with exit code 2.
import { UsageError } from '../util/usage-error.js';
export class DataError extends UsageError {}

/** Plain Errors (the loaders' validation errors) become DataErrors; programming errors (TypeError, ...) pass. */
export function asDataError(err: unknown): unknown {
  return err instanceof Error && err.constructor === Error ? new DataError(err.message) : err;
}
