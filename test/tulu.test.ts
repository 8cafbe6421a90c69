// TÜLU conversations: reading jsonl, the TÜLU chat format and a model's chat template, loss masks checked
// by decoding the trained tokens and comparing with the assistant texts of the real file.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { loadTrainingData } from '../src/data/sources.js';
import { readConversations } from '../src/data/tulu/read.js';
import { toCodePointSpans } from '../src/data/tulu/encode.js';
import { IGNORE_INDEX } from '../src/data/encode.js';
import type { TrainingExample } from '../src/data/types.js';
import { realFixturesDir } from './helpers/real-data.js';
import { TULU_TEMPLATE, tokenizerWithTemplate } from './helpers/chat-template.js';

const tuluFile = path.join(realFixturesDir, 'data/tulu/tulu_human_eval_messages.jsonl');
const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');
const EOS = '<|endoftext|>';
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'tulu-'));

interface Row {
  id: string;
  messages: Array<{ role: string; content: string }>;
}
const rows: Row[] = readFileSync(tuluFile, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));

/** Contiguous runs of trained tokens (label != -100), as id lists. */
function trainedRuns(ex: TrainingExample): number[][] {
  const runs: number[][] = [];
  let current: number[] | null = null;
  ex.labels.forEach((l, t) => {
    if (l === IGNORE_INDEX) {
      current = null;
      return;
    }
    expect(l).toBe(ex.inputIds[t]);
    if (!current) runs.push((current = []));
    current.push(l);
  });
  return runs;
}

/** A model folder: the GPT-2 tokenizer with a chat template. */
/** A system prompt, two exchanges, and a character outside the BMP in both directions. */
const MULTI_TURN = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hi 😀.' },
  { role: 'assistant', content: 'Hi 😀!' },
  { role: 'user', content: 'Again, in French.' },
  { role: 'assistant', content: ' Salut.' },
];

