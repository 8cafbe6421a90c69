// The one rule for what the command line calls bad input. A UsageError is something the user can fix: a flag, a
// file, a folder, a config field. Its message names the culprit, and the CLI prints it as one line and exits
// with 2. The addon's bad-input errors (pn::UserError) arrive with a code instead, see
// src/native/native-errors.ts. Anything else is a failure while running (exit 1).
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
