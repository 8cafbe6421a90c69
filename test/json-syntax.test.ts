// Messages about files that are not JSON never quote the file's bytes (V8 quotes the text around the error).
import { describe, expect, it } from 'vitest';
import { jsonSyntaxProblem } from '../src/util/json-syntax.js';

function problem(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return jsonSyntaxProblem(err);
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

describe('jsonSyntaxProblem', () => {
  it('names a bad first character by code point and quotes nothing of a binary file', () => {
    expect(problem('\u0000\u0003garbage')).toBe('unexpected character U+0000');
    expect(problem(']B\ufffd\u0013')).toBe("unexpected character ']'");
    expect(problem('\ufffd\ufffd')).toBe('unexpected character U+FFFD');
  });

  it('keeps positions and the kind of error, and only printable ASCII', () => {
    expect(problem('{"a": 1')).toMatch(/position 7$/);
    expect(problem('{"a": 1} x')).toMatch(/^Unexpected non-whitespace character after JSON at position 9/);
    expect(problem('')).toBe('Unexpected end of JSON input');
    for (const text of ['{"\u0001": 1', '[1, \u00e9]', '{"a": "\u0000"}', '\u{1F917}']) expect(problem(text)).toMatch(/^[\x20-\x7e]+$/);
  });
});
