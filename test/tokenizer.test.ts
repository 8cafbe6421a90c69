import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer, fromTokenizerJson } from '../src/tokenizer/load.js';
import { HfTokenizer } from '../src/tokenizer/hf-tokenizer.js';
import { readSuperNITask } from '../src/data/superni/task.js';
import { buildSuperNIPrompt } from '../src/data/superni/prompt.js';
import { realFixturesDir, superniTasksDir } from './helpers/real-data.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');
const tasksDir = superniTasksDir;

/** Every string in the real SuperNI files (definitions, examples, inputs, outputs). */
function realTexts(): string[] {
  const texts: string[] = [];
  for (const file of readdirSync(tasksDir).sort()) {
    const task = JSON.parse(readFileSync(path.join(tasksDir, file), 'utf8').replace(/\bNaN\b/g, 'null'));
    texts.push(task.Definition[0]);
    for (const ex of [...task['Positive Examples'], ...task['Negative Examples']]) texts.push(ex.input, ex.output, ex.explanation ?? '');
    for (const inst of task.Instances.slice(0, 60)) texts.push(inst.input, ...inst.output);
  }
  return texts;
}

const tricky = [
  '',
  ' ',
  '   leading and trailing   ',
  "It's 12:30 -- don't you think? I'll go; we've been, they're here.",
  'Tabs\tand\nnewlines\r\n\n\nand    runs   of spaces',
  'Unicode: héllo wörld, 日本語のテキスト, emoji 🤗🎉, Ελληνικά, русский',
  'numbers 1234567890 3.14159 -42 1e10',
  'Definition: Add the numbers.\n\nNow complete the following example -\nInput: 3 + 4.\nOutput: ',
  'special<|endoftext|>inside and at the end<|endoftext|>',
  '<|endoftext|><|endoftext|> double',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'x'.repeat(3000),
];

describe('loadTokenizer on a real GPT-2 tokenizer.json', () => {
  it('encodes "Hello world" to GPT-2\'s ids and decodes back', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    expect(await tok.encode('Hello world')).toEqual([15496, 995]);
    expect(tok.decode([15496, 995])).toBe('Hello world');
    expect(await tok.encode(' the')).toEqual([262]);
    expect(await tok.encodeBatch(['Hello world', ' the', ''])).toEqual([[15496, 995], [262], []]);
    expect(await tok.encodeBatch([])).toEqual([]);
  });

  it('reads vocab size and special tokens from the config files', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    expect(tok.vocabSize).toBe(50257);
    expect(tok.eosId).toBe(50256);
    expect(tok.bosId).toBe(50256);
    expect(tok.padId).toBe(50256); // no pad token: falls back to EOS
    expect(tok.addBos).toBe(false); // GPT-2's post-processor adds nothing
    expect(tok.source).toBe(gpt2Dir);
  });

  it('round-trips every real SuperNI text and tricky strings, and decodes like the package', async () => {
    const tok = (await loadTokenizer(gpt2Dir)) as HfTokenizer;
    const texts = [...realTexts(), ...tricky];
    expect(texts.length).toBeGreaterThan(800);
    const batch = await tok.encodeBatch(texts);
    expect(batch).toHaveLength(texts.length);
    for (const [i, text] of texts.entries()) {
      const ids = batch[i]!;
      expect(tok.decode(ids), JSON.stringify(text)).toBe(text); // byte-level BPE round-trips exactly
      if (i % 10 === 0) expect(tok.decode(ids)).toBe(await tok.decodeWithPackage(ids));
    }
  });

  it('encodeBatch gives what encode gives, text by text, on the real SuperNI prompts', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const prompts: string[] = [];
    for (const file of readdirSync(tasksDir).sort()) {
      const task = await readSuperNITask(path.join(tasksDir, file));
      for (const inst of task.instances.slice(0, 20)) prompts.push(await buildSuperNIPrompt(task, inst.input), inst.output[0]!);
      prompts.push(await buildSuperNIPrompt(task, task.instances[0]!.input, { posExamples: 2, negExamples: 1, addExplanation: true, addTaskName: true }));
    }
    expect(prompts.length).toBeGreaterThan(200);
    const batch = await tok.encodeBatch(prompts);
    for (const [i, prompt] of prompts.entries()) expect(batch[i], prompt.slice(0, 60)).toEqual(await tok.encode(prompt));
  });

  it('recognizes the special token inside text and skips it on request', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const ids = await tok.encode('Hello<|endoftext|> world');
    expect(ids).toEqual([15496, 50256, 995]);
    expect(tok.decode(ids)).toBe('Hello<|endoftext|> world');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('Hello world');
  });

  it('decodes like the package, including invalid UTF-8 prefixes and unknown ids', async () => {
    const tok = (await loadTokenizer(gpt2Dir)) as HfTokenizer;
    const cases = [[71, 2634], [15496, 50256, 995, 50256, 220], [99999, 15496], [10545, 245], []];
    for (const ids of cases) {
      expect(tok.decode(ids)).toBe(await tok.decodeWithPackage(ids));
      expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(await tok.decodeWithPackage(ids, true));
    }
  });
});

