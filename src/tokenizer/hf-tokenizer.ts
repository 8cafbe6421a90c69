// A TextTokenizer over an HF tokenizer.json, through the `tokenizers` package (huggingface/tokenizers).
//
// Encoding is the package's (asynchronous) encode / encodeBatch without special tokens added, so any
// tokenizer.json the package loads works (BPE, Unigram, WordPiece, ...) exactly as in Python.
// Decoding stays synchronous by composing the package's pieces as TokenizerImpl::decode does: ids to
// tokens (skipping special added tokens on request), then the package's decoder.
import { createHash } from 'node:crypto';
import tokenizers from 'tokenizers';
import type { Tokenizer as PackageTokenizer, Decoder } from 'tokenizers';
import { TokenizerError, type TextTokenizer } from './types.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';

const { Tokenizer } = tokenizers;

/** Which special tokens the tokenizer uses, resolved by the caller from config files. */
export interface SpecialTokens {
  bos: string | null;
  eos: string;
  /** null: use EOS as padding. */
  pad: string | null;
  /** Whether prompts should start with BOS; null = infer from tokenizer.json's post_processor. */
  addBos: boolean | null;
  /** tokenizer_config.json's chat_template (Jinja), when the model ships one. */
  chatTemplate?: string | null;
  /** The file that named each token (for messages). */
  namedIn?: { bos?: string; eos?: string; pad?: string };
}

/** Token ids with each token's [start, end) in the text, counted in Unicode code points (the package's unit). */
export interface EncodingWithOffsets {
  ids: number[];
  offsets: Array<[number, number]>;
}

/** A TextTokenizer that also knows whether its model expects a leading BOS. */
export interface HfTextTokenizer extends TextTokenizer {
  /** True when the model was trained with BOS at the start of every sequence (Llama-style). */
  addBos: boolean;
  tokenToId(token: string): number | null;
  idToToken(id: number): string | null;
  /** Like encodeBatch, with each token's code-point span (for masking parts of a rendered conversation). */
  encodeBatchWithOffsets(texts: string[]): Promise<EncodingWithOffsets[]>;
  /** sha256 of tokenizer.json plus the special-token settings: identifies the tokenization (cache keys). */
  readonly fingerprint: string;
  /** The model's Jinja chat template, or null. */
  readonly chatTemplate: string | null;
}

/** An entry of tokenizer.json's added_tokens. */
interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

interface TokenizerJson {
  added_tokens?: AddedTokenJson[];
  post_processor?: unknown;
  model?: unknown;
}

export class HfTokenizer implements HfTextTokenizer {
  readonly vocabSize: number;
  readonly longestTokenChars: number;
  readonly bosId: number | null;
  readonly eosId: number;
  readonly padId: number;
  readonly addBos: boolean;
  readonly source: string;
  readonly fingerprint: string;
  readonly chatTemplate: string | null;

  private readonly native: PackageTokenizer;
  private readonly decoder: Decoder | null;
  /** Ids of the special added tokens (skipped by decode on request). */
  private readonly specialIds = new Set<number>();

