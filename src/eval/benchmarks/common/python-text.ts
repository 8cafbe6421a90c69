// Python's str behaviour where open-instruct's evaluation code depends on it: strip() and split() with no
// argument (str.isspace characters, not JavaScript's \s), and text-mode open()'s universal newlines.
import { PY_WHITESPACE, pythonStrip } from '../../../data/superni/prompt.js';

export { pythonStrip };

/** str.split() with no argument: runs of whitespace separate, and leading or trailing whitespace gives no piece. */
export function pythonSplit(text: string): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const ch of text) {
    if (!PY_WHITESPACE.has(ch)) {
      current += ch;
    } else if (current !== '') {
      pieces.push(current);
      current = '';
    }
  }
  if (current !== '') pieces.push(current);
  return pieces;
}

/** What Python reads from a file opened in text mode: "\r\n" and a lone "\r" become "\n". */
export function universalNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
