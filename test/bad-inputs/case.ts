// One bad input: how to make it in a fresh folder, the command that reads it, and what the CLI must answer.

export type Category =
  | 'safetensors'
  | 'config'
  | 'tokenizer'
  | 'superni'
  | 'tulu'
  | 'flags'
  | 'adapter'
  | 'resume'
  | 'output'
  | 'unicode'
  | 'token-ids';

export interface BadInputCase {
  /** Unique, stable: `<category>/<what>`. */
  id: string;
  category: Category;
  /** What is wrong, in a few words (README table). */
  what: string;
  /** Makes the input inside `dir` (a fresh, empty temp folder) and returns the CLI arguments. */
  setup: (dir: string) => Promise<string[]> | string[];
  /** The documented exit code: 2 for bad input; 0 where the input is fine (unicode paths). */
  exit: 0 | 2;
  /**
   * What the single `error: ` line must name (each entry must match): the file's basename and the field, tensor or
   * flag. Ignored when exit is 0.
   */
  culprit: Array<string | RegExp>;
}
