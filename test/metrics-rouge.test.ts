// ROUGE-L, ROUGE-1 and exact match against a Python reference built from NLTK's PorterStemmer, a plain LCS
// table and SuperNI's normalize_answer (scripts/oracles/rouge_reference.py), on thousands of string pairs:
// real SuperNI outputs and inputs, TÜLU texts, their perturbations, and random strings with punctuation,
// digits, Unicode, whitespace variants, empty strings and repeated words.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt, type Random } from '../src/data/seeded-random.js';
import { parsePythonJson } from '../src/data/superni/task.js';
import { exactMatch, normalizeAnswer } from '../src/eval/metrics/exact-match.js';
import { rouge1, rougeL, rougeTokenize } from '../src/eval/metrics/rouge.js';
import { scoreInstance } from '../src/eval/metrics/score.js';
import { runPythonOracle } from './helpers/python-oracle.js';
import { listFilesRecursive, realDataDir, superniTasksDir } from './helpers/real-data.js';

interface Case {
  prediction: string;
  references: string[];
}

interface OracleResult {
  predictionTokens: string[];
  referenceTokens: string[][];
  rougeL: number[];
  rouge1: number[];
  exactMatch: number[];
}

const pick = <T>(random: Random, items: readonly T[]): T => items[randomInt(random, items.length)]!;

/** A random window of up to `maxWords` whitespace-separated words of `text`. */
function window(random: Random, text: string, maxWords: number): string {
  const words = text.split(/(\s+)/);
  const start = randomInt(random, words.length);
  return words.slice(start, start + randomInt(random, 2 * maxWords + 1)).join('');
}

/** Small edits a model's output might show: case, punctuation, dropped or repeated words, extra spaces. */
function perturb(random: Random, text: string): string {
  const words = text.split(' ');
  switch (randomInt(random, 6)) {
    case 0:
      return text.toUpperCase();
    case 1:
      return `${text}.`;
    case 2:
      return words.filter(() => random() > 0.3).join(' ');
    case 3:
      return words.flatMap((w) => (random() > 0.7 ? [w, w] : [w])).join(' ');
    case 4:
      return `  ${words.join('   ')} \n`;
    default:
      return words.reverse().join(' ');
  }
}

function superniCases(random: Random): Case[] {
  const dir = superniTasksDir;
  const cases: Case[] = [];
  for (const file of listFilesRecursive(dir).filter((f) => f.endsWith('.json'))) {
    const task = parsePythonJson(readFileSync(file, 'utf8'), file) as { Instances: Array<{ input: string; output: string[] }> };
    const instances = task.Instances;
    const outputs = instances.flatMap((instance) => instance.output);
    for (let k = 0; k < 120; k++) {
      const instance = pick(random, instances);
      const references = instance.output.slice();
      if (random() < 0.3) references.push(pick(random, outputs));
      const kind = randomInt(random, 4);
      const prediction =
        kind === 0 ? pick(random, instance.output) : kind === 1 ? perturb(random, pick(random, instance.output)) : kind === 2 ? pick(random, outputs) : window(random, instance.input, 20);
      cases.push({ prediction, references });
    }
  }
  return cases;
}

function tuluCases(random: Random): Case[] {
  const file = path.join(realDataDir, 'tulu/tulu_human_eval_messages.jsonl');
  const texts = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => (JSON.parse(line) as { messages: Array<{ content: string }> }).messages.map((m) => m.content));
  const cases: Case[] = [];
  for (let k = 0; k < 800; k++) {
    const reference = window(random, pick(random, texts), 40);
    const prediction = random() < 0.5 ? perturb(random, reference) : window(random, pick(random, texts), 40);
    cases.push({ prediction, references: [reference] });
  }
  // A few whole long texts (long LCS tables).
  for (let k = 0; k < 10; k++) cases.push({ prediction: pick(random, texts), references: [pick(random, texts)] });
  return cases;
}

const WORDS = ['the', 'The', 'cat', 'cats', 'running', 'ran', 'Generalization', 'generalizations', 'happy', 'happiness',
  'a', 'an', 'yes', 'no', 'True', 'false', 'skies', 'dying', 'news', 'relational', 'it', "it's", "don't", 'U.S.A.',
  '1990s', '12:30', '3.14', 'e-mail', 'co-operate', 'naïve', 'café', 'İstanbul', '\u212Aelvin', 'straße', 'ﬁne', 'Σίσυφος',
  '日本語', '😀', '😀ing', 'ǅemal', 'e\u0301', 'x'.repeat(12) + 'ing'];
const SEPARATORS = [' ', ' ', ' ', '', ',', ', ', '.', '. ', '!', '?', '-', '_', '\t', '\n', '  ', '\u00a0', '\u2028', '\u3000',
  '\x85', '\x1c', '\ufeff', '/', '"', "'", '(', ')', '…', '—', '«', '»'];

function randomText(random: Random): string {
  const n = random() < 0.1 ? 0 : randomInt(random, 25);
  let text = random() < 0.2 ? pick(random, SEPARATORS) : '';
  for (let i = 0; i < n; i++) {
    const r = random();
    const piece = r < 0.7 ? pick(random, WORDS) : r < 0.85 ? String(randomInt(random, 100000)) : String.fromCodePoint(33 + randomInt(random, r < 0.95 ? 94 : 0x2fff));
    text += piece + pick(random, SEPARATORS);
  }
  return text;
}

