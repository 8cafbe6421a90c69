// Tokenizing rendered conversations into training examples.
//
// The whole text of a conversation is tokenized at once (as open-instruct does), so tokens are those the
// model sees at inference; a token is trained (label = its id) when its first character lies in a trained
// span of the rendering (src/data/tulu/format.ts), otherwise its label is -100. Offsets from the tokenizers
// package count Unicode code points, so the UTF-16 spans are converted first.
// With addBos, BOS is put first (label -100). The sequence is cut to its first maxLength tokens; a
// conversation left with no label that counts after the model's one-token shift is dropped (and counted).
// Encoder-decoders take (context, assistant turn) pairs instead: encodeConversationTurns.
import type { TrainingExample } from '../types.js';
import type { EncodingWithOffsets } from '../../tokenizer/hf-tokenizer.js';
import { IGNORE_INDEX, countShiftedTargets } from '../encode.js';
import type { RenderedConversation } from './format.js';

export interface ConversationLimits {
  maxLength: number;
  /** BOS id to put first, or null. */
  bos: number | null;
}

export interface ConversationOutcome {
  example: TrainingExample | null;
  truncated: boolean;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** UTF-16 spans -> code-point spans of the same text. */
export function toCodePointSpans(text: string, spans: ReadonlyArray<[number, number]>): Array<[number, number]> {
  if (!SURROGATE.test(text)) return spans.map(([a, b]) => [a, b]);
  // Code points before each UTF-16 index: count low surrogates that follow a high surrogate.
  const codePointsBefore = (index: number): number => {
    let n = index;
    for (let i = 1; i < index; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xdc00 && c <= 0xdfff) {
        const p = text.charCodeAt(i - 1);
        if (p >= 0xd800 && p <= 0xdbff) n--;
      }
    }
    return n;
  };
  return spans.map(([a, b]) => [codePointsBefore(a), codePointsBefore(b)]);
}

/** One example from a rendered conversation and its tokens (see the file comment). */
export function encodeConversation(
  rendered: RenderedConversation,
  encoding: EncodingWithOffsets,
  limits: ConversationLimits,
  meta: { task: string; id: string },
): ConversationOutcome {
  const spans = toCodePointSpans(rendered.text, rendered.trained);
  const prefix = limits.bos === null ? 0 : 1;
  const total = prefix + encoding.ids.length;
  const length = Math.min(total, limits.maxLength);
  const inputIds = new Int32Array(length);
  const labels = new Int32Array(length).fill(IGNORE_INDEX);
  if (limits.bos !== null && length > 0) inputIds[0] = limits.bos;
  for (let t = 0; t + prefix < length; t++) {
    const id = encoding.ids[t]!;
    const start = encoding.offsets[t]![0];
    inputIds[t + prefix] = id;
    if (spans.some(([a, b]) => start >= a && start < b)) labels[t + prefix] = id;
  }
  const example = countShiftedTargets(labels) > 0 ? { inputIds, labels, task: meta.task, id: meta.id } : null;
  return { example, truncated: total > length };
}

/**
 * One (context, assistant turn) example per trained span, for encoder-decoder models: the source is every
 * token before the turn (with BOS first when given), the target the turn's tokens (its content and end-of-turn
 * text); the example keeps both in one sequence with sourceLength marking the split (src/data/seq2seq.ts).
 * A context longer than maxLength keeps its last maxLength tokens (the turns nearest the reply); a target
 * keeps its first maxLength. Turns left without a target token are dropped.
 */
export function encodeConversationTurns(
  rendered: RenderedConversation,
  encoding: EncodingWithOffsets,
  limits: ConversationLimits,
  meta: { task: string; id: string },
): { examples: TrainingExample[]; truncated: boolean } {
  const spans = toCodePointSpans(rendered.text, rendered.trained);
  const examples: TrainingExample[] = [];
  let truncated = false;
  spans.forEach(([a, b], turn) => {
    const context: number[] = [];
    const target: number[] = [];
    encoding.ids.forEach((id, t) => {
      const start = encoding.offsets[t]![0];
      if (start < a) context.push(id);
      else if (start < b) target.push(id);
    });
    const room = limits.maxLength - (limits.bos === null ? 0 : 1);
    const source = [...(limits.bos === null ? [] : [limits.bos]), ...context.slice(Math.max(0, context.length - room))];
    const kept = target.slice(0, limits.maxLength);
    truncated = truncated || context.length > room || target.length > kept.length;
    if (kept.length === 0) return;
    const inputIds = Int32Array.from([...source, ...kept]);
    const labels = Int32Array.from([...source.map(() => IGNORE_INDEX), ...kept]);
    examples.push({ inputIds, labels, task: meta.task, id: `${meta.id}#${turn + 1}`, sourceLength: source.length });
  });
  return { examples, truncated };
}
