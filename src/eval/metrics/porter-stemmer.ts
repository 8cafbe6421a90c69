// NLTK's PorterStemmer in its default mode (NLTK_EXTENSIONS), ported rule for rule from
// nltk/stem/porter.py (nltk 3.10): the irregular-forms pool, the NLTK-only special cases in steps 1a, 1b,
// 1c and 2, steps 1a..5b, and stem()'s lowercasing. This is the stemmer Google's rouge_score uses with
// use_stemmer=True, so the SuperNI ROUGE-L depends on it matching NLTK exactly (test/metrics-porter.test.ts
// compares it with NLTK on a large word list).
//
// Python indexes strings by code point, JS by UTF-16 unit. Characters outside the BMP are therefore
// swapped for unused BMP characters while the rules run (see `stemAstral`), so lengths, slices and the
// double-consonant check see one character per code point, as in Python.

type Condition = ((stem: string) => boolean) | null;
/** [suffix, replacement, condition]; the suffix "*d" means "ends in a double consonant". */
type Rule = readonly [string, string, Condition];

/** NLTK's irregular forms: word -> stem, looked up before any rule. */
const POOL: ReadonlyMap<string, string> = (() => {
  const irregularForms: Record<string, string[]> = {
    sky: ['sky', 'skies'],
    die: ['dying'],
    lie: ['lying'],
    tie: ['tying'],
    news: ['news'],
    inning: ['innings', 'inning'],
    outing: ['outings', 'outing'],
    canning: ['cannings', 'canning'],
    howe: ['howe'],
    proceed: ['proceed'],
    exceed: ['exceed'],
    succeed: ['succeed'],
  };
  const pool = new Map<string, string>();
  for (const [stem, forms] of Object.entries(irregularForms)) for (const form of forms) pool.set(form, stem);
  return pool;
})();

function isVowel(ch: string | undefined): boolean {
  return ch === 'a' || ch === 'e' || ch === 'i' || ch === 'o' || ch === 'u';
}

/** The paper's consonant: not a vowel, and a 'y' only when the letter before it is not a consonant. */
function isConsonant(word: string, i: number): boolean {
  if (isVowel(word[i])) return false;
  if (word[i] === 'y') {
    let negate = false;
    while (i > 0 && word[i] === 'y') {
      negate = !negate;
      i--;
    }
    return !isVowel(word[i]) !== negate;
  }
  return true;
}

/** Consonant flags for every position in one pass (a 'y' is a consonant iff the letter before is not). */
function consonantFlags(word: string): boolean[] {
  const flags: boolean[] = new Array<boolean>(word.length);
  for (let i = 0; i < word.length; i++) {
    const ch = word[i];
    flags[i] = isVowel(ch) ? false : ch === 'y' ? i === 0 || !flags[i - 1] : true;
  }
  return flags;
}

/** m in [C](VC){m}[V]: the number of vowel -> consonant transitions. */
function measure(stem: string): number {
  const flags = consonantFlags(stem);
  let m = 0;
  for (let i = 1; i < flags.length; i++) if (flags[i] && !flags[i - 1]) m++;
  return m;
}

const hasPositiveMeasure = (stem: string): boolean => measure(stem) > 0;
const measureGreaterThan1 = (stem: string): boolean => measure(stem) > 1;

function containsVowel(stem: string): boolean {
  return consonantFlags(stem).some((consonant) => !consonant);
}

/** Condition *d: ends in a double consonant. */
function endsDoubleConsonant(word: string): boolean {
  const n = word.length;
  return n >= 2 && word[n - 1] === word[n - 2] && isConsonant(word, n - 1);
}

/** Condition *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK adds 2-letter vowel-consonant. */
function endsCvc(word: string): boolean {
  const n = word.length;
  const last = word[n - 1];
  return (
    (n >= 3 &&
      isConsonant(word, n - 3) &&
      !isConsonant(word, n - 2) &&
      isConsonant(word, n - 1) &&
      last !== 'w' &&
      last !== 'x' &&
      last !== 'y') ||
    (n === 2 && !isConsonant(word, 0) && isConsonant(word, 1))
  );
}

function withoutSuffix(word: string, suffix: string): string {
  return suffix === '' ? word : word.slice(0, word.length - suffix.length);
}