function randomCases(random: Random): Case[] {
  const cases: Case[] = [];
  for (let k = 0; k < 2500; k++) {
    const reference = randomText(random);
    const prediction = random() < 0.3 ? perturb(random, reference) : randomText(random);
    const references = [reference];
    while (random() < 0.3) references.push(randomText(random));
    cases.push({ prediction, references });
  }
  return cases;
}

const SPECIAL_CASES: Case[] = [
  { prediction: '', references: [''] },
  { prediction: '', references: ['Paris'] },
  { prediction: 'Paris', references: [''] },
  { prediction: '', references: ['...'] },
  { prediction: '!!!', references: ['?'] },
  { prediction: '   \n\t ', references: ['\u3000'] },
  { prediction: 'the the the the', references: ['the'] },
  { prediction: 'the', references: ['the the the the'] },
  { prediction: 'a b a b a b', references: ['b a b a', 'a a a'] },
  { prediction: 'Yes', references: ['yes.', 'No'] },
  { prediction: 'The answer is: Yes!', references: ['yes'] },
  { prediction: 'running runs ran', references: ['run running runner'] },
];

function allCases(): Case[] {
  const random = mulberry32(4);
  return [...SPECIAL_CASES, ...superniCases(random), ...tuluCases(random), ...randomCases(random)];
}

describe('ROUGE and exact match against the Python/NLTK reference', () => {
  const cases = allCases();
  // Run lazily inside the tests, so a missing .venv or nltk fails each test with the oracle's message.
  let oracleResults: OracleResult[] | undefined;
  const oracle = (): OracleResult[] => (oracleResults ??= runPythonOracle('scripts/oracles/rouge_reference.py', cases) as OracleResult[]);
  const closeTo = (a: number, b: number) => Math.abs(a - b) <= 1e-12;

  it('uses thousands of pairs, with empty-token, partial and perfect matches all present', () => {
    const expected = oracle();
    const pairs = expected.flatMap((r) => r.rougeL);
    expect(cases.length).toBeGreaterThan(4500);
    expect(pairs.filter((v) => v === 0).length).toBeGreaterThan(200);
    expect(pairs.filter((v) => v === 1).length).toBeGreaterThan(200);
    expect(pairs.filter((v) => v > 0 && v < 1).length).toBeGreaterThan(2000);
    expect(expected.filter((r) => r.predictionTokens.length === 0).length).toBeGreaterThan(50);
    expect(expected.flatMap((r) => r.exactMatch).filter((v) => v === 1).length).toBeGreaterThan(500);
  });

  it('tokenizes exactly as rouge_score with the Porter stemmer', () => {
    const expected = oracle();
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const texts = [c.prediction, ...c.references];
      const tokens = [expected[i]!.predictionTokens, ...expected[i]!.referenceTokens];
      texts.forEach((text, t) => {
        const actual = rougeTokenize(text);
        if (JSON.stringify(actual) !== JSON.stringify(tokens[t])) mismatches.push(`${JSON.stringify(text)}: ${JSON.stringify(actual)} vs ${JSON.stringify(tokens[t])}`);
      });
    });
    expect(mismatches.slice(0, 10), `${mismatches.length} texts differ`).toEqual([]);
  });

  it('gives the same ROUGE-L, ROUGE-1 and exact match for every (prediction, reference) pair', () => {
    const expected = oracle();
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      c.references.forEach((reference, r) => {
        const want = expected[i]!;
        const got = { rougeL: rougeL(c.prediction, reference), rouge1: rouge1(c.prediction, reference), exactMatch: exactMatch(c.prediction, reference) };
        if (!closeTo(got.rougeL, want.rougeL[r]!) || !closeTo(got.rouge1, want.rouge1[r]!) || got.exactMatch !== want.exactMatch[r]) {
          mismatches.push(`${JSON.stringify([c.prediction, reference])}: ${JSON.stringify(got)} vs L=${want.rougeL[r]} 1=${want.rouge1[r]} EM=${want.exactMatch[r]}`);
        }
      });
    });
    expect(mismatches.slice(0, 10), `${mismatches.length} pairs differ`).toEqual([]);
  });

  it('scoreInstance is the max over references of each metric separately', () => {
    const expected = oracle();
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const want = expected[i]!;
      const got = scoreInstance(c.prediction, c.references);
      const max = (values: number[]) => Math.max(...values);
      if (!closeTo(got.rougeL, max(want.rougeL)) || !closeTo(got.rouge1, max(want.rouge1)) || got.exactMatch !== max(want.exactMatch)) {
        mismatches.push(`${JSON.stringify(c)}: ${JSON.stringify(got)}`);
      }
    });
    expect(mismatches.slice(0, 10), `${mismatches.length} instances differ`).toEqual([]);
  });

  it('normalizes answers like SuperNI: lowercase, ASCII punctuation removed, Python whitespace collapsed', () => {
    // Expected strings worked out by hand from normalize_answer's three steps.
    expect(normalizeAnswer('  The Answer:\tYES! \u3000 (a) ')).toBe('the answer yes a');
    expect(normalizeAnswer('don\u2019t\x85stop\ufeff')).toBe('don\u2019t stop\ufeff');
    expect(normalizeAnswer('...')).toBe('');
  });
});
