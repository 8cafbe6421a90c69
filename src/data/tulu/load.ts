// Loading conversations (TÜLU rows, ShareGPT records mapped to the same turns) into training examples.
//
// Each conversation is rendered in the TÜLU chat format or with the model's chat template
// (src/data/tulu/format.ts), its whole text tokenized once, and every assistant turn (content + end-of-turn text)
// trained, the rest masked (src/data/tulu/encode.ts). Decoder-only: one example per conversation, cut to its first
// maxLength tokens (default 2048). Encoder-decoders (options.conversationTurns): one (context, assistant turn)
// example per turn. Conversations without an assistant turn, or left without a trained token, are dropped and
// counted in the summary's notes.
import path from 'node:path';
import type { DataSummary, TrainingExample } from '../types.js';
import type { TextTokenizer } from '../../tokenizer/types.js';
import type { HfTextTokenizer } from '../../tokenizer/hf-tokenizer.js';
import { capText } from '../../tokenizer/text-cap.js';
import type { DataSelection, TrainingData, TrainingDataOptions } from '../sources.js';
import { positiveInt, rejectSuperNIOptions } from '../option-checks.js';
import type { Conversation } from './read.js';
import { chatTemplateRenderer, tuluRenderer, type ConversationRenderer } from './format.js';
import { encodeConversation, encodeConversationTurns } from './encode.js';

export type ChatTemplateChoice = 'tulu' | 'model';
export const CHAT_TEMPLATE_CHOICES: readonly ChatTemplateChoice[] = ['tulu', 'model'];

/** The tokenizer features conversation data needs (offsets, the EOS text, the chat template). */
function asChatTokenizer(tokenizer: TextTokenizer, label: string): HfTextTokenizer {
  const t = tokenizer as Partial<HfTextTokenizer>;
  if (typeof t.encodeBatchWithOffsets !== 'function' || typeof t.idToToken !== 'function') {
    throw new Error(`${label} data needs a Hugging Face tokenizer (tokenizer.json); ${tokenizer.source} is not one`);
  }
  return tokenizer as HfTextTokenizer;
}

/** Which conversations to load: the spec's kind and file, the reader, and the task name of rows without "dataset". */
export interface ConversationSource {
  kind: 'tulu' | 'sharegpt';
  file: string;
  /** "TÜLU", "ShareGPT": the format's name in messages. */
  label: string;
  defaultTask: string;
  read: () => Promise<Conversation[]>;
}

/** Conversations rendered (TÜLU format or the model's template), tokenized and masked; see the file comment. */
export async function loadConversations(source: ConversationSource, textTokenizer: TextTokenizer, options: TrainingDataOptions, seed: number): Promise<TrainingData> {
  const file = source.file;
  rejectSuperNIOptions(options, `${source.kind}:${file}`);
  const tokenizer = asChatTokenizer(textTokenizer, source.label);
  const maxLength = positiveInt('maxLength', options.maxLength ?? 2048);
  const choice = options.chatTemplate ?? 'tulu';
  if (!CHAT_TEMPLATE_CHOICES.includes(choice)) throw new Error(`chatTemplate must be one of ${CHAT_TEMPLATE_CHOICES.join(', ')}, got ${String(choice)}`);
  const eos = tokenizer.idToToken(tokenizer.eosId)!;
  const bosText = tokenizer.bosId === null ? null : tokenizer.idToToken(tokenizer.bosId);
  let render: ConversationRenderer;
  if (choice === 'model') {
    if (tokenizer.chatTemplate === null) {
      throw new Error(`${tokenizer.source} has no chat_template in tokenizer_config.json; use the TÜLU format (--chat-template tulu)`);
    }
    render = chatTemplateRenderer(tokenizer.chatTemplate, { bos: bosText, eos }, tokenizer.source);
  } else {
    render = tuluRenderer(eos);
  }
  // The model's template writes its own BOS (or not); the TÜLU format gets one when the tokenizer asks for it.
  const addBos = options.addBos ?? (choice === 'tulu' && tokenizer.addBos);
  if (addBos && tokenizer.bosId === null) throw new Error(`addBos is set but the tokenizer (${tokenizer.source}) has no BOS token`);

  const conversations = await source.read();
  const examples: TrainingExample[] = [];
  let tokens = 0;
  let truncated = 0;
  const dropped: string[] = [];
  const noAssistant: string[] = [];
  const datasets = new Set<string>();
  // Rendered texts and token offsets are held for one chunk at a time (the TÜLU v2 mixture has 326k rows).
  const CHUNK = 4096;
  for (let start = 0; start < conversations.length; start += CHUNK) {
    const chunk = conversations.slice(start, start + CHUNK);
    const rendered = chunk.map((c) => {
      try {
        // Only what maxLength can keep of each message is tokenized (one huge message costs no more than a long one).
        return render(c.messages.map((m) => ({ ...m, content: capText(m.content, maxLength, tokenizer.longestTokenChars, 'head-and-tail') })));
      } catch (err) {
        throw new Error(`${file} ${c.location}: ${(err as Error).message}`);
      }
    });
    const encodings = await tokenizer.encodeBatchWithOffsets(rendered.map((r) => r.text));
    chunk.forEach((c, i) => {
      const task = c.dataset ?? source.defaultTask;
      datasets.add(task);
      const name = c.id === c.location ? c.id : `${c.id} (${c.location})`;
      if (!c.messages.some((m) => m.role === 'assistant')) {
        noAssistant.push(name);
        return;
      }
      const limits = { maxLength, bos: addBos ? tokenizer.bosId : null };
      if (options.conversationTurns) {
        const turns = encodeConversationTurns(rendered[i]!, encodings[i]!, limits, { task, id: c.id });
        for (const e of turns.examples) {
          examples.push(e);
          tokens += e.inputIds.length;
        }
        if (turns.truncated) truncated++;
        if (turns.examples.length === 0) dropped.push(name);
        return;
      }
      const out = encodeConversation(rendered[i]!, encodings[i]!, limits, { task, id: c.id });
      if (out.example) {
        examples.push(out.example);
        tokens += out.example.inputIds.length;
        if (out.truncated) truncated++;
      } else {
        dropped.push(name);
      }
    });
  }
  const notes: string[] = [];
  if (truncated > 0) {
    notes.push(
      options.conversationTurns
        ? `${truncated} conversation(s) with a context cut to its last ${maxLength} tokens or a turn cut to its first ${maxLength} (maxLength)`
        : `${truncated} conversation(s) cut to their first ${maxLength} tokens (maxLength)`,
    );
  }
  const some = (names: string[]) => `${names.slice(0, 5).join(', ')}${names.length > 5 ? `, ... (${names.length - 5} more)` : ''}`;
  if (noAssistant.length > 0) notes.push(`${noAssistant.length} conversation(s) dropped: no assistant turn to train on (${some(noAssistant)})`);
  if (dropped.length > 0) notes.push(`${dropped.length} conversation(s) dropped: no assistant token left to train on after truncation to ${maxLength} tokens (${some(dropped)})`);
  const summary: DataSummary = {
    source: `${source.kind}:${path.resolve(file)}`,
    tasks: datasets.size,
    examples: examples.length,
    tokens,
    truncated,
    dropped: dropped.length + noAssistant.length,
    notes,
  };
  const selection: DataSelection = { seed, tasks: { train: [...datasets], dev: [], test: [] }, train: {}, dev: {}, test: {} };
  return { examples, summary, selection, tasks: [] };
}
