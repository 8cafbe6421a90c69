// Generation as the open-instruct benchmarks ask for it, on top of generateTexts (which stops only at token ids).
import type { TextTokenizer } from '../../tokenizer/types.js';
import { tuluChatWrap, type ChatWrap } from '../benchmarks/index.js';
import type { HfTextTokenizer } from '../../tokenizer/hf-tokenizer.js';
import { compileChatTemplate } from '../../data/tulu/format.js';
import { DataError } from '../../data/errors.js';
import { dataSpecKind } from '../../data/spec.js';
import { generateTexts, type Generation } from '../generate.js';
import type { NativeModel } from '../../native/binding.js';
import type { ChatFormat } from './types.js';

/** Prompts are cut only where the model's positions require it (generateTexts caps this by them). */
export const UNCAPPED_PROMPT_TOKENS = 1 << 20;

/**
 * The chat format a run's model was trained in, for its benchmark prompts: conversation data (tulu:, sharegpt:)
 * trains in the TÜLU format or, with --chat-template model, the model's own template; other data in none.
 */
export function trainedChatFormat(data: string, chatTemplate: string | null | undefined): ChatFormat {
  const kind = dataSpecKind(data);
  if (kind !== 'tulu' && kind !== 'sharegpt') return 'none';
  return chatTemplate === 'model' ? 'model' : 'tulu';
}

/**
 * The prompt wrapping of a chat format: none, the TÜLU user turn, or the model's own chat template (one user
 * message rendered with add_generation_prompt, as open-instruct's HF-template path does; a BOS the template writes
 * is left out when the tokenizer adds its own, so it is not there twice).
 */
export function wrapOf(format: ChatFormat | undefined, tokenizer: TextTokenizer): ChatWrap | undefined {
  if (format === 'tulu') return tuluChatWrap;
  if (format !== 'model') return undefined;
  const t = tokenizer as Partial<HfTextTokenizer>;
  if (!t.chatTemplate || typeof t.idToToken !== 'function') {
    throw new DataError(`--chat-format model: ${tokenizer.source} has no chat_template in tokenizer_config.json (use --chat-format tulu or none)`);
  }
  const bos = tokenizer.bosId === null ? null : t.idToToken(tokenizer.bosId);
  const render = compileChatTemplate(t.chatTemplate, { bos, eos: t.idToToken(tokenizer.eosId) ?? '' }, tokenizer.source);
  const addsBos = (tokenizer as { addBos?: unknown }).addBos === true;
  return (content) => {
    const text = render([{ role: 'user', content }], true);
    return addsBos && bos !== null && text.startsWith(bos) ? text.slice(bos.length) : text;
  };
}

/**
 * EOS plus, for a stop string, the last token of its encoding: open-instruct's HF path stops at
 * [[tokenizer.encode(stop, add_special_tokens=False)[-1]]] (the last token, since a tokenizer may put a space
 * token before it).
 */
export async function stopTokenIds(tokenizer: TextTokenizer, stop: string | undefined): Promise<number[]> {
  const ids = [tokenizer.eosId];
  if (stop !== undefined) {
    const tokens = await tokenizer.encode(stop);
    if (tokens.length > 0) ids.push(tokens[tokens.length - 1]!);
  }
  return ids;
}

/** The text before the first `stop`, as vLLM's stop strings cut it: the stop token misses a stop string that
 * ends inside a longer token (e.g. ".\n\n"). */
export function cutAtStop(text: string, stop: string | undefined): string {
  if (stop === undefined) return text;
  const at = text.indexOf(stop);
  return at === -1 ? text : text.slice(0, at);
}

/**
 * Greedy generation that ends at `stop` as open-instruct's runs end there (stopTokenIds, then cutAtStop): the
 * generations and their texts cut at the stop string.
 */
export async function generateUntilStop(
  model: NativeModel,
  tokenizer: TextTokenizer,
  prompts: string[],
  o: { stop: string | undefined; maxNewTokens: number; batchSize?: number; maxPromptTokens?: number; onProgress?: (done: number, total: number) => void },
): Promise<{ generations: Generation[]; outputs: string[] }> {
  const generations = await generateTexts(model, tokenizer, prompts, {
    maxNewTokens: o.maxNewTokens,
    batchSize: o.batchSize ?? 16,
    eosTokenIds: await stopTokenIds(tokenizer, o.stop),
    maxPromptTokens: o.maxPromptTokens ?? UNCAPPED_PROMPT_TOKENS,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  return { generations, outputs: generations.map((g) => cutAtStop(g.text, o.stop)) };
}

/** A note when some prompts were longer than the model's positions allow (generateTexts keeps their start). */
export function truncationNotes(generations: readonly Generation[]): string[] {
  const cut = generations.filter((g) => g.promptTruncated).length;
  if (cut === 0) return [];
  return [`${cut} of ${generations.length} prompts did not fit the model's positions with the new tokens and were cut to their start (their end, the question, was lost): their predictions are meaningless`];
}
