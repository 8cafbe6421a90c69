// Tokenizing only as much of a text as its kept tokens can come from. Every text is cut to a fixed number of
// tokens after encoding (the source to its first maxSourceLength, a TÜLU context to its last maxLength), so
// one huge record (a 10 MB line) need not be tokenized whole, which costs gigabytes and many seconds.
//
// Why the cut is exact: no token covers more characters than the vocabulary's longest token, so a piece of
// `capChars(n)` characters holds more than n tokens (the factor 2 leaves room for normalizers that drop
// characters). The head is cut at a word end (a non-space before U+0020) and the tail starts at a word start;
// the pre-tokenizers of the models we load (byte-level BPE's regexes, Metaspace, SentencePiece BPE that splits
// on whitespace) never join a word with the space after it, so the tokens of the words before the cut are
// those of the whole text. A head and a tail are joined by one space, which reads as such a boundary too.
import type { TextTokenizer } from './types.js';

/** Characters that always hold more than `tokens` tokens of text for a vocabulary whose longest token has `longestTokenChars`. */
export function capChars(tokens: number, longestTokenChars: number): number {
  return 2 * (tokens + 1) * Math.max(1, longestTokenChars);
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/** Where a head of at least `chars` characters ends: the first word end from there, else 2 x chars (not inside a surrogate pair). */
function headEnd(text: string, chars: number): number {
  for (let i = chars; i < Math.min(text.length, 2 * chars); i++) {
    if (text[i] === ' ' && !isSpace(text[i - 1])) return i;
  }
  const end = Math.min(text.length, 2 * chars);
  return /[\uDC00-\uDFFF]/.test(text[end] ?? '') ? end - 1 : end;
}

/** Where a tail of at least `chars` characters starts: the last word start before that, else 2 x chars from the end. */
function tailStart(text: string, chars: number): number {
  for (let i = text.length - chars; i > Math.max(0, text.length - 2 * chars); i--) {
    if (text[i - 1] === ' ' && !isSpace(text[i])) return i;
  }
  const start = Math.max(0, text.length - 2 * chars);
  return /[\uDC00-\uDFFF]/.test(text[start] ?? '') ? start + 1 : start;
}

/**
 * `text`, or for a long one the part whose tokens are kept: 'head' keeps the start (the first `tokens` tokens
 * are exact), 'head-and-tail' the start and the end joined by a space (the first and the last `tokens` exact).
 * Either way the capped text has more than `tokens` tokens when the whole text does.
 */
export function capText(text: string, tokens: number, longestTokenChars: number, keep: 'head' | 'head-and-tail'): string {
  const chars = capChars(tokens, longestTokenChars);
  if (text.length <= 4 * chars) return text;
  const head = text.slice(0, headEnd(text, chars));
  return keep === 'head' ? head : `${head} ${text.slice(tailStart(text, chars))}`;
}

/** Token ids of each text whose first `maxTokens` are those of the whole text (see capText); callers cut them. */
export function encodeHeads(tokenizer: TextTokenizer, texts: string[], maxTokens: number): Promise<number[][]> {
  return tokenizer.encodeBatch(texts.map((t) => capText(t, maxTokens, tokenizer.longestTokenChars, 'head')));
}