describe('special tokens from config files', () => {
  function folderWith(files: Record<string, unknown>): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tok-'));
    copyFileSync(path.join(gpt2Dir, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    for (const [name, value] of Object.entries(files)) writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
    return dir;
  }

  it('accepts {content} objects and lets special_tokens_map.json override tokenizer_config.json', async () => {
    const dir = folderWith({
      'tokenizer_config.json': { eos_token: 'Hello', bos_token: { content: '<|endoftext|>', lstrip: false }, add_bos_token: true },
      'special_tokens_map.json': { eos_token: { content: '<|endoftext|>' }, pad_token: '!' },
    });
    const tok = await loadTokenizer(dir);
    expect(tok.eosId).toBe(50256);
    expect(tok.bosId).toBe(50256);
    expect(tok.padId).toBe(0); // "!" is GPT-2 id 0
    expect(tok.addBos).toBe(true);
  });

  it('falls back to config.json eos_token_id', async () => {
    const dir = folderWith({ 'config.json': { eos_token_id: 995 } });
    const tok = await loadTokenizer(dir);
    expect(tok.eosId).toBe(995);
    expect(tok.bosId).toBeNull();
  });

  it('errors name the folder or file', async () => {
    await expect(loadTokenizer(folderWith({}))).rejects.toThrow(/no EOS token/);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'tok-'));
    await expect(loadTokenizer(empty)).rejects.toThrow(new RegExp(`${empty} has no tokenizer.json`));
    await expect(loadTokenizer(path.join(empty, 'nope'))).rejects.toThrow(/does not exist/);
    const badEos = folderWith({ 'tokenizer_config.json': { eos_token: '<never-seen>' } });
    await expect(loadTokenizer(badEos)).rejects.toThrow(/EOS token "<never-seen>" is not in the vocabulary/);
    const badJson = folderWith({ 'tokenizer_config.json': '{"eos_token": ' });
    await expect(loadTokenizer(badJson)).rejects.toThrow(/tokenizer_config.json is not valid JSON/);
    const badType = folderWith({ 'tokenizer_config.json': { eos_token: 42 } });
    await expect(loadTokenizer(badType)).rejects.toThrow(/"eos_token" must be a token string/);
  });
});

