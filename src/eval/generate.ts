// Text in, text out: tokenizes prompts, runs native generation (KV cache, per-row EOS stop) and decodes each
// row up to its EOS. Decoder-only models use continuous batching (native generateContinuous: a row that ends
// is replaced at once by the next prompt, so no batch waits for its longest answer); encoder-decoder (T5)
// models still run fixed left-padded batches of prompts of similar length.
// Prompts are encoded as for training (src/data/encode.ts): [BOS if the tokenizer adds one] + prompt tokens,
// cut to their first maxPromptTokens.
import { native, type NativeModel } from '../native/binding.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { encodeHeads } from '../tokenizer/text-cap.js';
import { isEncoderDecoder, maxPositions } from '../models/config.js';
import { allGatherIntArrays, indicesOfRank, type RankCollective } from '../distributed/gather.js';

export interface GenerateTextOptions {
  /** New tokens per prompt at most (default 128). */
  maxNewTokens?: number;
  /** Rows decoded together (default 16): continuous batching's slots, or the fixed batches' size. */
  batchSize?: number;
  /** 'continuous' (default for decoder-only models) or 'fixed' batches; encoder-decoder models are always fixed. */
  batching?: Batching;
  /** Prompt tokens kept, BOS included (default 1024, the study's source length; capped by the model's positions). */
  maxPromptTokens?: number;
  /** Start prompts with BOS; default: what the tokenizer's config says. */
  addBos?: boolean;
  /** Stop ids; default the tokenizer's EOS. */
  eosTokenIds?: number[];
  /** 0 (default) = greedy. */
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Called as prompts finish (continuous: after each; fixed: after each batch) with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Data parallelism: each rank generates every worldSize-th prompt and the generations are gathered, so every
   * rank returns them all (greedy only: a sampled row's generator is seeded by its index among the prompts a
   * call sees). Progress counts this rank's prompts.
   */
  shard?: RankCollective;
}

/** How rows are batched: continuous batching (slots refilled from a queue) or fixed padded batches. */
export type Batching = 'continuous' | 'fixed';

