import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tokenizers from 'tokenizers';
import { builtinAssetsDir, builtinTasks, builtinTokenizer, generateBuiltinTaskFiles, BUILTIN_SEED } from '../src/builtin/index.js';
import { ANTONYM_PAIRS, PLURALS } from '../src/builtin/word-lists.js';
import { BUILTIN_SPECIAL_TOKENS, BUILTIN_VOCAB_SIZE, buildBuiltinTokenizerFiles, builtinTokenizerCorpus } from '../src/builtin/make-tokenizer.js';
import { trainByteLevelBpe } from '../src/tokenizer/bpe-trainer.js';
import { HfTokenizer } from '../src/tokenizer/hf-tokenizer.js';
import { readSuperNITask } from '../src/data/superni/task.js';
import { buildSuperNIPrompt } from '../src/data/superni/prompt.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The right answer for an input, computed here independently of the generator. */
function solve(task: string, input: string): string {
  const words = input.split(' ');
  const nums = input.split(', ').map(Number);
  switch (task) {
    case 'builtin001_reverse_words':
      return words.slice().reverse().join(' ');
    case 'builtin002_sort_numbers':
      return nums.slice().sort((a, b) => a - b).join(', ');
    case 'builtin003_add_numbers': {
      const m = /^(\d+) \+ (\d+)$/.exec(input)!;
      return String(Number(m[1]) + Number(m[2]));
    }
    case 'builtin004_uppercase_word':
      return input.toUpperCase();
    case 'builtin005_count_words':
      return String(words.length);
    case 'builtin006_first_letters':
      return words.map((w) => w.charAt(0)).join(' ');
    case 'builtin007_antonyms':
      return ANTONYM_PAIRS.flatMap(([a, b]) => (a === input ? [b] : b === input ? [a] : []))[0]!;
    case 'builtin008_plural_nouns':
      return PLURALS.find(([s]) => s === input)![1];
    case 'builtin009_largest_number':
      return String(Math.max(...nums));
    case 'builtin010_even_or_odd':
      return Number(input) % 2 === 0 ? 'even' : 'odd';
    default:
      throw new Error(`no solver for ${task}`);
  }
}

describe('built-in tasks', () => {
  it('has 10 tasks of 200 instances with unique ids, valid SuperNI fields, deterministic', () => {
    const files = generateBuiltinTaskFiles();
    expect(files.size).toBe(10);
    const ids = new Set<string>();
    for (const [name, raw] of files) {
      expect(name).toMatch(/^builtin\d{3}_[a-z_]+$/);
      expect(raw.Instances).toHaveLength(200);
      for (const inst of raw.Instances) ids.add(inst.id);
      expect(raw.Definition).toHaveLength(1);
      expect(raw['Positive Examples']).toHaveLength(2);
      expect(raw['Negative Examples']).toHaveLength(1);
      expect(raw.Categories.length).toBe(1);
    }
    expect(ids.size).toBe(2000);
    expect(JSON.stringify([...generateBuiltinTaskFiles()])).toBe(JSON.stringify([...files]));
    const other = generateBuiltinTaskFiles(BUILTIN_SEED + 1);
    expect(other.get('builtin003_add_numbers')!.Instances).not.toEqual(files.get('builtin003_add_numbers')!.Instances);
    expect(generateBuiltinTaskFiles(BUILTIN_SEED, 7).get('builtin001_reverse_words')!.Instances).toHaveLength(7);
  });

  it('gives correct outputs for every instance and positive example, and wrong ones for negative examples', () => {
    for (const task of builtinTasks()) {
      for (const inst of task.instances) expect(inst.output, `${task.name} ${inst.id}`).toEqual([solve(task.name, inst.input)]);
      for (const ex of task.positiveExamples) expect(ex.output).toBe(solve(task.name, ex.input));
      for (const ex of task.negativeExamples) expect(ex.output).not.toBe(solve(task.name, ex.input));
      for (const ex of [...task.positiveExamples, ...task.negativeExamples]) expect(ex.explanation?.length).toBeGreaterThan(10);
    }
  });

  it('uses word lists where each antonym appears once and list-walking tasks cover their list', () => {
    const words = ANTONYM_PAIRS.flat();
    expect(new Set(words).size).toBe(words.length);
    expect(new Set(PLURALS.map(([s]) => s)).size).toBe(PLURALS.length);
    const tasks = new Map(builtinTasks().map((t) => [t.name, t]));
    const antonymInputs = tasks.get('builtin007_antonyms')!.instances.map((i) => i.input);
    expect(new Set(antonymInputs.slice(0, words.length)).size).toBe(words.length); // a full pass before repeats
    expect(new Set(tasks.get('builtin008_plural_nouns')!.instances.map((i) => i.input)).size).toBe(PLURALS.length);
    const counts = tasks.get('builtin005_count_words')!.instances.map((i) => Number(i.output[0]));
    expect(Math.min(...counts)).toBe(1);
    expect(Math.max(...counts)).toBe(9);
  });

  it('round-trips through a task file on disk', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'builtin-'));
    const [name, raw] = [...generateBuiltinTaskFiles()][1]!;
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(raw, null, 4));
    const fromDisk = await readSuperNITask(file);
    const inMemory = builtinTasks()[1]!;
    expect({ ...fromDisk, source: 'builtin' }).toEqual(inMemory);
  });
});

