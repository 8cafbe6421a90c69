// The bad-input corpus (test/bad-inputs/, documented in its README): every input a user can get wrong gives one
// `error: ` line on stderr naming the file and the field or flag, exit code 2, no crash, and leaves every file that
// was there before byte-identical. Unicode paths that are fine succeed like their ASCII twins (exit 0).
// Two cases at a time (each CLI process uses one thread).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileCliIfMissing } from './helpers/cli.js';
import { badInputCases } from './bad-inputs/index.js';
import { problems } from './bad-inputs/check-output.js';
import { pool, runCliAsync } from './bad-inputs/run-cli.js';
import { removeSeedRun } from './bad-inputs/seed-run.js';
import { changedEntries, hashTree } from './bad-inputs/tree-hash.js';

const twoAtATime = pool(2);
/** A case that runs longer than this hangs (a good one takes a second or two). */
const CASE_TIMEOUT_MS = 15_000;

beforeAll(compileCliIfMissing);
afterAll(removeSeedRun);

describe('the bad-input corpus', () => {
  it('has at least 129 cases with unique ids, each documented in test/bad-inputs/README.md with its exit code', () => {
    expect(badInputCases.length).toBeGreaterThanOrEqual(129);
    const ids = badInputCases.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const readme = readFileSync(path.join(import.meta.dirname, 'bad-inputs/README.md'), 'utf8');
    const documented = new Map([...readme.matchAll(/^\| `([^`]+)` \| (\d) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect([...documented.keys()].sort()).toEqual([...ids].sort());
    for (const c of badInputCases) expect(documented.get(c.id), c.id).toBe(c.exit);
  });
});

describe.concurrent('bad inputs through the CLI', () => {
  it.each(badInputCases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pn-bad-'));
    const { args, run, before, after } = await twoAtATime(async () => {
      const args = await c.setup(dir);
      const before = hashTree(dir);
      const run = await runCliAsync(args, dir, CASE_TIMEOUT_MS);
      return { args, run, before, after: hashTree(dir) };
    });
    const detail = `${c.id}: peft-native ${args.join(' ')}\nexit ${run.code}${run.signal ? ` (${run.signal})` : ''}, stderr: ${JSON.stringify(run.stderr.slice(0, 300))}`;
    expect(problems(c, run), detail).toEqual([]);
    expect(changedEntries(before, after), `${detail}\nfiles that were there before`).toEqual([]);
    rmSync(dir, { recursive: true, force: true }); // a failing case's folder stays, to look at
  });
});
