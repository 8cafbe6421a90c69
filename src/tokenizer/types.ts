// The tokenizer surface the rest of the product uses (implemented over HF tokenizer.json).
import { UsageError } from '../util/usage-error.js';

/** A tokenizer folder or file that cannot be used (missing, not JSON, a special token not in the vocabulary). */
export class TokenizerError extends UsageError {}
export interface TextTokenizer {
  /** Token ids of `text`, without special tokens added. */
  encode(text: string): Promise<number[]>;
  /** Token ids of each text, without special tokens added (one call for the whole list). */
  encodeBatch(texts: string[]): Promise<number[][]>;
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  vocabSize: number;
  /** Length (UTF-16 units) of the longest token in the vocabulary: no token covers more of a text (text-cap.ts). */
  readonly longestTokenChars: number;
  bosId: number | null;
  eosId: number;
  /** Padding id used in input_ids (falls back to EOS when the tokenizer has no pad token). */
  padId: number;
  /** Folder or description it came from, for messages. */
  source: string;
}
