// What is wrong with a file that is not JSON, in words that never echo its bytes: V8's JSON.parse messages quote
// the text around the error (`Unexpected token '\u0000', "\u0000\u0003..." is not valid JSON`), which for a
// garbage or binary file puts raw bytes on the user's terminal.

/** The printable form of one character: itself when printable ASCII, else its code point (U+FFFD). */
function describeChar(c: string): string {
  return /^[\x21-\x7e]$/.test(c) ? `'${c}'` : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The reason a JSON.parse failed, without quoting the text (the position is kept). */
export function jsonSyntaxProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const token = /^Unexpected token '(.+?)', (?:"[\s\S]*" is not valid JSON|[\s\S]*)$/u.exec(message);
  if (token) return `unexpected character ${describeChar(token[1]!)}`;
  if (/^"[\s\S]*" is not valid JSON$/.test(message)) return 'not JSON';
  // The other V8 messages name a position and no text ("Unexpected end of JSON input", "... at position 43").
  return message.replace(/[^\x20-\x7e]/g, (c) => describeChar(c));
}
