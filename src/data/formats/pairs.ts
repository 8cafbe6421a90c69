// Loading (prompt, response) records (Alpaca, prompt/completion) into training examples:
//   inputIds = [BOS]? + prompt tokens + response tokens + EOS, labels -100 over BOS and the prompt.
// Prompt and response are tokenized apart (src/data/encode.ts, as SuperNI instances are), so the trained tokens
// are exactly the response's and EOS, whatever the tokenizer would merge across the boundary. (Alpaca's train.py
// tokenizes prompt + response as one string and masks the first len(tokenize(prompt)) tokens; the two agree
// whenever no token spans the boundary.) Like Alpaca's model_max_length, maxLength (default 2048) cuts the whole
// sequence to its first tokens; an example left without a response token is dropped and counted. The example
// keeps sourceLength, so encoder-decoders take the same examples as (prompt, response) pairs.
import path from 'node:path';
import type { DataSummary, TrainingExample } from '../types.js';
import type { TextTokenizer } from '../../tokenizer/types.js';
import { encodeHeads } from '../../tokenizer/text-cap.js';
import { encodeTokens, validateEncodeLimits, type EncodeLimits } from '../encode.js';
import { positiveInt, rejectSuperNIOptions } from '../option-checks.js';
import { DataError } from '../errors.js';
import { readRecords, type RawRecord } from '../records.js';
import type { DataSelection, TrainingData, TrainingDataOptions } from '../sources.js';

/** One record as text: what is masked (prompt) and what is trained (response, EOS added when encoding). */
export interface PromptResponse {
  /** The record's location in its file ("line 3", "record [2]"). */
  id: string;
  prompt: string;
  response: string;
}

export interface PairSource {
  kind: 'alpaca' | 'prompt-completion';
  file: string;
  /** "Alpaca", "prompt/completion": the format's name in messages. */
  label: string;
  parse: (record: RawRecord) => PromptResponse;
}

/** Reads, encodes and summarizes the records of `source` (see the file comment). */
export async function loadPairs(source: PairSource, tokenizer: TextTokenizer, options: TrainingDataOptions, seed: number): Promise<TrainingData> {
  const spec = `${source.kind}:${source.file}`;
  rejectSuperNIOptions(options, spec);
  if (options.chatTemplate !== undefined) throw new Error(`chatTemplate applies to conversation sources (tulu:<file>, sharegpt:<file>), not to ${spec}`);
  const maxLength = positiveInt('maxLength', options.maxLength ?? 2048);
  // maxSourceLength = maxLength and maxTargetLength one past it: encodeTokens then keeps exactly the first
  // maxLength tokens of the whole sequence, and never swaps a response token for EOS.
  const limits: EncodeLimits = { maxSourceLength: maxLength, maxTargetLength: maxLength + 1, maxLength, addBos: options.addBos ?? (tokenizer as { addBos?: unknown }).addBos === true };
  validateEncodeLimits(limits, tokenizer);

  const pairs = (await readRecords(source.file, source.label)).map(source.parse);
  if (pairs.length === 0) throw new DataError(`${source.label} file ${source.file} has no records`);
  // Only what maxLength can keep of each text is tokenized (a huge record costs no more than a long one).
  const [promptIds, responseIds] = await Promise.all([
    encodeHeads(tokenizer, pairs.map((p) => p.prompt), maxLength),
    encodeHeads(tokenizer, pairs.map((p) => p.response), maxLength),
  ]);
  const task = source.kind;
  const examples: TrainingExample[] = [];
  let tokens = 0;
  let truncated = 0;
  const dropped: string[] = [];
  pairs.forEach((pair, i) => {
    const outcome = encodeTokens(promptIds[i]!, responseIds[i]!, tokenizer, limits, { task, id: pair.id });
    if (!outcome.example) {
      dropped.push(pair.id);
      return;
    }
    examples.push(outcome.example);
    tokens += outcome.example.inputIds.length;
    if (outcome.sourceTruncated || outcome.targetTruncated || outcome.totalTruncated) truncated++;
  });

  const notes: string[] = [];
  if (truncated > 0) notes.push(`${truncated} example(s) cut to their first ${maxLength} tokens (maxLength)`);
  if (dropped.length > 0) {
    const some = `${dropped.slice(0, 5).join(', ')}${dropped.length > 5 ? `, ... (${dropped.length - 5} more)` : ''}`;
    notes.push(`${dropped.length} example(s) dropped: no response token left to train on after truncation to ${maxLength} tokens (${some})`);
  }
  const summary: DataSummary = {
    source: `${source.kind}:${path.resolve(source.file)}`,
    tasks: 1,
    examples: examples.length,
    tokens,
    truncated,
    dropped: dropped.length,
    notes,
  };
  const selection: DataSelection = { seed, tasks: { train: [task], dev: [], test: [] }, train: {}, dev: {}, test: {} };
  return { examples, summary, selection, tasks: [] };
}