describe('TÜLU data', () => {
  it('trains exactly the assistant text + EOS of every real conversation (TÜLU format)', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const data = await loadTrainingData(`tulu:${tuluFile}`, tok, { maxLength: 100_000 });
    expect(rows).toHaveLength(265);
    expect(data.summary).toMatchObject({ examples: 265, dropped: 0, truncated: 0, tasks: 1 });
    expect(data.examples.map((e) => e.id)).toEqual(rows.map((r) => r.id));
    for (const [i, ex] of data.examples.entries()) {
      const assistant = rows[i]!.messages.filter((m) => m.role === 'assistant').map((m) => m.content + EOS);
      expect(trainedRuns(ex).map((run) => tok.decode(run))).toEqual(assistant);
      // Everything else is the conversation's other text, in the TÜLU layout.
      expect(tok.decode(ex.inputIds)).toBe(rows[i]!.messages.map((m) => `<|${m.role}|>\n${m.content}${m.role === 'assistant' ? EOS : ''}\n`).join(''));
    }
  });

  it('for an encoder-decoder: one (context, assistant turn) example per turn, split at the turn', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const file = path.join(tmp(), 'turns.jsonl');
    const conv = MULTI_TURN;
    writeFileSync(file, JSON.stringify({ id: 7, dataset: 'demo', messages: conv }) + '\n');
    const data = await loadTrainingData(`tulu:${file}`, tok, { conversationTurns: true });
    expect(data.examples.map((e) => e.id)).toEqual(['7#1', '7#2']);
    const rendered = conv.map((m) => `<|${m.role}|>\n${m.content}${m.role === 'assistant' ? EOS : ''}\n`);
    for (const [k, turn] of [[0, 2], [1, 4]] as const) {
      const ex = data.examples[k]!;
      const source = Array.from(ex.inputIds.subarray(0, ex.sourceLength!));
      // The context is everything rendered before the turn's text (its header included); the target is the turn.
      expect(tok.decode(source)).toBe(rendered.slice(0, turn).join('') + `<|assistant|>\n`);
      expect(tok.decode(Array.from(ex.inputIds.subarray(ex.sourceLength!)))).toBe(conv[turn]!.content + EOS);
      expect(Array.from(ex.labels.subarray(0, ex.sourceLength!)).every((l) => l === IGNORE_INDEX)).toBe(true);
      expect(Array.from(ex.labels.subarray(ex.sourceLength!))).toEqual(Array.from(ex.inputIds.subarray(ex.sourceLength!)));
    }
    // A long context keeps its last tokens (those next to the reply).
    const cut = await loadTrainingData(`tulu:${file}`, tok, { conversationTurns: true, maxLength: 6 });
    const last = cut.examples[1]!;
    expect(last.sourceLength).toBe(6);
    expect(tok.decode(Array.from(last.inputIds.subarray(0, 6)))).toBe(tok.decode((await tok.encode(rendered.slice(0, 4).join('') + '<|assistant|>\n')).slice(-6)));
    expect(cut.summary.truncated).toBe(1);
  });

  it('a huge message is tokenized only as far as maxLength can keep: the same examples as the whole text gives', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const file = path.join(tmp(), 'huge.jsonl');
    const words = Array.from({ length: 60_000 }, (_, i) => ['alpha', 'beta', 'gamma', '42', 'δέλτα', '🤗'][i % 6]).join(' ');
    const conv = [
      { role: 'user', content: `Summarize: ${words}` },
      { role: 'assistant', content: `${words} end` },
      { role: 'user', content: 'and again' },
      { role: 'assistant', content: 'Done.' },
    ];
    writeFileSync(file, JSON.stringify({ id: 'big', messages: conv }) + '\n' + JSON.stringify({ id: 'small', messages: MULTI_TURN }) + '\n');
    const rendered = conv.map((m) => `<|${m.role}|>\n${m.content}${m.role === 'assistant' ? EOS : ''}\n`);
    const maxLength = 24;
    // Decoder layout: the first maxLength tokens of the whole rendered text (all of them from the user message).
    const data = await loadTrainingData(`tulu:${file}`, tok, { maxLength });
    expect(data.examples.map((e) => e.id)).not.toContain('big'); // nothing of its assistant turn fits
    expect(data.summary.notes.join('\n')).toMatch(/dropped: no assistant token left to train on after truncation to 24 tokens \(big/);
    // Encoder-decoder layout: each turn's context keeps its last maxLength tokens, its target its first.
    const turns = await loadTrainingData(`tulu:${file}`, tok, { conversationTurns: true, maxLength });
    const big = turns.examples.filter((e) => e.id.startsWith('big#'));
    expect(big.map((e) => e.id)).toEqual(['big#1', 'big#2']);
    for (const [ex, turn] of [[big[0]!, 1], [big[1]!, 3]] as const) {
      const context = await tok.encode(rendered.slice(0, turn).join('') + '<|assistant|>\n');
      const target = await tok.encode(conv[turn]!.content + EOS);
      expect(Array.from(ex.inputIds.subarray(0, ex.sourceLength!))).toEqual(context.slice(-maxLength));
      expect(Array.from(ex.inputIds.subarray(ex.sourceLength!))).toEqual(target.slice(0, maxLength));
    }
  });

  it('masks system and user turns of multi-turn conversations, and counts what truncation drops', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const file = path.join(tmp(), 'multi.jsonl');
    const conv = MULTI_TURN;
    writeFileSync(file, [JSON.stringify({ id: 7, dataset: 'demo', messages: conv }), '', JSON.stringify({ messages: conv.slice(0, 2) })].join('\n') + '\n');
    const data = await loadTrainingData(`tulu:${file}`, tok, {});
    expect(data.examples).toHaveLength(1);
    expect(data.summary.dropped).toBe(1); // the second row has no assistant turn
    expect(data.summary.notes.join('\n')).toMatch(/1 conversation\(s\) dropped: no assistant turn to train on \(line 3\)/);
    const ex = data.examples[0]!;
    expect([ex.task, ex.id]).toEqual(['demo', '7']);
    expect(trainedRuns(ex).map((r) => tok.decode(r))).toEqual([`Hi 😀!${EOS}`, ` Salut.${EOS}`]);

    // Truncation: the first trained token sits at the length of the tokenized text before it; a limit at
    // or below that leaves nothing to train and drops the row, one more keeps it.
    const text = tok.decode(ex.inputIds);
    const first = (await tok.encode(text.slice(0, text.indexOf('Hi 😀!')))).length;
    const at = await loadTrainingData(`tulu:${file}`, tok, { maxLength: first });
    expect([at.summary.examples, at.summary.dropped]).toEqual([0, 2]);
    const past = await loadTrainingData(`tulu:${file}`, tok, { maxLength: first + 1 });
    expect([past.summary.examples, past.summary.truncated]).toEqual([1, 1]);
    expect(past.summary.notes[0]).toBe(`1 conversation(s) cut to their first ${first + 1} tokens (maxLength)`);
    expect(past.examples[0]!.labels.filter((l) => l !== IGNORE_INDEX)).toHaveLength(1);
  });

  it("renders the model's chat template with @huggingface/jinja: the TÜLU template gives the TÜLU encoding", async () => {
    const tuluTok = await loadTokenizer(gpt2Dir);
    const modelTok = await loadTokenizer(tokenizerWithTemplate(TULU_TEMPLATE));
    const builtIn = await loadTrainingData(`tulu:${tuluFile}`, tuluTok, {});
    const templated = await loadTrainingData(`tulu:${tuluFile}`, modelTok, { chatTemplate: 'model' });
    expect(templated.examples.length).toBe(builtIn.examples.length);
    templated.examples.forEach((ex, i) => {
      expect(Array.from(ex.inputIds)).toEqual(Array.from(builtIn.examples[i]!.inputIds));
      expect(Array.from(ex.labels)).toEqual(Array.from(builtIn.examples[i]!.labels));
    });
    // ChatML-style: the end-of-turn token is trained, the newline after it is not.
    const chatml = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + eos_token + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const chatmlData = await loadTrainingData(`tulu:${tuluFile}`, await loadTokenizer(tokenizerWithTemplate(chatml)), { chatTemplate: 'model' });
    chatmlData.examples.forEach((ex, i) => {
      expect(trainedRuns(ex).map((r) => tuluTok.decode(r))).toEqual(rows[i]!.messages.filter((m) => m.role === 'assistant').map((m) => m.content + EOS));
    });
  });

  it('rejects malformed lines, unknown roles and unusable templates, naming file and line', async () => {
    const tok = await loadTokenizer(gpt2Dir);
    const write = (lines: string[]) => {
      const file = path.join(tmp(), 'bad.jsonl');
      writeFileSync(file, lines.join('\n'));
      return file;
    };
    const ok = JSON.stringify({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] });
    await expect(readConversations(write([ok, '{"messages": [}']))).rejects.toThrow(/bad\.jsonl line 2: invalid JSON/);
    await expect(readConversations(write([ok, ok, JSON.stringify({ messages: [{ role: 'tool', content: 'x' }] })]))).rejects.toThrow(
      /bad\.jsonl line 3: "messages"\[0\] has the unknown role "tool" \(expected system, user, assistant\)/,
    );
    await expect(readConversations(write([JSON.stringify({ messages: [] })]))).rejects.toThrow(/line 1: "messages" is empty/);
    await expect(readConversations(write([JSON.stringify({ messages: [{ role: 'user', content: 3 }] })]))).rejects.toThrow(/line 1: "messages"\[0\] \("user"\): "content" must be a string/);
    await expect(readConversations(write([JSON.stringify({ conversation: [] })]))).rejects.toThrow(/line 1: "messages" must be a list/);
    await expect(readConversations(write(['', '  ']))).rejects.toThrow(/has no conversations/);
    const good = write([ok]);
    await expect(loadTrainingData(`tulu:${good}`, tok, { chatTemplate: 'model' })).rejects.toThrow(/has no chat_template in tokenizer_config\.json; use the TÜLU format/);
    await expect(loadTrainingData(`tulu:${good}`, tok, { instancesPerTask: 5 })).rejects.toThrow(/instancesPerTask applies to SuperNI sources/);
    const rewriting = await loadTokenizer(tokenizerWithTemplate("{{ messages|length }}{% for m in messages %}{{ m['content'] }}{% endfor %}"));
    await expect(loadTrainingData(`tulu:${good}`, rewriting, { chatTemplate: 'model' })).rejects.toThrow(/bad\.jsonl line 1: The chat template of .* does not render conversations incrementally/);
  });

  it('converts UTF-16 spans to code points (the tokenizers offsets unit)', () => {
    expect(toCodePointSpans('ab', [[0, 2]])).toEqual([[0, 2]]);
    expect(toCodePointSpans('😀a😀b', [[2, 3], [5, 6]])).toEqual([[1, 2], [3, 4]]);
  });
});
