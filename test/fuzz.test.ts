// Fuzzing the readers of user files (issue 16, "Reliability").
//
// 1. The native fuzz target (scripts/fuzz/fuzz_io.cc): the safetensors header parser and the JSON reader of
//    native/io, built with AddressSanitizer + UndefinedBehaviorSanitizer (scripts/fuzz/build-native-fuzz.mjs,
//    about a minute on 2 cores when not built yet), run for a bounded time on mutations of the real fixtures.
//    PEFT_NATIVE_FUZZ_SECONDS / PEFT_NATIVE_FUZZ_SEED run it longer or elsewhere; PEFT_NATIVE_FUZZ_OUT builds it
//    into another folder than build/fuzz/.
// 2. A seeded JS fuzzer over the TypeScript readers of JSON / JSONL user files (SuperNI task files, TÜLU jsonl,
//    config.json): every outcome must be a success or the project's usage error (DataError / ConfigError, exit
//    code 2 in the CLI) in one printable line that names the file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { asDataError, DataError } from '../src/data/errors.js';
import { mulberry32, randomInt, type Random } from '../src/data/seeded-random.js';
import { readSuperNITask } from '../src/data/superni/task.js';
import { readConversations } from '../src/data/tulu/read.js';
import { ConfigError, readModelConfig } from '../src/models/config.js';
import { buildNativeFuzz } from '../scripts/fuzz/build-native-fuzz.mjs';
import { realDataDir, realFixturesDir, superniTasksDir } from './helpers/real-data.js';

const repoRoot = path.resolve(realFixturesDir, '..', '..');
const work = mkdtempSync(path.join(tmpdir(), 'pn-fuzz-'));

