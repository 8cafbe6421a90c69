// What a case's stderr/stdout must look like: one `error: ` line naming the culprit, nothing a terminal would
// interpret, no stack trace.
import type { BadInputCase } from './case.js';
import type { CliRun } from './run-cli.js';

/** C0 controls other than tab and newline, DEL, C1 controls, and U+FFFD (bytes that were not UTF-8). */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/u;

export function problems(c: BadInputCase, r: CliRun): string[] {
  const found: string[] = [];
  if (r.signal !== null) found.push(`killed by ${r.signal}`);
  if (r.code !== c.exit) found.push(`exit code ${r.code}, documented ${c.exit}`);
  if (/\n\s+at .+[:(]/.test(r.stderr + r.stdout)) found.push('a stack trace');
  if (RAW.test(r.stderr) || RAW.test(r.stdout)) found.push('control characters or raw bytes in the output');
  if (/\[enforce fail|c10::|Exception raised from|terminate called|Aborted|Segmentation fault|core dumped/.test(r.stderr)) found.push('libtorch/runtime text in stderr');
  if (c.exit === 0) {
    if (/error/i.test(r.stderr)) found.push('an error on stderr');
    return found;
  }
  const lines = r.stderr.split('\n');
  if (lines.length !== 2 || lines[1] !== '') found.push(`stderr has ${r.stderr.split('\n').filter((l) => l !== '').length} lines, not exactly one`);
  const first = lines[0] ?? '';
  if (!first.startsWith('error: ')) found.push('stderr does not start with "error: "');
  for (const want of c.culprit) {
    const ok = typeof want === 'string' ? first.includes(want) : want.test(first);
    if (!ok) found.push(`the error line does not name ${String(want)}`);
  }
  return found;
}
