// porterStem against NLTK's PorterStemmer() (scripts/oracles/porter_stem.py) on every word of a large word
// list: all words of the real data files (assets/superni-mini/tasks and test/fixtures/data: SuperNI tasks, TÜLU texts, split lists) in their original case and
// lowercased, each word with suffixes that exercise every rule of steps 1-5, and hand-picked edge cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { porterStem } from '../src/eval/metrics/porter-stemmer.js';
import { mulberry32, randomInt } from '../src/data/seeded-random.js';
import { parsePythonJson } from '../src/data/superni/task.js';
import { runPythonOracle } from './helpers/python-oracle.js';
import { listFilesRecursive, realDataDir, superniTasksDir } from './helpers/real-data.js';

/** Suffixes of every rule in steps 1a-5b, plus common English endings that chain several rules. */
const SUFFIXES = [
  's', 'es', 'sses', 'ies', 'ied', 'ss', 'eed', 'ed', 'ing', 'y', 'ational', 'tional', 'enci', 'anci', 'izer',
  'bli', 'alli', 'entli', 'eli', 'ousli', 'ization', 'ation', 'ator', 'alism', 'iveness', 'fulness', 'ousness',
  'aliti', 'iviti', 'biliti', 'fulli', 'logi', 'icate', 'ative', 'alize', 'iciti', 'ical', 'ful', 'ness', 'al',
  'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'sion', 'tion', 'ion', 'ou', 'ism',
  'ate', 'iti', 'ous', 'ive', 'ize', 'e', 'll', 'ly', 'ings', 'edly', 'ingly', 'ations', 'izations', 'fully',
  'nesses', 'ities', 'ments', 'ers', 'ated', 'ating', 'ized', 'izing', 'ably', 'ically', 'logies', 'bled', 'ying',
];

const EDGE_CASES = [
  '', 'a', 'y', 'yy', 'yyy', 'yyyy', 'yyyyyyyyyyyying', 'by', 'is', 'as', 'sky', 'skies', 'Skies', 'SKY', 'dying',
  'DYING', 'lying', 'tying', 'news', 'NEWS', 'innings', 'inning', 'outings', 'cannings', 'howe', 'proceed',
  'exceed', 'succeed', 'dies', 'died', 'flies', 'spied', 'ties', 'tied', 'feed', 'agreed', 'bled', 'sing',
  'hopping', 'falling', 'hissing', 'fizzed', 'failing', 'filing', 'happy', 'enjoy', 'spy', 'generalizations',
  'oscillators', 'geology', 'theology', 'archaeology', 'controlling', 'roll', 'ab*d', 'xa*ded', 'cea*ding',
  'a\u{1F600}\u{1F600}ed', 'ba\u{1F600}\u{1F600}ing', '\u{10400}\u{10400}ing', 'a\u{10428}\u{10428}ing',
  '\u{1F600}y', 'ab\u{1F600}', '\u0130stanbul', '\u0130\u0130', '\u212Aelvins', 'stra\u00dfe', 'caf\u00e9s',
  'na\u00efvet\u00e9', '\u03a3\u0399\u03a3\u03a5\u03a6\u039f\u03a3', 'ÉCLAIRS', '1990s', '3rd', 'abc123ing',
  'x'.repeat(200) + 'ational', 'y'.repeat(300) + 'ing',
];

/** Every string value in a JSON document (arrays and objects walked recursively). */
function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, out);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) collectStrings(item, out);
}

/** The texts of the real data files (test/fixtures/data and the SuperNI task files): JSON strings (Python's json, bare NaN allowed), jsonl lines, plain text. */
function realTexts(): string[] {
  const texts: string[] = [];
  for (const file of [...listFilesRecursive(realDataDir), ...listFilesRecursive(superniTasksDir)]) {
    const raw = readFileSync(file, 'utf8');
    if (file.endsWith('.json')) collectStrings(parsePythonJson(raw, file), texts);
    else if (file.endsWith('.jsonl')) for (const line of raw.split('\n')) line.trim() && collectStrings(JSON.parse(line), texts);
    else texts.push(raw);
  }
  return texts;
}

function buildWordList(): string[] {
  const words = new Set<string>(EDGE_CASES);
  const baseWords = new Set<string>();
  for (const text of realTexts()) {
    for (const word of text.split(/[^\p{L}\p{M}\p{N}]+/u)) {
      if (word === '') continue;
      words.add(word);
      words.add(word.toLowerCase());
      if (/^[a-z]+$/.test(word.toLowerCase())) baseWords.add(word.toLowerCase());
    }
  }
  const random = mulberry32(20241125);
  for (const base of [...baseWords].sort()) {
    for (let k = 0; k < 6; k++) words.add(base + SUFFIXES[randomInt(random, SUFFIXES.length)]!);
    if (base.endsWith('e')) words.add(base.slice(0, -1) + 'ing');
  }
  return [...words];
}

describe('porterStem against NLTK PorterStemmer (default mode)', () => {
  it('stems every word of a large word list exactly as NLTK does', () => {
    const words = buildWordList();
    expect(words.length).toBeGreaterThan(20_000);
    const expected = runPythonOracle('scripts/oracles/porter_stem.py', words) as string[];
    const mismatches: string[] = [];
    words.forEach((word, i) => {
      const actual = porterStem(word);
      if (actual !== expected[i]) mismatches.push(`${JSON.stringify(word)}: got ${JSON.stringify(actual)}, NLTK ${JSON.stringify(expected[i])}`);
    });
    expect(mismatches.slice(0, 20), `${mismatches.length} of ${words.length} words differ`).toEqual([]);
    // The list really exercises the rules: most suffixed words change.
    expect(words.filter((w, i) => expected[i] !== w.toLowerCase()).length).toBeGreaterThan(words.length / 3);
  });

  it('stem(word, toLowercase=false) keeps the case as NLTK does (no pool hit, rules see capitals)', () => {
    // Hand-checked against NLTK: stem('Running', to_lowercase=False) == 'Run'; stem('SKIES', False) == 'SKIES'.
    expect(porterStem('Running', false)).toBe('Run');
    expect(porterStem('SKIES', false)).toBe('SKIES');
  });
});
