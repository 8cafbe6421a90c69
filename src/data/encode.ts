// Decoder-only encoding of one (prompt, target) pair:
//   inputIds = [BOS]? + prompt tokens + target tokens + EOS
//   labels   = -100 over BOS and the prompt, the token ids over target + EOS
// Truncation, in this order:
//   1. source ([BOS] + prompt) to its first maxSourceLength tokens (as the Tk-Instruct collator keeps the
//      beginning of the source);
//   2. target + EOS to maxTargetLength tokens, keeping EOS (HF truncation of a target that gets an EOS
//      appended keeps the EOS: the first maxTargetLength - 1 target tokens, then EOS);
//   3. the whole sequence to its first maxLength tokens (this can cut the end of the target, EOS included).
// The example records sourceLength: inputIds[0, sourceLength) is the source ([BOS] + prompt) and the rest
// the target (+ EOS), so encoder-decoder models can take them apart.
// An example whose labels have no position that counts after the model's one-token shift (no label at
// positions 1..T-1) is dropped; the caller counts it.
import type { TrainingExample } from './types.js';
import { encodeHeads } from '../tokenizer/text-cap.js';
import type { TextTokenizer } from '../tokenizer/types.js';

export const IGNORE_INDEX = -100;

export interface EncodeLimits {
  maxSourceLength: number;
  maxTargetLength: number;
  /** Limit on the whole sequence; default maxSourceLength + maxTargetLength (never binding). */
  maxLength?: number;
  /** Start the source with the tokenizer's BOS (it must have one). */
  addBos: boolean;
}

export interface EncodeOutcome {
  /** null when the example was dropped. */
  example: TrainingExample | null;
  sourceTruncated: boolean;
  targetTruncated: boolean;
  totalTruncated: boolean;
}

/** Checks limits once, so a bad option fails before any data is read. */
export function validateEncodeLimits(limits: EncodeLimits, tokenizer: TextTokenizer): void {
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) throw new Error(`${name} must be a positive integer, got ${value}`);
  };
  positive('maxSourceLength', limits.maxSourceLength);
  positive('maxTargetLength', limits.maxTargetLength);
  positive('maxLength', limits.maxLength);
  if (limits.maxLength !== undefined && limits.maxLength < 2) throw new Error(`maxLength must be at least 2 (one prompt and one target token), got ${limits.maxLength}`);
  if (limits.addBos && tokenizer.bosId === null) throw new Error(`addBos is set but the tokenizer (${tokenizer.source}) has no BOS token`);
}

/** Counts label positions that contribute to the loss after the shift (positions 1..T-1). */
export function countShiftedTargets(labels: ArrayLike<number>): number {
  let n = 0;
  for (let t = 1; t < labels.length; t++) if (labels[t] !== IGNORE_INDEX) n++;
  return n;
}

/** Encode already-tokenized source and target ids (see the file comment for the rules). */
export function encodeTokens(
  promptIds: readonly number[],
  targetIds: readonly number[],
  tokenizer: TextTokenizer,
  limits: EncodeLimits,
  meta: { task: string; id: string },
): EncodeOutcome {
  let source = limits.addBos ? [tokenizer.bosId as number, ...promptIds] : [...promptIds];
  const sourceTruncated = source.length > limits.maxSourceLength;
  if (sourceTruncated) source = source.slice(0, limits.maxSourceLength);

  const targetTruncated = targetIds.length + 1 > limits.maxTargetLength;
  const target = [...targetIds.slice(0, limits.maxTargetLength - 1), tokenizer.eosId];

  const maxLength = limits.maxLength ?? limits.maxSourceLength + limits.maxTargetLength;
  const total = source.length + target.length;
  const totalTruncated = total > maxLength;
  const length = Math.min(total, maxLength);

  const inputIds = new Int32Array(length);
  const labels = new Int32Array(length).fill(IGNORE_INDEX);
  for (let i = 0; i < length; i++) {
    if (i < source.length) {
      inputIds[i] = source[i]!;
    } else {
      inputIds[i] = target[i - source.length]!;
      labels[i] = inputIds[i]!;
    }
  }
  // A kept example holds its whole (truncated) source: maxLength can only cut into the target.
  const example = countShiftedTargets(labels) > 0 ? { inputIds, labels, task: meta.task, id: meta.id, sourceLength: source.length } : null;
  return { example, sourceTruncated, targetTruncated, totalTruncated };
}

/** Tokenize and encode one (prompt, target) pair. The target gets EOS appended; nothing else is added. */
export async function encodeExample(
  prompt: string,
  target: string,
  tokenizer: TextTokenizer,
  limits: EncodeLimits,
  meta: { task: string; id: string },
): Promise<EncodeOutcome> {
  const [[promptIds], [targetIds]] = await Promise.all([encodeHeads(tokenizer, [prompt], limits.maxSourceLength), encodeHeads(tokenizer, [target], limits.maxTargetLength)]);
  return encodeTokens(promptIds!, targetIds!, tokenizer, limits, meta);
}

/** Running counts over many encodings, turned into DataSummary fields and notes. */
export class EncodeTally {
  examples = 0;
  tokens = 0;
  sourceTruncated = 0;
  targetTruncated = 0;
  totalTruncated = 0;
  /** Kept examples with any truncation (dropped ones are only in `dropped`). */
  truncatedExamples = 0;
  dropped = 0;
  private readonly droppedIds: string[] = [];

  add(outcome: EncodeOutcome, meta: { task: string; id: string }): void {
    if (outcome.sourceTruncated) this.sourceTruncated++;
    if (outcome.targetTruncated) this.targetTruncated++;
    if (outcome.totalTruncated) this.totalTruncated++;
    if (outcome.example) {
      if (outcome.sourceTruncated || outcome.targetTruncated || outcome.totalTruncated) this.truncatedExamples++;
      this.examples++;
      this.tokens += outcome.example.inputIds.length;
    } else {
      this.dropped++;
      if (this.droppedIds.length < 5) this.droppedIds.push(`${meta.task}/${meta.id}`);
    }
  }

  notes(limits: EncodeLimits): string[] {
    const notes: string[] = [];
    if (this.sourceTruncated) notes.push(`${this.sourceTruncated} example(s): source cut to its first ${limits.maxSourceLength} tokens (maxSourceLength)`);
    if (this.targetTruncated) notes.push(`${this.targetTruncated} example(s): target cut to ${limits.maxTargetLength} tokens including EOS (maxTargetLength)`);
    if (this.totalTruncated) notes.push(`${this.totalTruncated} example(s): sequence cut to its first ${limits.maxLength} tokens (maxLength)`);
    if (this.dropped) {
      const more = this.dropped > this.droppedIds.length ? `, ... (${this.dropped - this.droppedIds.length} more)` : '';
      notes.push(`${this.dropped} example(s) dropped: no target token left after truncation (${this.droppedIds.join(', ')}${more})`);
    }
    return notes;
  }
}