  /**
   * @param jsonText the tokenizer.json content
   * @param file the tokenizer.json path (for messages)
   * @param special special tokens as named by tokenizer_config.json / special_tokens_map.json
   * @param source folder or description for TextTokenizer.source
   */
  constructor(jsonText: string, file: string, special: SpecialTokens, source: string) {
    let json: TokenizerJson;
    try {
      json = JSON.parse(jsonText) as TokenizerJson;
    } catch (err) {
      throw new TokenizerError(`${file} is not valid JSON: ${jsonSyntaxProblem(err)}`);
    }
    if (!json || typeof json !== 'object' || !json.model) throw new TokenizerError(`${file}: no "model" section; is this a tokenizer.json?`);
    try {
      this.native = Tokenizer.fromString(jsonText);
    } catch (err) {
      throw new TokenizerError(`${file}: the tokenizers package cannot load it: ${(err as Error).message}`);
    }
    this.source = source;
    this.decoder = this.native.getDecoder();
    for (const t of json.added_tokens ?? []) {
      if (t && typeof t.id === 'number' && typeof t.content === 'string' && t.special) this.specialIds.add(t.id);
    }

    // The id space: one past the largest id (a vocabulary with gaps has more ids than entries, and every id
    // must fit the model's embedding table).
    const vocab = this.native.getVocab(true);
    this.vocabSize = Object.values(vocab).reduce((n, id) => Math.max(n, id + 1), this.native.getVocabSize(true));
    this.longestTokenChars = Object.keys(vocab).reduce((m, token) => Math.max(m, token.length), 1);
    const resolve = (role: string, token: string, namedIn: string | undefined): number => {
      const id = this.tokenToId(token);
      if (id === null) throw new TokenizerError(`${namedIn ?? source}: ${role} token ${JSON.stringify(token)} is not in the vocabulary of ${file}`);
      return id;
    };
    this.eosId = resolve('EOS', special.eos, special.namedIn?.eos);
    this.bosId = special.bos === null ? null : resolve('BOS', special.bos, special.namedIn?.bos);
    this.padId = special.pad === null ? this.eosId : resolve('padding', special.pad, special.namedIn?.pad);
    this.addBos = this.bosId !== null && (special.addBos ?? postProcessorAddsBos(json.post_processor, special.bos));
    this.chatTemplate = special.chatTemplate ?? null;
    this.fingerprint = createHash('sha256')
      .update(jsonText)
      .update(JSON.stringify({ bos: this.bosId, eos: this.eosId, pad: this.padId, addBos: this.addBos, chatTemplate: this.chatTemplate }))
      .digest('hex');
  }

  async encode(text: string): Promise<number[]> {
    const encoding = await this.native.encode(text, null, { addSpecialTokens: false });
    return encoding.getIds();
  }

  async encodeBatch(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const encodings = await this.native.encodeBatch(texts, { addSpecialTokens: false });
    return encodings.map((e) => e.getIds());
  }

  async encodeBatchWithOffsets(texts: string[]): Promise<EncodingWithOffsets[]> {
    if (texts.length === 0) return [];
    const encodings = await this.native.encodeBatch(texts, { addSpecialTokens: false });
    return encodings.map((e) => ({ ids: e.getIds(), offsets: e.getOffsets() as Array<[number, number]> }));
  }

  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (skip && this.specialIds.has(id)) continue;
      const token = this.native.idToToken(id);
      if (token !== null) tokens.push(token); // unknown ids are skipped, as in HF
    }
    return this.decoder ? this.decoder.decode(tokens) : tokens.join(' ');
  }

  tokenToId(token: string): number | null {
    return this.native.tokenToId(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.native.idToToken(id) ?? null;
  }

  /** The package's asynchronous decoder (for cross-checks; the product uses `decode`). */
  decodeWithPackage(ids: number[], skipSpecialTokens = false): Promise<string> {
    return this.native.decode(ids, skipSpecialTokens);
  }
}

/** Whether tokenizer.json's post-processor puts `bos` first in a single sequence (TemplateProcessing). */
function postProcessorAddsBos(postProcessor: unknown, bos: string | null): boolean {
  if (bos === null || !postProcessor || typeof postProcessor !== 'object') return false;
  const pp = postProcessor as { type?: string; single?: unknown[]; processors?: unknown[] };
  if (pp.type === 'Sequence' && Array.isArray(pp.processors)) return pp.processors.some((p) => postProcessorAddsBos(p, bos));
  if (pp.type !== 'TemplateProcessing' || !Array.isArray(pp.single)) return false;
  const first = pp.single[0] as { SpecialToken?: { id?: string } } | undefined;
  return first?.SpecialToken?.id === bos;
}
