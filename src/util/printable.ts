// Text from a user's file, made safe to print in a one-line message: nothing that moves the cursor, rings, clears
// or colours the terminal, no line breaks, and no U+FFFD (what invalid UTF-8, a binary file, decodes to).

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g;

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with unprintable characters escaped (\xNN, \uNNNN), cut to `max` characters with "..." after. */
export function printable(text: string, max = Number.POSITIVE_INFINITY): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return cut.replace(UNPRINTABLE, escape);
}

/** A message as one printable line: line breaks become "; ", everything else unprintable is escaped. */
export function oneLine(message: string): string {
  return printable(message.trim().replace(/\s*(\r\n|\r|\n)\s*/g, '; '));
}