export interface Generation {
  /** Decoded new text up to (without) the EOS, special tokens skipped. */
  text: string;
  /** New token ids, without the final EOS. */
  tokens: number[];
  /** Stopped at an EOS (false: ran into maxNewTokens). */
  stoppedAtEos: boolean;
  promptTokens: number;
  promptTruncated: boolean;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Token ids of each prompt as the model sees them (BOS, truncation). */
export async function encodePrompts(
  prompts: string[],
  tokenizer: TextTokenizer,
  options: { addBos: boolean; maxPromptTokens: number },
): Promise<Array<{ ids: number[]; truncated: boolean }>> {
  if (options.addBos && tokenizer.bosId === null) throw new Error(`addBos is set but the tokenizer (${tokenizer.source}) has no BOS token`);
  const encoded = prompts.length === 0 ? [] : await encodeHeads(tokenizer, prompts, options.maxPromptTokens);
  return encoded.map((tokens) => {
    const ids = options.addBos ? [tokenizer.bosId as number, ...tokens] : tokens;
    const truncated = ids.length > options.maxPromptTokens;
    return { ids: truncated ? ids.slice(0, options.maxPromptTokens) : ids, truncated };
  });
}

/** Left-padded [rows, longest] ids and attention mask. */
export function leftPad(rows: ReadonlyArray<readonly number[]>, padId: number): { inputIds: Int32Array; attentionMask: Int32Array; batchSize: number; seqLen: number } {
  const seqLen = Math.max(...rows.map((r) => r.length));
  const inputIds = new Int32Array(rows.length * seqLen).fill(padId);
  const attentionMask = new Int32Array(rows.length * seqLen);
  rows.forEach((row, b) => {
    const start = b * seqLen + seqLen - row.length;
    inputIds.set(row, start);
    attentionMask.fill(1, start, (b + 1) * seqLen);
  });
  return { inputIds, attentionMask, batchSize: rows.length, seqLen };
}

export interface GenerateTokensOptions {
  /** New tokens per prompt at most. */
  maxNewTokens: number;
  /** Stop ids (at least one). */
  eosTokenIds: number[];
  /** The id that pads the left of shorter prompts. */
  padTokenId: number;
  /** Rows decoded together (default 16): continuous batching's slots, or the fixed batches' size. */
  batchSize?: number;
  /** 'continuous' (default for decoder-only models) or 'fixed' batches; encoder-decoder models are always fixed. */
  batching?: Batching;
  /** 0 (default) = greedy. */
  temperature?: number;
  topP?: number;
  /**
   * Sampling seed. Continuous batching: prompt i (its index in `prompts`) samples from its own generator seeded
   * from (seed, i), whatever the batch size. Fixed batches: one generator per batch, seeded with `seed`.
   */
  seed?: number;
  /** Called as prompts finish (continuous: after each; fixed: after each batch) with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Continuous batching: prompts beginning with at least this many equal tokens compute them once (default 32;
   * 0 computes every prompt whole). A SuperNI evaluation's prompts share their task's definition.
   */
  minSharedPrefix?: number;
}

export interface TokenGeneration {
  /** New token ids, without the final EOS. */
  tokens: number[];
  /** Stopped at an EOS (false: ran into maxNewTokens). */
  stoppedAtEos: boolean;
}

/**
 * Generates a continuation of every prompt given as token ids (no tokenizer involved); results are in prompt
 * order. Decoder-only models: one continuous-batching native call over all prompts (batchSize slots, longest
 * prompts first), progress reported as rows end. Encoder-decoder models (or batching 'fixed'): prompts of
 * similar length share a fixed left-padded batch (longest first, so a batch too large fails at once).
 */
export async function generateTokens(model: NativeModel, prompts: ReadonlyArray<readonly number[]>, options: GenerateTokensOptions): Promise<TokenGeneration[]> {
  const batchSize = positiveInt('batchSize', options.batchSize ?? 16);
  const batching = options.batching ?? 'continuous';
  if (batching !== 'continuous' && batching !== 'fixed') throw new Error(`batching must be 'continuous' or 'fixed', got ${String(batching)}`);
  if (prompts.length === 0) return [];
  const nativeOptions = {
    maxNewTokens: options.maxNewTokens,
    eosTokenIds: options.eosTokenIds,
    padTokenId: options.padTokenId,
    temperature: options.temperature ?? 0,
    topP: options.topP ?? 1,
    seed: options.seed ?? 0,
  };
  const eos = new Set(options.eosTokenIds);
  const results = new Array<TokenGeneration>(prompts.length);
  const take = (out: { tokens: Int32Array; lengths: Int32Array; maxNewTokens: number }, b: number, promptIndex: number) => {
    const length = out.lengths[b]!;
    const row = Array.from(out.tokens.subarray(b * out.maxNewTokens, b * out.maxNewTokens + length));
    const stoppedAtEos = length > 0 && eos.has(row[length - 1]!);
    results[promptIndex] = { tokens: stoppedAtEos ? row.slice(0, -1) : row, stoppedAtEos };
  };

  if (batching === 'continuous' && !isEncoderDecoder(model.config())) {
    // One call: the native queue keeps every slot busy to the end (chunks would each drain to their longest
    // answer). Progress comes from the native side as rows end; calls after the Promise settled are dropped.
    const total = prompts.length;
    let settled = false;
    let reported = 0;
    let progressError: unknown;
    const onProgress = options.onProgress;
    const out = await native().generateContinuous(model, leftPad(prompts, options.padTokenId), {
      ...nativeOptions,
      slots: batchSize,
      ...(options.minSharedPrefix !== undefined ? { minSharedPrefix: options.minSharedPrefix } : {}),
      ...(onProgress
        ? {
            onProgress: (done: number) => {
              if (settled || done <= reported || progressError !== undefined) return;
              reported = done;
              try {
                onProgress(done, total);
              } catch (err) {
                progressError = err;
              }
            },
          }
        : {}),
    });
    settled = true;
    if (progressError !== undefined) throw progressError;
    prompts.forEach((_, b) => take(out, b, b));
    if (reported < total) onProgress?.(total, total);
    return results;
  }

  const order = prompts.map((_, i) => i).sort((a, b) => prompts[b]!.length - prompts[a]!.length || a - b);
  for (let start = 0; start < order.length; start += batchSize) {
    const rows = order.slice(start, start + batchSize);
    const out = await native().generate(model, leftPad(rows.map((i) => prompts[i]!), options.padTokenId), nativeOptions);
    rows.forEach((promptIndex, b) => take(out, b, promptIndex));
    options.onProgress?.(Math.min(start + batchSize, order.length), order.length);
  }
  return results;
}

/** Every rank's generations (of the prompts at `own`) on every rank, in prompt order. */
async function gatherGenerations(shard: RankCollective, total: number, own: number[], mine: TokenGeneration[]): Promise<TokenGeneration[]> {
  // Each generation travels as [stoppedAtEos (0/1), ...tokens].
  const packed = new Map(own.map((index, k) => [index, [mine[k]!.stoppedAtEos ? 1 : 0, ...mine[k]!.tokens]]));
  const all = await allGatherIntArrays(shard, total, packed);
  return all.map(([stopped, ...tokens]) => ({ tokens, stoppedAtEos: stopped === 1 }));
}

/** New tokens per prediction unless told (the study's max target length). */
export const DEFAULT_MAX_NEW_TOKENS = 128;

/** Generates a continuation of every prompt; results are in prompt order. */
export async function generateTexts(model: NativeModel, tokenizer: TextTokenizer, prompts: string[], options: GenerateTextOptions = {}): Promise<Generation[]> {
  const maxNewTokens = positiveInt('maxNewTokens', options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS);
  const config = model.config();
  let maxPromptTokens = positiveInt('maxPromptTokens', options.maxPromptTokens ?? 1024);
  if (!isEncoderDecoder(config)) {
    // A decoder's prompt + new tokens must fit its positions (the last new token is never fed back); an
    // encoder-decoder's prompt is its source and the new tokens are the decoder's own.
    const positions = maxPositions(config);
    if (maxNewTokens >= positions) throw new Error(`maxNewTokens ${maxNewTokens} leaves no room for a prompt in the model's ${positions} positions`);
    maxPromptTokens = Math.min(maxPromptTokens, positions - maxNewTokens + 1);
  }
  const addBos = options.addBos ?? (tokenizer as { addBos?: unknown }).addBos === true;
  const { shard } = options;
  if (shard && (options.temperature ?? 0) > 0) throw new Error('sharded generation is greedy only (temperature 0): sampled rows would draw other numbers than in one process');
  const encoded = await encodePrompts(prompts, tokenizer, { addBos, maxPromptTokens });
  const own = shard ? indicesOfRank(encoded.length, shard.rank(), shard.worldSize()) : encoded.map((_, i) => i);
  const generatedHere = await generateTokens(
    model,
    own.map((i) => encoded[i]!.ids),
    {
      maxNewTokens,
      eosTokenIds: options.eosTokenIds ?? [tokenizer.eosId],
      padTokenId: tokenizer.padId,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.batching !== undefined ? { batching: options.batching } : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.topP !== undefined ? { topP: options.topP } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
  );
  const generated = shard ? await gatherGenerations(shard, encoded.length, own, generatedHere) : generatedHere;
  return generated.map((g, i) => ({
    text: tokenizer.decode(g.tokens, { skipSpecialTokens: true }),
    tokens: g.tokens,
    stoppedAtEos: g.stoppedAtEos,
    promptTokens: encoded[i]!.ids.length,
    promptTruncated: encoded[i]!.truncated,
  }));
}