describe('a Llama-style tokenizer (Metaspace, byte fallback, unk, non-normalized specials)', () => {
  // A small hand-made tokenizer.json in the layout of Llama/Mistral ones, so the byte-fallback and
  // unknown-character paths are checked against the package too.
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  const pieces = ['▁', 'a', 'b', 'c', 'd', 'e', 'h', 'l', 'o', 'w', 'r', 'n', 't', '▁h', 'el', 'll', 'lo', 'llo', 'ello', '▁hello', '▁w', 'or', '▁wor', 'ld', '▁world', 'an', '▁an', 'd▁', 'nd'];
  for (const p of pieces) vocab[p] = Object.keys(vocab).length;
  const merges = ['▁ h', 'e l', 'l l', 'l o', 'll o', 'e llo', '▁h ello', '▁ w', 'o r', '▁w or', 'l d', '▁wor ld', 'a n', '▁ an', 'n d'];
  const llamaJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges },
  };

  // Ids in this vocabulary: <unk> 0, <s> 1, </s> 2, bytes <0x00>..<0xFF> 3..258, then the pieces from 259.
  const id = (piece: string) => vocab[piece]!;
  // "hello world" -> "▁hello▁world" (one word: split false); by merge rank: ▁+h, e+l, l+o, ▁+w, o+r,
  // ▁w+or, l+d, ▁wor+ld ("e llo" never applies: "llo" is never formed once "el" and "lo" are taken).
  const helloWorld = [id('▁h'), id('el'), id('lo'), id('▁world')];

  it('encodes with merges and byte fallback, and infers add-BOS from the post-processor', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llama-'));
    const file = path.join(dir, 'tokenizer.json');
    writeFileSync(file, JSON.stringify(llamaJson));
    const tok = (await fromTokenizerJson(file, { bos: '<s>', eos: '</s>', pad: null, addBos: null })) as HfTokenizer;
    expect(tok.addBos).toBe(true);
    expect(tok.bosId).toBe(1);
    expect(tok.padId).toBe(2);
    expect(helloWorld).toEqual([272, 273, 275, 283]);
    expect(await tok.encode('hello world')).toEqual(helloWorld);
    // "é" is not a piece: its UTF-8 bytes C3 A9 come out as byte tokens.
    expect(await tok.encode('é')).toEqual([id('▁'), 3 + 0xc3, 3 + 0xa9]);
    // A special token in the text is its own id; with prepend_scheme "first" only the text at the very
    // start gets "▁" prepended, so "world" after </s> is w + or + ld.
    expect(await tok.encode('hello</s>world')).toEqual([id('▁h'), id('el'), id('lo'), 2, id('w'), id('or'), id('ld')]);
    const texts = ['hello world', 'hello  world and', 'hello</s>world', 'x</s> y', 'héllo wörld 🤗', 'andand', ''];
    const batch = await tok.encodeBatch(texts);
    for (const [i, text] of texts.entries()) {
      const ids = batch[i]!;
      expect(ids, text).toEqual(await tok.encode(text));
      expect(tok.decode(ids)).toBe(await tok.decodeWithPackage(ids));
      expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(await tok.decodeWithPackage(ids, true));
    }
    expect(tok.decode(await tok.encode('héllo wörld 🤗'))).toBe('héllo wörld 🤗');
  });

  it('falls back to <unk> (fused) when byte fallback is off', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llama-'));
    const file = path.join(dir, 'tokenizer.json');
    writeFileSync(file, JSON.stringify({ ...llamaJson, model: { ...llamaJson.model, byte_fallback: false } }));
    const tok = (await fromTokenizerJson(file, { bos: '<s>', eos: '</s>', pad: null, addBos: false })) as HfTokenizer;
    expect(tok.addBos).toBe(false);
    // "zzz" has no pieces and no byte fallback: one fused <unk> after the "▁".
    expect(await tok.encode('hello zzz')).toEqual([id('▁h'), id('el'), id('lo'), id('▁'), 0]);
    expect(await tok.encode('hello world')).toEqual(helloWorld);
  });

  it('encodes the legacy Llama 2 layout (normalizer Prepend + Replace, no pre-tokenizer) like the Metaspace one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llama-'));
    const file = path.join(dir, 'tokenizer.json');
    const legacy = {
      ...llamaJson,
      normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
      pre_tokenizer: null,
    };
    writeFileSync(file, JSON.stringify(legacy));
    const tok = (await fromTokenizerJson(file, { bos: '<s>', eos: '</s>', pad: null, addBos: null })) as HfTokenizer;
    expect(await tok.encode('hello world')).toEqual(helloWorld);
    for (const text of ['hello world and hello', 'hello</s> world', ' hello  world ', 'wörld 🤗 and', 'hello world '.repeat(200)]) {
      const ids = await tok.encode(text);
      expect(tok.decode(ids), text.slice(0, 40)).toBe(await tok.decodeWithPackage(ids));
    }
  });

  it('honors ignore_merges (Llama 3): a word in the vocabulary is one token even without a merge path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-'));
    const file = path.join(dir, 'tokenizer.json');
    const gpt2 = JSON.parse(readFileSync(path.join(gpt2Dir, 'tokenizer.json'), 'utf8'));
    // "Ġzzyzx" is not reachable through GPT-2's merges; add it to the vocabulary under a new id.
    gpt2.model.vocab['Ġzzyzx'] = 50257;
    for (const ignore of [false, true]) {
      writeFileSync(file, JSON.stringify({ ...gpt2, model: { ...gpt2.model, ignore_merges: ignore } }));
      const tok = (await fromTokenizerJson(file, { bos: null, eos: '<|endoftext|>', pad: null, addBos: null })) as HfTokenizer;
      const ids = await tok.encode('a zzyzx');
      expect(ids.includes(50257)).toBe(ignore);
      if (ignore) expect(ids).toEqual([64, 50257]); // "a" is GPT-2 id 64
      expect(tok.decode(ids)).toBe('a zzyzx');
    }
  });

  it('sizes the id space by the largest id, so a vocabulary with gaps cannot pass for a smaller one', async () => {
    const gpt2 = JSON.parse(readFileSync(path.join(gpt2Dir, 'tokenizer.json'), 'utf8'));
    const entries = Object.keys(gpt2.model.vocab).length;
    const moved = Object.keys(gpt2.model.vocab)[500]!;
    gpt2.model.vocab[moved] = 70_000;
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gaps-')), 'tokenizer.json');
    writeFileSync(file, JSON.stringify(gpt2));
    const tok = await fromTokenizerJson(file, { bos: null, eos: '<|endoftext|>', pad: null, addBos: null });
    expect(entries).toBeLessThan(70_000);
    expect(tok.vocabSize).toBe(70_001);
    expect(tok.tokenToId(moved)).toBe(70_000);
  });

  it('encodes a Unigram model (any model the package loads works)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unigram-'));
    const file = path.join(dir, 'tokenizer.json');
    const unigram = {
      ...llamaJson,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      model: {
        type: 'Unigram',
        unk_id: 0,
        byte_fallback: false,
        vocab: [['<unk>', 0], ['<s>', 0], ['</s>', 0], ['▁', -2], ['a', -3], ['b', -3], ['ab', -1.5], ['▁ab', -1]],
      },
    };
    writeFileSync(file, JSON.stringify(unigram));
    const tok = await fromTokenizerJson(file, { bos: '<s>', eos: '</s>', pad: null, addBos: null });
    expect([tok.vocabSize, tok.bosId, tok.eosId]).toEqual([8, 1, 2]);
    // "▁ab" is one piece; "▁ba" can only be ▁ + b + a; "▁abab" is best as ▁ab + ab (-2.5 beats the others).
    expect(await tok.encodeBatch(['ab ab', 'ba', 'abab', 'ab</s>'])).toEqual([[7, 7], [3, 5, 4], [7, 6], [7, 2]]);
    expect(tok.decode([7, 7])).toBe('ab ab');
  });

  it('errors name the file when the package cannot load it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llama-'));
    const file = path.join(dir, 'tokenizer.json');
    const special = { bos: null, eos: '</s>', pad: null, addBos: null };
    writeFileSync(file, JSON.stringify({ ...llamaJson, model: { ...llamaJson.model, merges: ['▁ zz'] } }));
    await expect(fromTokenizerJson(file, special)).rejects.toThrow(new RegExp(`${file}: the tokenizers package cannot load it`));
    writeFileSync(file, '{"model": ');
    await expect(fromTokenizerJson(file, special)).rejects.toThrow(new RegExp(`${file} is not valid JSON`));
    writeFileSync(file, JSON.stringify({ ...llamaJson, model: undefined }));
    await expect(fromTokenizerJson(file, special)).rejects.toThrow(new RegExp(`${file}: no "model" section`));
  });
});
