// The shared pieces of src/eval/benchmarks against the real Python, numpy and pandas behaviour they reproduce
// (test/fixtures/benchmarks/expected/common.json, made by scripts/fixtures/benchmarks/make_fixtures.py).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PythonRandom } from '../src/data/python-random.js';
import { DataError } from '../src/data/errors.js';
import { pythonSample } from '../src/eval/benchmarks/common/python-sample.js';
import { numpyPermutation, pandasSamplePositions } from '../src/eval/benchmarks/common/numpy-random.js';
import { pythonFloatRepr } from '../src/eval/benchmarks/common/python-float.js';
import { renderColumn } from '../src/eval/benchmarks/common/pandas-values.js';
import { parseCsv } from '../src/eval/benchmarks/common/csv.js';
import { exactMatchPair, exactMatchScore } from '../src/eval/benchmarks/common/exact-match.js';
import { appendCue, tuluChatWrap } from '../src/eval/benchmarks/common/chat.js';
import { argmaxFirst, scoreContinuations } from '../src/eval/benchmarks/common/scoring.js';
import { pythonSplit, universalNewlines } from '../src/eval/benchmarks/common/python-text.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/benchmarks/expected/common.json'), 'utf8')) as {
  python_sample: Array<{ seed: number; n: number; ks: number[]; draws: number[][] }>;
  numpy_permutation: Array<{ seed: number; n: number; permutation: number[] }>;
  pandas_sample: Array<{ n: number; k: number; positions: number[] }>;
  float_repr: Array<{ text: string; repr: string }>;
  render_columns: Array<{ cells: string[]; rendered: string[] }>;
  csv: Array<{ text: string; rows: string[][] }>;
  exact_match: { pairs: Array<{ prediction: string; reference: string; match: boolean }>; score: number };
};

describe('random.sample', () => {
  it('draws what CPython draws, in both of its branches and for a seed above 2^32', () => {
    for (const c of expected.python_sample) {
      const rng = new PythonRandom(c.seed);
      const population = Array.from({ length: c.n }, (_, i) => i);
      expect(c.ks.map((k) => pythonSample(rng, population, k))).toEqual(c.draws);
    }
  });

  it('refuses a sample larger than the population', () => {
    expect(() => pythonSample(new PythonRandom(1), [1, 2], 3)).toThrow(/larger than population/);
  });
});

describe("numpy's legacy RandomState and pandas' DataFrame.sample", () => {
  it('permutes as RandomState(seed).permutation(n)', () => {
    for (const c of expected.numpy_permutation) expect(numpyPermutation(c.n, c.seed)).toEqual(c.permutation);
  });

  it('picks the rows DataFrame.sample(k, random_state=42) picks, in its order', () => {
    for (const c of expected.pandas_sample) expect(pandasSamplePositions(c.n, c.k, 42)).toEqual(c.positions);
  });
});

describe('Python float repr', () => {
  it('writes floats as repr(float(text))', () => {
    for (const c of expected.float_repr) expect(pythonFloatRepr(Number(c.text)), c.text).toBe(c.repr);
  });

  it('writes nan and the infinities as Python does', () => {
    expect([NaN, Infinity, -Infinity].map(pythonFloatRepr)).toEqual(['nan', 'inf', '-inf']);
  });
});

describe('pandas cell rendering', () => {
  it('infers each column as pandas.read_csv does and formats it as "{}".format', () => {
    for (const c of expected.render_columns) expect(renderColumn(c.cells), JSON.stringify(c.cells)).toEqual(c.rendered);
  });
});

describe('CSV parsing', () => {
  it('reads records as pandas C tokenizer does (quotes, BOM, line endings, blank lines)', () => {
    for (const c of expected.csv) expect(parseCsv(c.text, 'x.csv').map((r) => r.fields), JSON.stringify(c.text)).toEqual(c.rows);
  });

  it('keeps the line each record starts on', () => {
    expect(parseCsv('a,b\n\n"x\ny",z\nc,d\n', 'x.csv').map((r) => r.line)).toEqual([1, 3, 5]);
  });

  it('names the file and line of a quote that is never closed', () => {
    expect(() => parseCsv('a,b\nc,"d\ne', 'bad.csv')).toThrow(DataError);
    expect(() => parseCsv('a,b\nc,"d\ne', 'bad.csv')).toThrow(/^bad\.csv line 2: a quoted field is never closed/);
  });
});

describe('exact match (evaluate, ignore_case and ignore_punctuation)', () => {
  it('matches pair by pair as numpy does', () => {
    for (const p of expected.exact_match.pairs) expect(exactMatchPair(p.prediction, p.reference), JSON.stringify(p)).toBe(p.match);
  });

  it('averages over pairs', () => {
    const pairs = expected.exact_match.pairs;
    expect(exactMatchScore(pairs.map((p) => p.prediction), pairs.map((p) => p.reference))).toBeCloseTo(expected.exact_match.score, 15);
  });
});

describe('chat wrapping and scoring helpers', () => {
  it("renders TÜLU's user turn and appends the cue with a space only when needed", () => {
    expect(tuluChatWrap('hi')).toBe('<|user|>\nhi\n<|assistant|>\n');
    expect(appendCue(tuluChatWrap('hi'), 'A:')).toBe('<|user|>\nhi\n<|assistant|>\nA:');
    expect(appendCue('[INST] hi [/INST]', 'A:')).toBe('[INST] hi [/INST] A:');
  });

  it('takes the first of equal maxima (torch.argmax)', () => {
    expect(argmaxFirst([-1, -0.5, -0.5, -2])).toBe(1);
    expect(argmaxFirst([-Infinity, -Infinity])).toBe(0);
  });

  it('rejects a scorer answer of the wrong length or with NaN', async () => {
    await expect(scoreContinuations(async () => [0], 'p', [' A', ' B'])).rejects.toThrow(/1 scores for 2 continuations/);
    await expect(scoreContinuations(async () => [0, NaN], 'p', [' A', ' B'])).rejects.toThrow(/NaN for continuation 1/);
  });

  it("splits and reads newlines as Python's str.split() and text-mode open()", () => {
    expect(pythonSplit('\x1c a\u00a0b \u200bc\x85')).toEqual(['a', 'b', '\u200bc']);
    expect(universalNewlines('a\r\nb\rc\n')).toBe('a\nb\nc\n');
  });
});
