// Splitting text on a tokenizer.json's added tokens, as huggingface/tokenizers `AddedVocabulary`
// (tokenizer/added_vocabulary.rs, find_matches) does: leftmost-longest matches, honoring single_word,
// lstrip and rstrip; each match becomes its token id, the text between matches goes on to the model.

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/** A piece of the input: either an added token (id set) or text for normalization and the model. */
export interface Segment {
  text: string;
  /** Start offset (UTF-16 code units) of the piece in the string that was split. */
  start: number;
  tokenId: number | null;
}

// Rust's char::is_alphanumeric (Alphabetic or Numeric) plus '_', and char::is_whitespace (White_Space).
const isWordChar = (ch: string): boolean => /[\p{Alphabetic}\p{N}_]/u.test(ch);
const isWhitespace = (ch: string): boolean => /\p{White_Space}/u.test(ch);

export class AddedTokenMatcher {
  /** Tokens grouped by their first UTF-16 unit, longest content first (leftmost-longest matching). */
  private readonly byFirstUnit = new Map<string, AddedTokenJson[]>();

  /** `patterns[i]` is the text matched for `tokens[i]` (the normalized content for normalized tokens). */
  constructor(tokens: AddedTokenJson[], patterns: string[] = tokens.map((t) => t.content)) {
    tokens.forEach((token, i) => {
      const pattern = patterns[i] ?? token.content;
      if (pattern.length === 0) return;
      const entry = { ...token, content: pattern };
      const list = this.byFirstUnit.get(pattern[0]!) ?? [];
      list.push(entry);
      this.byFirstUnit.set(pattern[0]!, list);
    });
    for (const list of this.byFirstUnit.values()) list.sort((a, b) => b.content.length - a.content.length);
  }

  get isEmpty(): boolean {
    return this.byFirstUnit.size === 0;
  }

  split(text: string): Segment[] {
    if (this.isEmpty || text.length === 0) return [{ text, start: 0, tokenId: null }];
    const segments: Segment[] = [];
    let consumed = 0; // end of the last emitted token
    let scan = 0;
    while (scan < text.length) {
      const match = this.matchAt(text, scan);
      if (!match) {
        scan++;
        continue;
      }
      let start = scan;
      let stop = scan + match.content.length;
      if (match.single_word) {
        const startOk = start === 0 || !isWordChar(lastChar(text.slice(0, start)));
        const stopOk = stop === text.length || !isWordChar(firstChar(text.slice(stop)));
        if (!startOk || !stopOk) {
          scan = stop; // the matcher's iteration resumes after the rejected match, as aho-corasick does
          continue;
        }
      }
      if (match.lstrip) {
        let s = start;
        while (s > consumed && isWhitespace(text[s - 1]!)) s--;
        start = s;
      }
      if (match.rstrip) {
        while (stop < text.length && isWhitespace(text[stop]!)) stop++;
      }
      if (consumed < start) segments.push({ text: text.slice(consumed, start), start: consumed, tokenId: null });
      segments.push({ text: text.slice(start, stop), start, tokenId: match.id });
      consumed = stop;
      scan = stop;
    }
    if (consumed < text.length) segments.push({ text: text.slice(consumed), start: consumed, tokenId: null });
    return segments;
  }

  private matchAt(text: string, pos: number): AddedTokenJson | undefined {
    const candidates = this.byFirstUnit.get(text[pos]!);
    return candidates?.find((t) => text.startsWith(t.content, pos));
  }
}

function lastChar(s: string): string {
  const chars = Array.from(s);
  return chars[chars.length - 1] ?? '';
}

function firstChar(s: string): string {
  return Array.from(s)[0] ?? '';
}
