// A TextTokenizer over an HF tokenizer.json, with synchronous encode and decode.
//
// Pipeline (as huggingface/tokenizers TokenizerImpl::encode_single_sequence, without post-processing):
//   1. split the raw text on added tokens whose `normalized` is false,
//   2. normalize each remaining piece (package normalizer) and split it on the normalized added tokens,
//   3. pre-tokenize each remaining piece (package pre-tokenizer),
//   4. run the BPE model on each word (./bpe.ts).
// Decoding maps ids to tokens and runs the package's decoder, as TokenizerImpl::decode does.
import tokenizers from 'tokenizers';
import type { Tokenizer as PackageTokenizer, PreTokenizer, Normalizer, Decoder } from 'tokenizers';
import type { TextTokenizer } from './types.js';
import { AddedTokenMatcher, type AddedTokenJson } from './added-tokens.js';
import { BpeModel, type BpeModelJson } from './bpe.js';

const { Tokenizer, metaspacePreTokenizer } = tokenizers;

/** Which special tokens the tokenizer uses, resolved by the caller from config files. */
export interface SpecialTokens {
  bos: string | null;
  eos: string;
  /** null: use EOS as padding. */
  pad: string | null;
  /** Whether prompts should start with BOS; null = infer from tokenizer.json's post_processor. */
  addBos: boolean | null;
}

/** A TextTokenizer that also knows whether its model expects a leading BOS. */
export interface HfTextTokenizer extends TextTokenizer {
  /** True when the model was trained with BOS at the start of every sequence (Llama-style). */
  addBos: boolean;
  tokenToId(token: string): number | null;
  idToToken(id: number): string | null;
}

interface TokenizerJson {
  added_tokens?: AddedTokenJson[];
  normalizer?: unknown;
  pre_tokenizer?: { type?: string; prepend_scheme?: string; replacement?: string; split?: boolean } | null;
  post_processor?: unknown;
  decoder?: unknown;
  model?: BpeModelJson & { type?: string };
}

export class HfTokenizer implements HfTextTokenizer {
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number;
  readonly padId: number;
  readonly addBos: boolean;
  readonly source: string;

  private readonly native: PackageTokenizer;
  private readonly model: BpeModel;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer | null;
  /** Used for pieces after the first when the pre-tokenizer is Metaspace with prepend_scheme "first". */
  private readonly laterPreTokenizer: PreTokenizer | null;
  private readonly decoder: Decoder | null;
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher;
  private readonly addedById = new Map<number, AddedTokenJson>();

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
      throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (!json || typeof json !== 'object' || !json.model) throw new Error(`${file}: no "model" section; is this a tokenizer.json?`);
    const modelType = json.model.type ?? (json.model.merges ? 'BPE' : undefined);
    if (modelType !== 'BPE') {
      throw new Error(`${file}: tokenizer model type "${modelType ?? 'unknown'}" is not supported (supported: BPE, as used by GPT-2, Llama, Mistral and Qwen)`);
    }
    this.model = new BpeModel(json.model, file);
    try {
      this.native = Tokenizer.fromString(jsonText);
    } catch (err) {
      throw new Error(`${file}: the tokenizers package cannot load it: ${(err as Error).message}`);
    }
    this.source = source;
    this.normalizer = this.native.getNormalizer();
    this.preTokenizer = this.native.getPreTokenizer();
    this.decoder = this.native.getDecoder();
    const pre = json.pre_tokenizer;
    this.laterPreTokenizer =
      pre && pre.type === 'Metaspace' && pre.prepend_scheme === 'first'
        ? metaspacePreTokenizer(pre.replacement ?? '\u2581', 'never', pre.split ?? true)
        : null;

    const added = (json.added_tokens ?? []).filter((t) => typeof t.content === 'string' && typeof t.id === 'number');
    for (const t of added) this.addedById.set(t.id, t);
    const raw = added.filter((t) => !t.normalized);
    const normalized = added.filter((t) => t.normalized);
    this.rawMatcher = new AddedTokenMatcher(raw);
    this.normalizedMatcher = new AddedTokenMatcher(
      normalized,
      normalized.map((t) => (this.normalizer ? this.normalizer.normalizeString(t.content) : t.content)),
    );

    this.vocabSize = this.native.getVocabSize(true);
    const resolve = (role: string, token: string): number => {
      const id = this.tokenToId(token);
      if (id === null) throw new Error(`${source}: ${role} token ${JSON.stringify(token)} is not in the vocabulary of ${file}`);
      return id;
    };
    this.eosId = resolve('EOS', special.eos);
    this.bosId = special.bos === null ? null : resolve('BOS', special.bos);
    this.padId = special.pad === null ? this.eosId : resolve('padding', special.pad);
    this.addBos = this.bosId !== null && (special.addBos ?? postProcessorAddsBos(json.post_processor, special.bos));
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const outer of this.rawMatcher.split(text)) {
      if (outer.tokenId !== null) {
        ids.push(outer.tokenId);
        continue;
      }
      if (outer.text.length === 0) continue;
      const normalized = this.normalizer ? this.normalizer.normalizeString(outer.text) : outer.text;
      for (const inner of this.normalizedMatcher.split(normalized)) {
        if (inner.tokenId !== null) {
          ids.push(inner.tokenId);
          continue;
        }
        if (inner.text.length === 0) continue;
        const isFirst = outer.start === 0 && inner.start === 0;
        const pre = !isFirst && this.laterPreTokenizer ? this.laterPreTokenizer : this.preTokenizer;
        if (!pre) {
          ids.push(...this.model.tokenize(inner.text));
          continue;
        }
        for (const [word] of pre.preTokenizeString(inner.text)) ids.push(...this.model.tokenize(word));
      }
    }
    return ids;
  }

  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const added = this.addedById.get(id);
      if (added && added.special && skip) continue;
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

  /** The package's asynchronous encoder (for cross-checks; the product uses `encode`). */
  async encodeWithPackage(text: string): Promise<number[]> {
    const encoding = await this.native.encode(text, null, { addSpecialTokens: false });
    return encoding.getIds();
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