describe('the BPE trainer', () => {
  it('merges the most frequent pair first and stops below the minimum frequency (hand-computed)', () => {
    // Words: "ab", "Ġab" x2, "Ġcd". Pair counts: (a,b) 3, (Ġ,a) 2, (Ġ,c) 1, (c,d) 1 -> merge a+b.
    // Then (Ġ,ab) 2, (Ġ,c) 1, (c,d) 1 -> merge Ġ+ab. Then every pair occurs once -> stop.
    const trained = trainByteLevelBpe(['ab ab ab cd'], { vocabSize: 1000, specialTokens: ['<x>'], minFrequency: 2 });
    expect(trained.merges).toEqual([['a', 'b'], ['Ġ', 'ab']]);
    expect(trained.vocab.size).toBe(1 + 256 + 2);
    expect(trained.vocab.get('<x>')).toBe(0);
    expect(trained.vocab.get('ab')).toBe(257);
    expect(trained.vocab.get('Ġab')).toBe(258);
    // Ties go to the pair with the smaller (left id, right id); byte characters get ids in code point order.
    const tie = trainByteLevelBpe(['yx yx ba ba'], { vocabSize: 258, specialTokens: [], minFrequency: 1 });
    // Pairs: (y,x) 1, (Ġ,y) 1, (y,x) +1 = 2, (b,a) 1, (Ġ,b) 1, (b,a) +1 = 2: tie between (y,x) and (b,a);
    // "b" has the smaller id, so b+a comes first, then y+x.
    expect(tie.merges).toEqual([['b', 'a'], ['y', 'x']]);
    expect(() => trainByteLevelBpe(['a'], { vocabSize: 10, specialTokens: [] })).toThrow(/smaller than the special tokens plus 256/);
  });
});

describe('the built-in tokenizer', () => {
  it('is the committed file, identical to a fresh build', async () => {
    const dir = path.join(repoRoot, 'assets/builtin');
    expect(builtinAssetsDir()).toBe(dir + path.sep);
    const fresh = await buildBuiltinTokenizerFiles();
    expect(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).toBe(fresh.tokenizerJson);
    expect(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')).toBe(fresh.tokenizerConfigJson);
    expect(await buildBuiltinTokenizerFiles()).toEqual(fresh); // reproducible
  });

  it('has the expected size and special tokens', async () => {
    const tok = await builtinTokenizer();
    expect(tok.vocabSize).toBe(BUILTIN_VOCAB_SIZE);
    expect(BUILTIN_SPECIAL_TOKENS).toEqual(['<unk>', '<s>', '</s>', '<pad>']);
    expect([tok.tokenToId('<unk>'), tok.bosId, tok.eosId, tok.padId]).toEqual([0, 1, 2, 3]);
    expect(tok.addBos).toBe(true);
    expect(tok.source).toBe('builtin');
    expect(await builtinTokenizer()).toBe(tok); // loaded once
    // The tokenizers package itself agrees, including the BOS its post-processor adds.
    const native = tokenizers.Tokenizer.fromFile(path.join(repoRoot, 'assets/builtin/tokenizer.json'));
    expect(native.getVocabSize(true)).toBe(BUILTIN_VOCAB_SIZE);
    const enc = await native.encode('Output: ', null, { addSpecialTokens: true });
    expect(enc.getIds()[0]).toBe(1);
    expect(enc.getIds().slice(1)).toEqual(await tok.encode('Output: '));
  });

  it('encodes every built-in prompt and round-trips it exactly, compactly', async () => {
    const tok = (await builtinTokenizer()) as HfTokenizer;
    let tokens = 0;
    let chars = 0;
    for (const task of builtinTasks()) {
      for (const inst of task.instances) {
        const prompt = await buildSuperNIPrompt(task, inst.input);
        const ids = await tok.encode(prompt);
        expect(tok.decode(ids)).toBe(prompt);
        expect(tok.decode(await tok.encode(inst.output[0]!))).toBe(inst.output[0]);
        tokens += ids.length;
        chars += prompt.length;
      }
      const sample = await buildSuperNIPrompt(task, task.instances[0]!.input, { posExamples: 2, addExplanation: true });
      const sampleIds = await tok.encode(sample);
      expect(tok.decode(sampleIds)).toBe(sample);
      expect(tok.decode(sampleIds)).toBe(await tok.decodeWithPackage(sampleIds));
    }
    const corpus = (await builtinTokenizerCorpus()).slice(0, 300);
    const batch = await tok.encodeBatch(corpus);
    for (const [i, text] of corpus.entries()) {
      expect(batch[i]).toEqual(await tok.encode(text));
      expect(tok.decode(batch[i]!)).toBe(text);
    }
    // Text outside the corpus still round-trips (byte-level), and special tokens are recognized.
    for (const text of ['Ünïcödé 日本 🤗', 'x</s>y', '\t\n  ']) expect(tok.decode(await tok.encode(text))).toBe(text);
    const withEos = await tok.encode('a</s>');
    expect(withEos[withEos.length - 1]).toBe(2);
    expect(tok.decode(withEos, { skipSpecialTokens: true })).toBe('a');
    // Compression: the BPE learned the corpus (well under one token per 3 characters).
    expect(tokens / chars).toBeLessThan(0.3);
  });
});
