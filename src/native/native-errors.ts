// Errors from the addon: native code throws UserError for bad input (a corrupt or truncated file, token ids
// outside the vocabulary, an impossible option), which reaches JS as an Error with this code. The CLI reports
// those as bad input (exit code 2). Needs no addon, so the CLI entry can import it cheaply.
export const NATIVE_USER_ERROR_CODE = 'PEFT_NATIVE_USER_ERROR';

export function isNativeUserError(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === NATIVE_USER_ERROR_CODE;
}