describe('native fuzz target: safetensors header and JSON reader under ASan + UBSan', () => {
  let binary = '';
  const seedDirs = ['test/fixtures/models', 'test/fixtures/peft-methods', 'test/fixtures/hf'].map((d) => path.join(repoRoot, d));
  // Sanitizer reports end the run with a non-zero status and a stack; leaks are reported too.
  const seconds = Number(process.env.PEFT_NATIVE_FUZZ_SECONDS ?? 30);
  const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' };

  beforeAll(async () => {
    const started = Date.now();
    binary = await buildNativeFuzz({ out: process.env.PEFT_NATIVE_FUZZ_OUT, quiet: true });
    console.log(`fuzz target ${binary} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 900_000);

  it('is instrumented by both sanitizers', () => {
    const symbols = spawnSync('nm', [binary], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(symbols.status).toBe(0);
    expect(symbols.stdout).toMatch(/__asan_init/);
    expect(symbols.stdout).toMatch(/__ubsan_handle_\w+_abort/);
  });

  it('runs thousands of mutated inputs without a crash, a sanitizer report or an unexpected exception, deep into both parsers', () => {
    const seed = process.env.PEFT_NATIVE_FUZZ_SEED ?? '16';
    const r = spawnSync(binary, ['--seed', seed, '--seconds', String(seconds), '--quiet', '--work', path.join(work, 'native'), ...seedDirs], {
      encoding: 'utf8',
      env,
      timeout: (seconds + 120) * 1000,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) console.error(output.slice(-8000));
    expect(r.status, output.slice(-4000)).toBe(0);
    expect(output).not.toMatch(/runtime error|AddressSanitizer|LeakSanitizer/);
    const m = /(\d+) inputs in [\d.]+ s \((\d+) seeds.*safetensors (\d+) rejected, (\d+) accepted \((\d+) tensors viewed from (\d+) files\); json (\d+) rejected, (\d+) accepted; (\d+) distinct outcomes/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const [inputs, seeds, stRejected, stAccepted, tensors, files, jsonRejected, jsonAccepted, outcomes] = m!.slice(1).map(Number) as [number, number, number, number, number, number, number, number, number];
    console.log(r.stdout.trim());
    expect(seeds).toBeGreaterThan(50); // the real fixtures were found
    expect(inputs).toBeGreaterThan(3000);
    // Both outcomes on both parsers: mutations reach past the header length into the JSON and the layout checks.
    expect(stRejected).toBeGreaterThan(inputs / 2);
    expect(stAccepted).toBeGreaterThan(50);
    expect(tensors).toBeGreaterThan(stAccepted);
    expect(files).toBe(inputs);
    expect(jsonRejected).toBeGreaterThan(0);
    expect(jsonAccepted).toBeGreaterThan(50);
    // Distinct rejection reasons (message shapes): well over the handful a shallow fuzzer would reach.
    expect(outcomes).toBeGreaterThan(40);
  }, (seconds + 180) * 1000);

  it('refuses hostile files in one printable line naming the file: bytes escaped, sizes unsigned, folders named as such', () => {
    const dir = path.join(work, 'edge');
    mkdirSync(dir, { recursive: true });
    const st = (name: string, header: string, data = Buffer.alloc(0)) => {
      const h = Buffer.from(header, 'latin1');
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(h.length));
      const file = path.join(dir, name);
      writeFileSync(file, Buffer.concat([len, h, data]));
      return file;
    };
    const files = {
      hugeShape: st('huge-shape.safetensors', '{"a":{"dtype":"F32","shape":[0,9223372036854775809],"data_offsets":[0,0]}}'),
      overflowShape: st('overflow.safetensors', '{"a":{"dtype":"F32","shape":[4611686018427387904,4,0],"data_offsets":[0,0]}}'),
      rawBytes: st('raw.safetensors', '{"a\\u0000\\u001b[31m\xff":{"dtype":"F\\u0000\\n","shape":[1],"data_offsets":[0,4]}}', Buffer.from('abcd')),
      badMetadata: st('meta.safetensors', '{"__metadata__":{"k\\r\\nx":1}}'),
      duplicate: st('dup.safetensors', '{"\\u0007":{},"\\u0007":{}}'),
      garbage: path.join(dir, 'garbage.safetensors'),
      text: path.join(dir, 'text.safetensors'),
      folder: path.join(dir, 'model.safetensors'),
    };
    writeFileSync(files.garbage, Buffer.from('\x08\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02garbage\x00\xff\x00\x00\x00', 'latin1'));
    writeFileSync(files.text, 'version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 1234\n');
    mkdirSync(files.folder, { recursive: true });
    const r = spawnSync(binary, ['--work', path.join(work, 'replay'), '--replay', ...Object.values(files)], { encoding: 'utf8', env, timeout: 120_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    // Output: the path, then "  open: <message>" (and for files "  safetensors: ..." and "  json: ...").
    const blocks = new Map<string, string>();
    for (const block of r.stdout.split(/\n(?=\S)/)) {
      const [file, ...rest] = block.split('\n');
      blocks.set(file!, rest.join('\n'));
    }
    const open = (file: string) => /^ {2}open: (.*)$/m.exec(blocks.get(file) ?? '')?.[1] ?? '';
    for (const file of Object.values(files)) {
      const message = open(file);
      expect(message, file).toContain(file);
      expect(message).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
    expect(open(files.hugeShape)).toMatch(/tensor "a": shape \[0, 9223372036854775809\] is too large/);
    expect(open(files.overflowShape)).toMatch(/shape \[4611686018427387904, 4, 0\] is too large/);
    expect(open(files.rawBytes)).toContain('tensor "a\\x00\\x1b[31m\\xff": unsupported dtype F\\x00\\x0a');
    expect(open(files.badMetadata)).toContain('__metadata__["k\\x0d\\x0ax"] is not a string');
    expect(open(files.duplicate)).toContain('duplicate key "\\x07"');
    expect(open(files.garbage)).toMatch(/header: invalid JSON: unexpected character at byte 0$/);
    expect(open(files.text)).toMatch(/: not a valid safetensors file: header length \d+ is implausibly large \(over 100000000 bytes; not a safetensors file\?\)$/);
    expect(open(files.folder)).toBe(`${files.folder} is a directory, not a safetensors file`);
  }, 180_000);
});

// ---- JS readers ------------------------------------------------------------------------------------------

const INTERESTING_BYTES = [0x00, 0x01, 0x08, 0x0a, 0x0d, 0x1b, 0x20, 0x22, 0x2c, 0x30, 0x3a, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d, 0x7f, 0x80, 0xc3, 0xe2, 0xed, 0xff];
const TOKENS = [
  'null', 'true', 'false', '0', '-1', '1e999', '-0', '0.5', '9007199254740993', 'NaN', 'Infinity', '-Infinity', '[]', '{}', '[[[[[[[[', ']]]]', ',', ':', '"',
  '"\\u0000"', '"a\\nb"', '"\\r\\n"', '"\\u001b[31mred"', '"\\ud800"', '"\\u2028"', '"__proto__"', '"constructor"', '\x00', '\n', '\r\n', '\u2028', '\x1b[2J',
];
// Values a field may be replaced by in a structural mutation.
const VALUES: unknown[] = [null, 0, -1, 1.5, 1e308, -1e-308, '', 'x\ny', '\u0000', '\u001b[31m', 'a'.repeat(300), [], {}, true, [null], [''], [[[]]], { input: 1 }, ['a\nb'], { ['__proto__']: 1 }];

/** JSON with a random path replaced, deleted or duplicated (keeps the rest of a real file intact). */
function mutateValue(value: unknown, random: Random, depth = 0): unknown {
  const pick = randomInt(random, 6);
  if (depth > 0 && pick === 0) return VALUES[randomInt(random, VALUES.length)];
  if (Array.isArray(value) && value.length > 0) {
    const copy = [...value];
    const i = randomInt(random, copy.length);
    if (pick === 1) copy.splice(i, 1);
    else if (pick === 2) copy.push(copy[i]);
    else copy[i] = mutateValue(copy[i], random, depth + 1);
    return copy;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return VALUES[randomInt(random, VALUES.length)];
    const i = randomInt(random, entries.length);
    if (pick === 1) entries.splice(i, 1);
    else if (pick === 2) entries[i] = [`${entries[i]![0]}${random() < 0.5 ? '\n' : ' '}`, entries[i]![1]];
    else entries[i] = [entries[i]![0], mutateValue(entries[i]![1], random, depth + 1)];
    return Object.fromEntries(entries);
  }
  return VALUES[randomInt(random, VALUES.length)];
}

/** Byte-level mutations: flips, interesting bytes, tokens, range deletes/duplicates, truncation. */
function mutateBytes(input: Buffer, random: Random): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + randomInt(random, 3);
  for (let r = 0; r < rounds; r++) {
    const at = randomInt(random, b.length + 1);
    switch (randomInt(random, 6)) {
      case 0:
        if (b.length) b[randomInt(random, b.length)]! ^= 1 << randomInt(random, 8);
        break;
      case 1:
        if (b.length) b[randomInt(random, b.length)] = INTERESTING_BYTES[randomInt(random, INTERESTING_BYTES.length)]!;
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(TOKENS[randomInt(random, TOKENS.length)]!, 'utf8'), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + randomInt(random, 64)))]);
        break;
      case 4: {
        const piece = b.subarray(at, at + 1 + randomInt(random, 128));
        b = Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
        break;
      }
      default:
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

interface Finding {
  reader: string;
  iteration: number;
  problem: string;
  message: string;
  input: string;
}

/** What is wrong with an error from `reader` reading `file` (null when it is the expected kind of error). */
function problemOf(err: unknown, file: string, expected: abstract new (...args: never[]) => Error): string | null {
  if (!(err instanceof expected)) return `threw ${err instanceof Error ? err.constructor.name : typeof err} instead of ${expected.name}`;
  const message = err.message;
  if (/[\r\n\u2028\u2029]/.test(message)) return 'message spans several lines';
  if (/[\u0000-\u001f\u007f]/.test(message)) return 'message holds raw control characters';
  if (!message.includes(file)) return 'message does not name the file';
  return null;
}

/**
 * Runs `iterations` mutations of `seeds` through `read` (after the mapping the CLI applies), collecting findings;
 * returns them with the count of accepted inputs.
 */
async function fuzzReader(options: {
  reader: string;
  seeds: Buffer[];
  seed: number;
  iterations: number;
  extension: string;
  structural: (input: Buffer, random: Random) => Buffer;
  read: (file: string) => Promise<unknown>;
  expected: abstract new (...args: never[]) => Error;
}): Promise<{ findings: Finding[]; accepted: number; rejected: number }> {
  const random = mulberry32(options.seed);
  const dir = path.join(work, options.reader);
  mkdirSync(dir, { recursive: true });
  const findings: Finding[] = [];
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < options.iterations; i++) {
    const seed = options.seeds[randomInt(random, options.seeds.length)]!;
    let input = i < options.seeds.length ? options.seeds[i]! : random() < 0.5 ? options.structural(seed, random) : mutateBytes(seed, random);
    if (i >= options.seeds.length && random() < 0.3) input = mutateBytes(input, random);
    // A fresh name each time: a reader may cache by path.
    const file = path.join(dir, `input-${i}${options.extension}`);
    writeFileSync(file, input);
    let problem: string | null = null;
    try {
      await options.read(file);
      accepted++;
    } catch (err) {
      rejected++;
      problem = problemOf(err, file, options.expected);
      if (problem) findings.push({ reader: options.reader, iteration: i, problem, message: String((err as Error)?.message ?? err), input: file });
    }
    // Only the inputs of findings stay, for replay.
    if (!problem) rmSync(file);
  }
  return { findings, accepted, rejected };
}

/** One line per distinct problem, with the first example (the file stays in the temp folder for replay). */
function summarize(findings: Finding[]): string[] {
  const byProblem = new Map<string, Finding>();
  for (const f of findings) if (!byProblem.has(f.problem)) byProblem.set(f.problem, f);
  return [...byProblem.values()].map((f) => `${f.reader}: ${f.problem} (first at iteration ${f.iteration}, ${f.input}): ${JSON.stringify(f.message.slice(0, 300))}`);
}

const structuralJson = (input: Buffer, random: Random): Buffer => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.toString('utf8'));
  } catch {
    return mutateBytes(input, random);
  }
  return Buffer.from(JSON.stringify(mutateValue(parsed, random), null, random() < 0.5 ? 1 : undefined));
};

const structuralJsonl = (input: Buffer, random: Random): Buffer => {
  const lines = input.toString('utf8').split('\n');
  const i = randomInt(random, lines.length);
  const op = randomInt(random, 4);
  if (op === 0) lines.splice(i, 0, ['', '   ', '\r', '{}', '[]', 'null', '"text"', '{"messages": []}'][randomInt(random, 8)]!);
  else if (op === 1) lines[i] = lines[i]!.replace(/\r?$/, '\r');
  else {
    try {
      lines[i] = JSON.stringify(mutateValue(JSON.parse(lines[i]!), random));
    } catch {
      lines[i] = mutateBytes(Buffer.from(lines[i]!), random).toString('latin1');
    }
  }
  return Buffer.from(lines.join('\n'));
};

describe('JS readers of JSON / JSONL user files: every failure is a one-line usage error naming the file', () => {
  const runs = new Map<string, Awaited<ReturnType<typeof fuzzReader>>>();
  const ITERATIONS = Number(process.env.PEFT_NATIVE_FUZZ_JS_ITERATIONS ?? 800);

  beforeAll(async () => {
    // SuperNI: the smallest real task file, whole and cut to a few instances (faster to mutate, same shape).
    const task = readFileSync(path.join(superniTasksDir, 'task1191_food_veg_nonveg.json'));
    const small = JSON.parse(task.toString('utf8')) as Record<string, unknown>;
    small['Instances'] = (small['Instances'] as unknown[]).slice(0, 4);
    // An edge seed: instance ids holding a line break and a NUL (valid JSON; the duplicate makes it an error).
    const hostile = { ...small, Instances: [0, 1].map(() => ({ id: 'id\n\u0000', input: 'x', output: ['y'] })) };
    const superniSeeds = [task, Buffer.from(JSON.stringify(small, null, 4)), Buffer.from(JSON.stringify(small)), Buffer.from(JSON.stringify(hostile))];
    runs.set('superni', await fuzzReader({
      reader: 'readSuperNITask', seeds: superniSeeds, seed: 16, iterations: ITERATIONS, extension: '.json', structural: structuralJson,
      // The data pipeline maps the readers' plain Errors to DataError (asDataError); anything else is a bug.
      read: async (file) => {
        try {
          return await readSuperNITask(file);
        } catch (err) {
          throw asDataError(err);
        }
      },
      expected: DataError,
    }));

    const tulu = readFileSync(path.join(realDataDir, 'tulu', 'tulu_human_eval_messages.jsonl')).toString('utf8').split('\n');
    // Edge seed: a role with DEL (JSON.stringify leaves it raw) and one with a Unicode line separator.
    const tuluSeeds = [
      Buffer.from(tulu.slice(0, 3).join('\n') + '\n'),
      Buffer.from(tulu.slice(3, 8).join('\n')),
      Buffer.from(`${tulu[0]}\n{"messages": [{"role": "user\\u007f", "content": "x"}]}\n{"messages": [{"role": "\\u2028user", "content": "x"}]}\n`),
    ];
    runs.set('tulu', await fuzzReader({
      reader: 'readConversations', seeds: tuluSeeds, seed: 17, iterations: ITERATIONS, extension: '.jsonl', structural: structuralJsonl,
      read: async (file) => {
        try {
          return await readConversations(file);
        } catch (err) {
          throw asDataError(err);
        }
      },
      expected: DataError,
    }));

    const modelsDir = path.join(realFixturesDir, 'models');
    const configSeeds = readdirSync(modelsDir)
      .sort()
      .map((d) => path.join(modelsDir, d, 'config.json'))
      .filter((f) => { try { readFileSync(f); return true; } catch { return false; } })
      .map((f) => readFileSync(f));
    runs.set('config', await fuzzReader({
      reader: 'readModelConfig', seeds: configSeeds, seed: 18, iterations: ITERATIONS, extension: '.json', structural: structuralJson,
      read: (file) => readModelConfig(file), expected: ConfigError,
    }));
    // Every distinct finding (message shape: the file, digits and quoted text dropped), for whoever fixes them.
    for (const run of runs.values()) {
      const seen = new Set<string>();
      for (const f of run.findings) {
        const shape = `${f.problem}: ${f.message
          .split(f.input)
          .join('<file>')
          .replace(/(Unexpected token|Unexpected non-whitespace)[\s\S]*$/, '$1 …')
          .replace(/\d+/g, 'N')
          .replace(/"[^"\n]*"/g, '"…"')
          .slice(0, 120)}`;
        if (seen.has(shape)) continue;
        seen.add(shape);
        console.log(`finding: ${f.reader} (iteration ${f.iteration}, ${f.input}): ${f.problem}: ${JSON.stringify(f.message.slice(0, 400))}`);
      }
    }
  }, 120_000);

  it('the fuzzer reaches both outcomes on every reader', () => {
    for (const [name, run] of runs) {
      expect(run.accepted + run.rejected, name).toBe(ITERATIONS);
      expect(run.accepted, name).toBeGreaterThan(10);
      expect(run.rejected, name).toBeGreaterThan(ITERATIONS / 4);
    }
  });

  // Issue 16: expected to fail until the readers stop echoing raw input into their messages (see the
  // findings printed above; the lead fixes src/).
  it('readSuperNITask (issue 16): a DataError in one printable line naming the file', () => {
    expect(summarize(runs.get('superni')!.findings)).toEqual([]);
  });

  it('readConversations (issue 16): a DataError in one printable line naming the file', () => {
    expect(summarize(runs.get('tulu')!.findings)).toEqual([]);
  });

  it('readModelConfig (issue 16): a ConfigError in one printable line naming the file', () => {
    expect(summarize(runs.get('config')!.findings)).toEqual([]);
  });
});