/** The first rule whose suffix matches decides: its replacement if the condition holds, else the word unchanged. */
function applyRuleList(word: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (suffix === '*d' && endsDoubleConsonant(word)) {
      const stem = word.slice(0, -2);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
    // NLTK also tests "*d" literally here, so a word ending in the two characters "*d" matches it.
    if (word.endsWith(suffix)) {
      const stem = withoutSuffix(word, suffix);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

const STEP1A_RULES: readonly Rule[] = [
  ['sses', 'ss', null],
  ['ies', 'i', null],
  ['ss', 'ss', null],
  ['s', '', null],
];

function step1a(word: string): string {
  // NLTK: 'dies' -> 'die' while 'flies' -> 'fli'.
  if (word.endsWith('ies') && word.length === 4) return withoutSuffix(word, 'ies') + 'ie';
  return applyRuleList(word, STEP1A_RULES);
}

function step1b(word: string): string {
  // NLTK: 'died' -> 'die' while 'spied' -> 'spi'.
  if (word.endsWith('ied')) return withoutSuffix(word, 'ied') + (word.length === 4 ? 'ie' : 'i');

  if (word.endsWith('eed')) {
    const stem = withoutSuffix(word, 'eed');
    return measure(stem) > 0 ? stem + 'ee' : word;
  }

  let intermediate: string | undefined;
  for (const suffix of ['ed', 'ing']) {
    if (word.endsWith(suffix)) {
      const candidate = withoutSuffix(word, suffix);
      if (containsVowel(candidate)) {
        intermediate = candidate;
        break;
      }
    }
  }
  if (intermediate === undefined) return word;

  const last = intermediate[intermediate.length - 1] ?? '';
  return applyRuleList(intermediate, [
    ['at', 'ate', null],
    ['bl', 'ble', null],
    ['iz', 'ize', null],
    ['*d', last, () => last !== 'l' && last !== 's' && last !== 'z'],
    ['', 'e', (stem) => measure(stem) === 1 && endsCvc(stem)],
  ]);
}

/** NLTK: y -> i only after a consonant, and not when the stem is that single consonant. */
const STEP1C_RULES: readonly Rule[] = [['y', 'i', (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]];

const STEP2_RULES: readonly Rule[] = [
  ['ational', 'ate', hasPositiveMeasure],
  ['tional', 'tion', hasPositiveMeasure],
  ['enci', 'ence', hasPositiveMeasure],
  ['anci', 'ance', hasPositiveMeasure],
  ['izer', 'ize', hasPositiveMeasure],
  ['bli', 'ble', hasPositiveMeasure],
  ['alli', 'al', hasPositiveMeasure],
  ['entli', 'ent', hasPositiveMeasure],
  ['eli', 'e', hasPositiveMeasure],
  ['ousli', 'ous', hasPositiveMeasure],
  ['ization', 'ize', hasPositiveMeasure],
  ['ation', 'ate', hasPositiveMeasure],
  ['ator', 'ate', hasPositiveMeasure],
  ['alism', 'al', hasPositiveMeasure],
  ['iveness', 'ive', hasPositiveMeasure],
  ['fulness', 'ful', hasPositiveMeasure],
  ['ousness', 'ous', hasPositiveMeasure],
  ['aliti', 'al', hasPositiveMeasure],
  ['iviti', 'ive', hasPositiveMeasure],
  ['biliti', 'ble', hasPositiveMeasure],
  ['fulli', 'ful', hasPositiveMeasure],
];

function step2(word: string): string {
  // NLTK applies ALLI -> AL first and, when it fires, runs step 2 again on the result.
  if (word.endsWith('alli') && hasPositiveMeasure(withoutSuffix(word, 'alli'))) return step2(withoutSuffix(word, 'alli') + 'al');
  // logi -> log keeps the 'l' with the stem for the measure, so 'geo'/'theo' behave like 'archaeo'.
  return applyRuleList(word, [...STEP2_RULES, ['logi', 'log', () => hasPositiveMeasure(word.slice(0, -3))]]);
}

const STEP3_RULES: readonly Rule[] = [
  ['icate', 'ic', hasPositiveMeasure],
  ['ative', '', hasPositiveMeasure],
  ['alize', 'al', hasPositiveMeasure],
  ['iciti', 'ic', hasPositiveMeasure],
  ['ical', 'ic', hasPositiveMeasure],
  ['ful', '', hasPositiveMeasure],
  ['ness', '', hasPositiveMeasure],
];

const STEP4_RULES: readonly Rule[] = [
  ['al', '', measureGreaterThan1],
  ['ance', '', measureGreaterThan1],
  ['ence', '', measureGreaterThan1],
  ['er', '', measureGreaterThan1],
  ['ic', '', measureGreaterThan1],
  ['able', '', measureGreaterThan1],
  ['ible', '', measureGreaterThan1],
  ['ant', '', measureGreaterThan1],
  ['ement', '', measureGreaterThan1],
  ['ment', '', measureGreaterThan1],
  ['ent', '', measureGreaterThan1],
  ['ion', '', (stem) => measure(stem) > 1 && (stem.endsWith('s') || stem.endsWith('t'))],
  ['ou', '', measureGreaterThan1],
  ['ism', '', measureGreaterThan1],
  ['ate', '', measureGreaterThan1],
  ['iti', '', measureGreaterThan1],
  ['ous', '', measureGreaterThan1],
  ['ive', '', measureGreaterThan1],
  ['ize', '', measureGreaterThan1],
];

/** Both E rules are tried (unlike applyRuleList, a failed first condition does not stop the second). */
function step5a(word: string): string {
  if (word.endsWith('e')) {
    const stem = withoutSuffix(word, 'e');
    if (measure(stem) > 1) return stem;
    if (measure(stem) === 1 && !endsCvc(stem)) return stem;
  }
  return word;
}

function step5b(word: string): string {
  return applyRuleList(word, [['ll', 'l', () => measure(word.slice(0, -1)) > 1]]);
}

function applySteps(word: string): string {
  let stem = step1a(word);
  stem = step1b(stem);
  stem = applyRuleList(stem, STEP1C_RULES);
  stem = step2(stem);
  stem = applyRuleList(stem, STEP3_RULES);
  stem = applyRuleList(stem, STEP4_RULES);
  stem = step5a(stem);
  return step5b(stem);
}

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/;

function codePointLength(text: string): number {
  if (!SURROGATE_PAIR.test(text)) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Runs the steps with every astral code point replaced by a distinct BMP character absent from the word
 * (non-ASCII, so never a vowel, 'y' or part of a suffix): the rules only compare characters with ASCII
 * letters and with each other, so the result maps back exactly.
 */
function stemAstral(word: string): string {
  const present = new Set<number>();
  for (let i = 0; i < word.length; i++) present.add(word.charCodeAt(i));
  const toStandIn = new Map<string, string>();
  const fromStandIn = new Map<string, string>();
  // Stand-ins: the private use area first, then the rest of the non-ASCII, non-surrogate BMP.
  const ranges: Array<[number, number]> = [[0xe000, 0xffff], [0x80, 0xd7ff]];
  let range = 0;
  let next = ranges[0]![0];
  const allocate = (): string => {
    for (;;) {
      const current = ranges[range];
      if (current === undefined) throw new RangeError('porterStem: too many distinct characters in one word');
      if (next > current[1]) {
        range++;
        next = ranges[range]?.[0] ?? 0;
        continue;
      }
      const candidate = next++;
      if (!present.has(candidate)) return String.fromCharCode(candidate);
    }
  };
  let mapped = '';
  for (const ch of word) {
    if (ch.length === 1) {
      mapped += ch;
      continue;
    }
    let standIn = toStandIn.get(ch);
    if (standIn === undefined) {
      standIn = allocate();
      toStandIn.set(ch, standIn);
      fromStandIn.set(standIn, ch);
    }
    mapped += standIn;
  }
  let result = '';
  for (const ch of applySteps(mapped)) result += fromStandIn.get(ch) ?? ch;
  return result;
}

/**
 * NLTK's `PorterStemmer().stem(word, to_lowercase)`: lowercases (Unicode, as Python's str.lower), returns
 * irregular forms from the pool, leaves words of at most 2 characters (counted before lowercasing, as NLTK
 * does) unstemmed, and otherwise runs steps 1a to 5b.
 */
export function porterStem(word: string, toLowercase = true): string {
  const lowered = toLowercase ? word.toLowerCase() : word;
  const irregular = POOL.get(lowered);
  if (irregular !== undefined) return irregular;
  if (codePointLength(word) <= 2) return lowered;
  return SURROGATE_PAIR.test(lowered) ? stemAstral(lowered) : applySteps(lowered);
}
