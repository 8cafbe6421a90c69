// Capping a long text before tokenizing it (src/tokenizer/text-cap.ts) keeps exactly the tokens that are kept
// after encoding: the first n (head) and the last n (head and tail) equal those of the whole text, checked
// against the tokenizers package on the whole text for byte-level BPE (GPT-2), the built-in BPE, a
// SentencePiece-style BPE in the legacy Llama 2 layout and a Unigram model (T5's kind).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromTokenizerJson } from '../src/tokenizer/load.js';
import { builtinTokenizer } from '../src/builtin/index.js';
import { capChars, capText } from '../src/tokenizer/text-cap.js';
import type { TextTokenizer } from '../src/tokenizer/types.js';
import { realFixturesDir } from './helpers/real-data.js';

/** xorshift32: the texts are the same on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const PIECES = ['hello', 'world', 'and', 'the', 'a', 'ab', 'ba', 'wörld', 'héllo', '🤗', '12345', '3.14', "don't", '==', '(x)', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '\n', '\t'];
const SEPARATORS = [' ', ' ', ' ', '  ', ', ', '\n', '. '];

function randomText(next: () => number, length: number): string {
  let text = '';
  while (text.length < length) {
    text += PIECES[Math.floor(next() * PIECES.length)]!;
    text += SEPARATORS[Math.floor(next() * SEPARATORS.length)]!;
  }
  return text;
}

function writeTokenizer(json: unknown): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pn-cap-')), 'tokenizer.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

/** Small SentencePiece-style vocabularies: byte fallback BPE (legacy Llama 2 layout) and Unigram with Metaspace. */
function sentencePieceTokenizers(): Array<[string, unknown]> {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  for (const p of ['▁', 'a', 'b', 'd', 'e', 'h', 'l', 'o', 'w', 'r', 'n', 't', '▁h', 'el', 'lo', '▁w', 'or', '▁wor', 'ld', '▁world', 'an', '▁an', 'nd', '▁and', '▁a', 'aa', 'aaaa']) {
    vocab[p] = Object.keys(vocab).length;
  }
  const merges = ['▁ h', 'e l', 'l o', '▁ w', 'o r', '▁w or', 'l d', '▁wor ld', 'a n', '▁ an', 'n d', '▁an d', '▁ a', 'a a', 'aa aa'];
  const specials = [0, 1, 2].map((id) => ({ id, content: ['<unk>', '<s>', '</s>'][id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const legacyLlama = {
    version: '1.0',
    added_tokens: specials,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges },
  };
  const unigram = {
    version: '1.0',
    added_tokens: specials,
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: {
      type: 'Unigram',
      unk_id: 0,
      byte_fallback: false,
      vocab: [['<unk>', 0], ['<s>', 0], ['</s>', 0], ['▁', -2], ['a', -3], ['b', -3], ['ab', -1.5], ['▁ab', -1], ['▁hello', -2], ['hel', -2.5], ['lo', -2.5], ['▁the', -1.2], ['e', -4], ['h', -4], ['l', -4], ['o', -4], ['t', -4]],
    },
  };
  return [['SentencePiece BPE, legacy Llama 2 layout', legacyLlama], ['Unigram with Metaspace (T5)', unigram]];
}

async function tokenizers(): Promise<Array<[string, TextTokenizer]>> {
  const list: Array<[string, TextTokenizer]> = [
    ['byte-level BPE (GPT-2)', await fromTokenizerJson(path.join(realFixturesDir, 'hf/fake_gpt2/tokenizer.json'), { bos: null, eos: '<|endoftext|>', pad: null, addBos: null })],
    ['built-in BPE', await builtinTokenizer()],
  ];
  for (const [name, json] of sentencePieceTokenizers()) list.push([name, await fromTokenizerJson(writeTokenizer(json), { bos: '<s>', eos: '</s>', pad: null, addBos: false })]);
  return list;
}

describe('capText', () => {
  it('keeps the first n and the last n tokens of the whole text, and more than n when the text has more', async () => {
    const next = rng(20261207);
    for (const [name, tokenizer] of await tokenizers()) {
      for (const n of [1, 7, 40]) {
        for (let round = 0; round < 3; round++) {
          const text = randomText(next, 5 * capChars(n, tokenizer.longestTokenChars) + Math.floor(next() * 1000));
          const full = await tokenizer.encode(text);
          const head = capText(text, n, tokenizer.longestTokenChars, 'head');
          const both = capText(text, n, tokenizer.longestTokenChars, 'head-and-tail');
          expect(head.length, name).toBeLessThan(text.length / 2); // the cap did cut
          const [headIds, bothIds] = await tokenizer.encodeBatch([head, both]);
          const what = `${name}, n=${n}, round ${round}`;
          expect(headIds!.length, what).toBeGreaterThan(n);
          expect(headIds!.slice(0, n), what).toEqual(full.slice(0, n));
          expect(bothIds!.slice(0, n), what).toEqual(full.slice(0, n));
          expect(bothIds!.slice(-n), what).toEqual(full.slice(-n));
        }
      }
    }
  });

  it('leaves a text that fits alone, and never splits a surrogate pair', async () => {
    expect(capText('hello world', 1, 5, 'head')).toBe('hello world');
    // No space anywhere: a hard cut at twice the cap, after a whole emoji.
    const emoji = '🤗'.repeat(1000);
    const cut = capText(emoji, 3, 4, 'head-and-tail');
    expect(cut.length).toBeLessThan(emoji.length);
    expect(cut.replace(/🤗/g, '').replace(/ /g, '')).toBe('');
  });
});
