// A small, deterministic byte-level BPE trainer that writes an HF tokenizer.json (GPT-2 layout:
// ByteLevel pre-tokenizer and decoder, BPE model with vocab + merges).
//
// Why not the tokenizers package: its Node binding exposes `Tokenizer.train(files)` only with the model's
// default trainer (no vocabulary size, no special tokens), so the trainer is written here. The algorithm is
// the classic one (Sennrich et al. 2016; huggingface/tokenizers BpeTrainer):
//   - split every text into words with the package's ByteLevel pre-tokenizer (GPT-2 regex, bytes mapped to
//     printable characters), count each distinct word;
//   - vocabulary = special tokens, then the 256 byte characters (sorted by code point), then merges;
//   - repeatedly merge the most frequent adjacent pair (ties: the pair whose left, then right, token id is
//     smaller), until the vocabulary is full or no pair occurs at least `minFrequency` times.
// Nothing depends on hash or iteration order of unordered collections, so the output is reproducible.
import tokenizers from 'tokenizers';

const { byteLevelAlphabet, byteLevelPreTokenizer } = tokenizers;

export interface BpeTrainingOptions {
  /** Total vocabulary size, special tokens and the 256 byte tokens included. */
  vocabSize: number;
  /** Added first, with ids 0, 1, ... in this order. */
  specialTokens: string[];
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
}

export interface TrainedBpe {
  /** Token -> id, ids 0..size-1 without gaps. */
  vocab: Map<string, number>;
  /** Merges in rank order. */
  merges: Array<[string, string]>;
}

export function trainByteLevelBpe(texts: Iterable<string>, options: BpeTrainingOptions): TrainedBpe {
  const minFrequency = options.minFrequency ?? 2;
  const alphabet = [...byteLevelAlphabet()].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  if (options.vocabSize < options.specialTokens.length + alphabet.length) {
    throw new Error(`vocabSize ${options.vocabSize} is smaller than the special tokens plus 256 byte tokens`);
  }
  const idToToken: string[] = [];
  const vocab = new Map<string, number>();
  const add = (token: string): number => {
    const existing = vocab.get(token);
    if (existing !== undefined) return existing;
    vocab.set(token, idToToken.length);
    idToToken.push(token);
    return idToToken.length - 1;
  };
  for (const t of options.specialTokens) {
    if (vocab.has(t)) throw new Error(`special token ${JSON.stringify(t)} is listed twice`);
    add(t);
  }
  for (const ch of alphabet) add(ch);

  // Distinct words (sorted, so the word order never depends on the input order) and their counts.
  const pre = byteLevelPreTokenizer(false, true);
  const counts = new Map<string, number>();
  for (const text of texts) for (const [word] of pre.preTokenizeString(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const wordList = [...counts.keys()].sort();
  const words = wordList.map((w) => Array.from(w, (ch) => vocab.get(ch)!));
  const freqs = wordList.map((w) => counts.get(w)!);

  const merges: Array<[string, string]> = [];
  const stride = options.vocabSize + 1;
  while (idToToken.length < options.vocabSize) {
    const pairCounts = new Map<number, number>();
    for (let w = 0; w < words.length; w++) {
      const symbols = words[w]!;
      const f = freqs[w]!;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = symbols[i]! * stride + symbols[i + 1]!;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + f);
      }
    }
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey < 0 || bestCount < minFrequency) break;
    const left = Math.floor(bestKey / stride);
    const right = bestKey % stride;
    const merged = add(idToToken[left]! + idToToken[right]!);
    merges.push([idToToken[left]!, idToToken[right]!]);
    for (const symbols of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) symbols.splice(i, 2, merged);
      }
    }
  }
  return { vocab, merges };
}

export interface ByteLevelTokenizerJsonOptions {
  /** Special tokens (must be in the vocabulary), written to added_tokens. */
  specialTokens: string[];
  /** When set, the post-processor prepends this token to every sequence (Llama-style BOS). */
  bosToken?: string;
}

/** The tokenizer.json object for a trained byte-level BPE (key order fixed, so serialization is stable). */
export function byteLevelTokenizerJson(trained: TrainedBpe, options: ByteLevelTokenizerJsonOptions): Record<string, unknown> {
  const idOf = (token: string): number => {
    const id = trained.vocab.get(token);
    if (id === undefined) throw new Error(`special token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  };
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const postProcessor =
    options.bosToken === undefined
      ? { type: 'ByteLevel', ...byteLevel, trim_offsets: false }
      : {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: options.bosToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: options.bosToken, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: options.bosToken, type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { [options.bosToken]: { id: options.bosToken, ids: [idOf(options.bosToken)], tokens: [options.bosToken] } },
        };
  const vocab: Record<string, number> = {};
  for (const [token, id] of [...trained.vocab].sort((a, b) => a[1] - b[1])) vocab[token] = id;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: options.specialTokens.map((content) => ({
      id: idOf(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: trained.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}
