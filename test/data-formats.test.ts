// The alpaca:, sharegpt: and prompt-completion: data formats: real samples (test/fixtures/alpaca, sharegpt,
// prompt-completion; sources in test/fixtures/README.md) loaded with the loss mask checked token by token, the
// Alpaca and prompt/completion encodings against Stanford Alpaca's train.py (ids and labels made by
// scripts/fixtures/make_instruction_format_fixtures.py), malformed records, spec parsing, the cache key and
// `peft-native data inspect`.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTokenizer } from '../src/tokenizer/load.js';
import type { HfTextTokenizer } from '../src/tokenizer/hf-tokenizer.js';
import { loadTrainingData } from '../src/data/sources.js';
import { datasetCacheKey, prepareDataset } from '../src/data/dataset.js';
import { ACCEPTED_DATA_SPECS, isConversationSpec, isSuperNISpec, parseDataSpec } from '../src/data/spec.js';
import { DataError } from '../src/data/errors.js';
import { IGNORE_INDEX } from '../src/data/encode.js';
import type { TrainingExample } from '../src/data/types.js';
import { realFixturesDir } from './helpers/real-data.js';
import { compileCliIfMissing, runCli } from './helpers/cli.js';
import { addonBuilt } from './helpers/addon.js';

const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');
const alpacaFile = path.join(realFixturesDir, 'alpaca/alpaca_5000_first8.json');
const sharegptFile = path.join(realFixturesDir, 'sharegpt/dummy_conversation_with_system_first8.json');
const promptCompletionFile = path.join(realFixturesDir, 'prompt-completion/alpaca_first8.jsonl');
const EOS = '<|endoftext|>';
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'data-formats-'));
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

interface AlpacaRow {
  instruction: string;
  input: string;
  output: string;
}
interface ShareGPTRow {
  id: string;
  system?: string;
  conversations: Array<{ from: string; value: string }>;
}
interface Reference {
  input_ids: number[];
  labels: number[];
}
const alpacaRows = readJson<AlpacaRow[]>(alpacaFile);
const sharegptRows = readJson<ShareGPTRow[]>(sharegptFile);
const pcRows = readFileSync(promptCompletionFile, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { prompt: string; completion: string });

// The Alpaca prompts, as the Stanford Alpaca README and train.py write them (written out here, not imported).
const alpacaPromptOf = (r: AlpacaRow): string =>
  r.input !== ''
    ? `Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\n${r.instruction}\n\n### Input:\n${r.input}\n\n### Response:`
    : `Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n${r.instruction}\n\n### Response:`;

let tok: HfTextTokenizer;
beforeAll(async () => {
  tok = await loadTokenizer(gpt2Dir);
});

/**
 * Checks a (prompt, response) example token by token: every token before sourceLength is -100 and decodes to the
 * prompt, every token from it on is trained with its own id and decodes to the response + EOS, the last being EOS.
 */
function expectPairMask(ex: TrainingExample, prompt: string, response: string): void {
  const n = ex.sourceLength!;
  expect(n).toBeGreaterThan(0);
  for (let t = 0; t < ex.inputIds.length; t++) expect(ex.labels[t], `token ${t}`).toBe(t < n ? IGNORE_INDEX : ex.inputIds[t]);
  expect(tok.decode(ex.inputIds.subarray(0, n))).toBe(prompt);
  expect(tok.decode(ex.labels.subarray(n))).toBe(response + EOS);
  expect(ex.inputIds[ex.inputIds.length - 1]).toBe(tok.eosId);
}

/** Writes `rows` as JSONL into a temporary file. */
function jsonl(rows: unknown[], name = 'data.jsonl'): string {
  const file = path.join(tmp(), name);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

/** What a ShareGPT record renders to in the TÜLU format, and the assistant spans (content + EOS). */
function tuluRendering(row: ShareGPTRow): { text: string; trained: Array<[number, number]>; assistant: string[] } {
  const role = { human: 'user', gpt: 'assistant', system: 'system' } as Record<string, string>;
  const messages = [...(row.system ? [{ role: 'system', content: row.system }] : []), ...row.conversations.map((c) => ({ role: role[c.from]!, content: c.value }))];
  let text = '';
  const trained: Array<[number, number]> = [];
  for (const m of messages) {
    text += `<|${m.role}|>\n`;
    if (m.role === 'assistant') {
      trained.push([text.length, text.length + m.content.length + EOS.length]);
      text += m.content + EOS;
    } else {
      text += m.content;
    }
    text += '\n';
  }
  return { text, trained, assistant: messages.filter((m) => m.role === 'assistant').map((m) => m.content + EOS) };
}

describe('alpaca:<file>', () => {
  it('trains exactly each real record\'s output + EOS after the Alpaca prompt, as Stanford Alpaca\'s train.py does', async () => {
    const data = await loadTrainingData(`alpaca:${alpacaFile}`, tok);
    expect(data.summary).toMatchObject({ source: `alpaca:${alpacaFile}`, tasks: 1, examples: 8, truncated: 0, dropped: 0, notes: [] });
    expect(data.examples.map((e) => [e.task, e.id])).toEqual(alpacaRows.map((_, i) => ['alpaca', `record [${i}]`]));
    expect(alpacaRows.filter((r) => r.input === '')).toHaveLength(3); // both templates are exercised
    const reference = readJson<Reference[]>(path.join(realFixturesDir, 'alpaca/alpaca_5000_first8.train_py_gpt2.json'));
    data.examples.forEach((ex, i) => {
      const row = alpacaRows[i]!;
      expectPairMask(ex, alpacaPromptOf(row), row.output);
      expect(Array.from(ex.inputIds)).toEqual(reference[i]!.input_ids);
      expect(Array.from(ex.labels)).toEqual(reference[i]!.labels);
    });
  });

  it('reads the same records from JSONL, naming them by line; a missing or null "input" is the no-input prompt', async () => {
    const fromArray = await loadTrainingData(`alpaca:${alpacaFile}`, tok);
    const file = jsonl(alpacaRows, 'alpaca.jsonl');
    const fromLines = await loadTrainingData(`alpaca:${file}`, tok);
    expect(fromLines.examples.map((e) => e.id)).toEqual(alpacaRows.map((_, i) => `line ${i + 1}`));
    fromLines.examples.forEach((ex, i) => {
      expect(Array.from(ex.inputIds)).toEqual(Array.from(fromArray.examples[i]!.inputIds));
      expect(Array.from(ex.labels)).toEqual(Array.from(fromArray.examples[i]!.labels));
    });
    const noInput = alpacaRows[4]!;
    expect(noInput.input).toBe('');
    const variants = jsonl([{ instruction: noInput.instruction, output: noInput.output }, { instruction: noInput.instruction, input: null, output: noInput.output, extra: 1 }]);
    const v = await loadTrainingData(`alpaca:${variants}`, tok);
    for (const ex of v.examples) expect(Array.from(ex.inputIds)).toEqual(Array.from(fromArray.examples[4]!.inputIds));
    // Template-like text in a field is data, not a placeholder.
    const odd = await loadTrainingData(`alpaca:${jsonl([{ instruction: 'Say {input} and $& literally.', input: '{instruction}', output: 'ok' }])}`, tok);
    expect(tok.decode(odd.examples[0]!.inputIds.subarray(0, odd.examples[0]!.sourceLength!))).toContain('### Instruction:\nSay {input} and $& literally.\n\n### Input:\n{instruction}\n\n### Response:');
  });

  it('cuts the whole sequence to its first maxLength tokens and drops records left without a response token', async () => {
    const full = await loadTrainingData(`alpaca:${alpacaFile}`, tok);
    const first = full.examples[0]!; // "No": the prompt, one output token, EOS
    const n = first.sourceLength!;
    const cut = await loadTrainingData(`alpaca:${alpacaFile}`, tok, { maxLength: n + 1 });
    const kept = cut.examples.find((e) => e.id === 'record [0]')!;
    expect(Array.from(kept.inputIds)).toEqual(Array.from(first.inputIds.subarray(0, n + 1)));
    expect(tok.decode(kept.labels.subarray(n))).toBe('No');
    const tooShort = await loadTrainingData(`alpaca:${alpacaFile}`, tok, { maxLength: 20 });
    expect(tooShort.summary.examples).toBe(0);
    expect(tooShort.summary.dropped).toBe(8);
    expect(tooShort.summary.notes).toEqual(['8 example(s) dropped: no response token left to train on after truncation to 20 tokens (record [0], record [1], record [2], record [3], record [4], ... (3 more))']);
    expect(cut.summary.notes[0]).toMatch(new RegExp(`^\\d+ example\\(s\\) cut to their first ${n + 1} tokens \\(maxLength\\)$`));
  });
});

describe('prompt-completion:<file.jsonl>', () => {
  it('masks the prompt verbatim and trains the completion + EOS of each real record, as train.py would', async () => {
    const data = await loadTrainingData(`prompt-completion:${promptCompletionFile}`, tok);
    expect(data.summary).toMatchObject({ tasks: 1, examples: 8, truncated: 0, dropped: 0 });
    const reference = readJson<Reference[]>(path.join(realFixturesDir, 'prompt-completion/alpaca_first8.train_py_gpt2.json'));
    data.examples.forEach((ex, i) => {
      expect([ex.task, ex.id]).toEqual(['prompt-completion', `line ${i + 1}`]);
      expectPairMask(ex, pcRows[i]!.prompt, pcRows[i]!.completion);
      expect(Array.from(ex.inputIds)).toEqual(reference[i]!.input_ids);
      expect(Array.from(ex.labels)).toEqual(reference[i]!.labels);
    });
  });

  it('puts BOS first (masked) when asked', async () => {
    const file = jsonl([{ prompt: 'Q: 2+2?\nA:', completion: ' 4' }]);
    const ex = (await loadTrainingData(`prompt-completion:${file}`, tok, { addBos: true })).examples[0]!;
    expect(ex.inputIds[0]).toBe(tok.bosId);
    expectPairMask(ex, `${EOS}Q: 2+2?\nA:`, ' 4');
  });
});

describe('sharegpt:<file>', () => {
  it('renders real conversations in the TÜLU format (system first) and trains every gpt turn + EOS, token by token', async () => {
    const data = await loadTrainingData(`sharegpt:${sharegptFile}`, tok);
    expect(data.summary).toMatchObject({ source: `sharegpt:${sharegptFile}`, tasks: 1, examples: 8, truncated: 0, dropped: 0 });
    expect(data.examples.map((e) => [e.task, e.id])).toEqual(sharegptRows.map((r) => ['sharegpt', r.id]));
    const rendered = sharegptRows.map(tuluRendering);
    const encodings = await tok.encodeBatchWithOffsets(rendered.map((r) => r.text));
    data.examples.forEach((ex, i) => {
      const { text, trained, assistant } = rendered[i]!;
      expect(tok.decode(ex.inputIds)).toBe(text);
      expect(Array.from(ex.inputIds)).toEqual(encodings[i]!.ids);
      // A token is trained exactly when it starts inside an assistant span (the texts are ASCII: offsets are UTF-16 indexes).
      ex.labels.forEach((label, t) => {
        const start = encodings[i]!.offsets[t]![0];
        const inside = trained.some(([a, b]) => start >= a && start < b);
        expect(label, `${ex.id} token ${t}`).toBe(inside ? ex.inputIds[t] : IGNORE_INDEX);
      });
      // The trained runs decode to the gpt turns + EOS, nothing else.
      const runs: number[][] = [];
      ex.labels.forEach((l, t) => {
        if (l === IGNORE_INDEX) return;
        if (t === 0 || ex.labels[t - 1] === IGNORE_INDEX) runs.push([]);
        runs[runs.length - 1]!.push(l);
      });
      expect(runs.map((r) => tok.decode(r))).toEqual(assistant);
    });
    expect(tok.decode(data.examples[0]!.inputIds)).toMatch(/^<\|system\|>\nA chat between a curious user .* questions\.\n<\|user\|>\nWho are you\?\n<\|assistant\|>\n/);
  });

  it('gives the TÜLU loader\'s examples for the same conversations, from JSONL too', async () => {
    const role = { human: 'user', gpt: 'assistant', system: 'system' } as Record<string, string>;
    const tuluFile = jsonl(
      sharegptRows.map((r) => ({ id: r.id, messages: [...(r.system ? [{ role: 'system', content: r.system }] : []), ...r.conversations.map((c) => ({ role: role[c.from], content: c.value }))] })),
    );
    const tulu = await loadTrainingData(`tulu:${tuluFile}`, tok);
    const sharegptLines = await loadTrainingData(`sharegpt:${jsonl(sharegptRows, 'sharegpt.jsonl')}`, tok);
    expect(sharegptLines.examples).toHaveLength(8);
    sharegptLines.examples.forEach((ex, i) => {
      expect(ex.id).toBe(sharegptRows[i]!.id);
      expect(Array.from(ex.inputIds)).toEqual(Array.from(tulu.examples[i]!.inputIds));
      expect(Array.from(ex.labels)).toEqual(Array.from(tulu.examples[i]!.labels));
    });
    // Encoder-decoders: one (context, gpt turn) example per turn, as for TÜLU.
    const turns = await loadTrainingData(`sharegpt:${sharegptFile}`, tok, { conversationTurns: true });
    expect(turns.examples.map((e) => e.id)).toEqual(sharegptRows.flatMap((r) => r.conversations.filter((c) => c.from === 'gpt').map((_, k) => `${r.id}#${k + 1}`)));
  });

  it('masks a "system" turn inside "conversations", names records without "id" by place, and takes --chat-template model', async () => {
    const file = jsonl([
      { conversations: [{ from: 'system', value: 'Be brief.' }, { from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello.' }] },
      { id: 7, conversations: [{ from: 'human', value: 'Only a question' }] },
    ]);
    const data = await loadTrainingData(`sharegpt:${file}`, tok);
    expect(data.examples.map((e) => e.id)).toEqual(['line 1']);
    expect(tok.decode(data.examples[0]!.inputIds)).toBe(`<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\nHello.${EOS}\n`);
    expect(tok.decode(data.examples[0]!.labels.filter((l) => l !== IGNORE_INDEX))).toBe(`Hello.${EOS}`);
    expect(data.summary.notes).toEqual(['1 conversation(s) dropped: no assistant turn to train on (7 (line 2))']);
    await expect(loadTrainingData(`sharegpt:${file}`, tok, { chatTemplate: 'model' })).rejects.toThrow(/has no chat_template in tokenizer_config\.json; use the TÜLU format/);
  });
});

describe('malformed records: one line naming the file, the line or record index, and the field', () => {
  const cases: Array<[string, string, string, (file: string) => string]> = [
    ['alpaca', 'a.json', JSON.stringify([{ instruction: 'a', output: 'b' }, { instruction: 'a', input: '' }]), (f) => `${f} record [1]: "output" is missing (it must be a string)`],
    ['alpaca', 'a.json', JSON.stringify([['instruction', 'output']]), (f) => `${f} record [0]: expected a JSON object, got a list`],
    ['alpaca', 'a.jsonl', '{"instruction": "a", "output": "b"}\n\n{"instruction": "a", "input": 5, "output": "b"}\n', (f) => `${f} line 3: "input" must be a string, got number`],
    ['alpaca', 'a.jsonl', '{"instruction": 1, "output": "b"}\n', (f) => `${f} line 1: "instruction" must be a string, got number`],
    ['alpaca', 'a.jsonl', '{"instruction": "a", "output": "b"}\n{"instruction": "a", "output": \n', (f) => `${f} line 2: invalid JSON: Unexpected end of JSON input`],
    ['alpaca', 'a.json', '[{"instruction": "a", "output": "b"},]', (f) => `${f}: invalid JSON (a JSON array of records): unexpected character ']'`],
    ['alpaca', 'a.json', '\n  \n', (f) => `Alpaca file ${f} has no records`],
    ['prompt-completion', 'p.jsonl', '{"prompt": "a", "completion": "b"}\n{"prompt": null, "completion": "b"}\n', (f) => `${f} line 2: "prompt" must be a string, got null`],
    ['prompt-completion', 'p.jsonl', '{"prompt": "a", "completion": "b"}\n{"prompt": "a", "response": "b"}\n', (f) => `${f} line 2: "completion" is missing (it must be a string)`],
    ['prompt-completion', 'p.jsonl', '"just text"\n', (f) => `${f} line 1: expected a JSON object, got string`],
    ['sharegpt', 's.json', JSON.stringify([{ conversations: [{ from: 'human', value: 'a' }] }, { conversations: [{ from: 'human', value: 'a' }, { from: 'bing', value: 'b' }] }]), (f) => `${f} record [1]: "conversations"[1] has the unknown "from" "bing" (expected human, gpt, system)`],
    ['sharegpt', 's.jsonl', '{"messages": []}\n', (f) => `${f} line 1: "conversations" must be a list, got undefined`],
    ['sharegpt', 's.jsonl', '{"conversations": []}\n', (f) => `${f} line 1: "conversations" is empty`],
    ['sharegpt', 's.jsonl', '{"conversations": [{"from": "human", "value": 3}]}\n', (f) => `${f} line 1: "conversations"[0] ("human"): "value" must be a string, got number`],
    ['sharegpt', 's.jsonl', '{"conversations": [{"value": "x"}]}\n', (f) => `${f} line 1: "conversations"[0] has no "from" string`],
    ['sharegpt', 's.jsonl', '{"id": [1], "conversations": [{"from": "human", "value": "x"}]}\n', (f) => `${f} line 1: "id" must be a string or a number, got a list`],
    ['sharegpt', 's.jsonl', '{"system": 1, "conversations": [{"from": "human", "value": "x"}]}\n', (f) => `${f} line 1: "system" must be a string, got number`],
  ];
  for (const [kind, name, content, message] of cases) {
    it(`${kind}: ${message('<file>')}`, async () => {
      const file = path.join(tmp(), name);
      writeFileSync(file, content);
      const err = await loadTrainingData(`${kind}:${file}`, tok).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toBe(message(file));
      // Through the cache too (what the CLI calls), still a DataError.
      await expect(prepareDataset(`${kind}:${file}`, tok, {}, { dir: null })).rejects.toThrow(DataError);
    });
  }

  it('refuses options that do not apply, naming the source', async () => {
    await expect(loadTrainingData(`alpaca:${alpacaFile}`, tok, { instancesPerTask: 5 })).rejects.toThrow(`instancesPerTask applies to SuperNI sources, not to alpaca:${alpacaFile}`);
    await expect(loadTrainingData(`prompt-completion:${promptCompletionFile}`, tok, { maxSourceLength: 64 })).rejects.toThrow(/maxSourceLength applies to SuperNI sources, not to prompt-completion:/);
    await expect(loadTrainingData(`sharegpt:${sharegptFile}`, tok, { devTasks: 1 })).rejects.toThrow(/devTasks applies to SuperNI sources, not to sharegpt:/);
    await expect(loadTrainingData(`alpaca:${alpacaFile}`, tok, { chatTemplate: 'model' })).rejects.toThrow(/chatTemplate applies to conversation sources \(tulu:<file>, sharegpt:<file>\), not to alpaca:/);
    await expect(loadTrainingData(`alpaca:${alpacaFile}`, tok, { maxLength: 1 })).rejects.toThrow(/maxLength must be at least 2/);
  });
});

describe('data specs', () => {
  it('accepts the three formats by prefix, with the file they name', () => {
    expect(parseDataSpec(`alpaca:${alpacaFile}`)).toEqual({ kind: 'alpaca', file: alpacaFile });
    expect(parseDataSpec(` sharegpt:${sharegptFile} `)).toEqual({ kind: 'sharegpt', file: sharegptFile });
    expect(parseDataSpec(`prompt-completion:${promptCompletionFile}`)).toEqual({ kind: 'prompt-completion', file: promptCompletionFile });
    expect(isConversationSpec(parseDataSpec(`sharegpt:${sharegptFile}`))).toBe(true);
    expect(isConversationSpec(parseDataSpec(`alpaca:${alpacaFile}`))).toBe(false);
    expect(isSuperNISpec(parseDataSpec(`prompt-completion:${promptCompletionFile}`))).toBe(false);
    expect(isSuperNISpec(parseDataSpec('builtin'))).toBe(true);
    for (const form of ['"sharegpt:<file.json|file.jsonl>"', '"alpaca:<file.json|file.jsonl>"', '"prompt-completion:<file.jsonl>"', '"tulu:<file.jsonl>"']) expect(ACCEPTED_DATA_SPECS).toContain(form);
  });

  it('refuses a missing, empty or folder path and near-miss prefixes, listing the accepted forms', () => {
    expect(() => parseDataSpec('alpaca:/no/such.json')).toThrow('Data source "alpaca:/no/such.json": /no/such.json does not exist');
    expect(() => parseDataSpec('sharegpt:')).toThrow(`Data source "sharegpt:" names no file; ${ACCEPTED_DATA_SPECS}`);
    const dir = tmp();
    expect(() => parseDataSpec(`prompt-completion:${dir}`)).toThrow(`Data source "prompt-completion:${dir}": ${dir} is not a file (prompt-completion:<file> takes one jsonl file)`);
    expect(() => parseDataSpec(`share-gpt:${sharegptFile}`)).toThrow(`Unknown data source prefix "share-gpt:" in "share-gpt:${sharegptFile}"; ${ACCEPTED_DATA_SPECS}`);
    expect(() => parseDataSpec('data.jsonl')).toThrow(/write tulu:data\.jsonl to read it as TÜLU-format conversations, or sharegpt:data\.jsonl, alpaca:data\.jsonl or prompt-completion:data\.jsonl for another format/);
  });
});

describe('the tokenized-data cache', () => {
  it('keys on the format and the file contents, and gives back what it stored', async () => {
    const dir = tmp();
    // One file that is valid as both Alpaca and ShareGPT records: two formats, two cache entries.
    const both = jsonl([{ instruction: 'Name a color.', output: 'Blue.', conversations: [{ from: 'human', value: 'Name a color.' }, { from: 'gpt', value: 'Red.' }] }]);
    const [alpacaKey, sharegptKey] = await Promise.all([datasetCacheKey(`alpaca:${both}`, tok, {}), datasetCacheKey(`sharegpt:${both}`, tok, {})]);
    expect(alpacaKey).not.toBe(sharegptKey);
    const a = await prepareDataset(`alpaca:${both}`, tok, {}, { dir });
    const s = await prepareDataset(`sharegpt:${both}`, tok, {}, { dir });
    expect([a.cache!.hit, s.cache!.hit]).toEqual([false, false]);
    expect(path.basename(a.cache!.file)).toMatch(/^alpaca-[0-9a-f]{24}\.arrow$/);
    expect(path.basename(s.cache!.file)).toMatch(/^sharegpt-[0-9a-f]{24}\.arrow$/);
    expect(tok.decode(a.examples[0]!.labels.filter((l) => l !== IGNORE_INDEX))).toBe(`Blue.${EOS}`);
    expect(tok.decode(s.examples[0]!.labels.filter((l) => l !== IGNORE_INDEX))).toBe(`Red.${EOS}`);

    for (const spec of [`alpaca:${alpacaFile}`, `sharegpt:${sharegptFile}`, `prompt-completion:${promptCompletionFile}`]) {
      const fresh = await loadTrainingData(spec, tok);
      const miss = await prepareDataset(spec, tok, {}, { dir });
      const hit = await prepareDataset(spec, tok, {}, { dir });
      expect([miss.cache!.hit, hit.cache!.hit, hit.cache!.file]).toEqual([false, true, miss.cache!.file]);
      expect(hit.summary).toEqual(fresh.summary);
      hit.examples.forEach((ex, i) => {
        const want = fresh.examples[i]!;
        expect([ex.task, ex.id, ex.sourceLength]).toEqual([want.task, want.id, want.sourceLength]);
        expect(Array.from(ex.inputIds)).toEqual(Array.from(want.inputIds));
        expect(Array.from(ex.labels)).toEqual(Array.from(want.labels));
      });
    }
    // Changed contents under the same name: another key, tokenized again.
    writeFileSync(both, JSON.stringify({ instruction: 'Name a color.', output: 'Green.' }) + '\n');
    const changed = await prepareDataset(`alpaca:${both}`, tok, {}, { dir });
    expect(changed.cache!.hit).toBe(false);
    expect(changed.cache!.file).not.toBe(a.cache!.file);
    expect(readdirSync(dir).filter((f) => f.startsWith('alpaca-'))).toHaveLength(3);
  });
});

describe('peft-native data inspect', () => {
  beforeAll(compileCliIfMissing);

  it('shows Alpaca records with the trained output + EOS in [[ ]] after the masked prompt', () => {
    const r = runCli(['data', 'inspect', '--data', `alpaca:${alpacaFile}`, '--model', gpt2Dir, '--no-cache', '-n', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const [i, row] of alpacaRows.slice(0, 2).entries()) {
      expect(r.stdout).toMatch(new RegExp(`--- alpaca / record \\[${i}\\]: \\d+ tokens, \\d+ trained \\(in \\[\\[ \\]\\]\\)\\n`));
      expect(r.stdout).toContain(`${alpacaPromptOf(row)}[[${row.output}${EOS}]]\n`);
    }
    expect(r.stdout.match(/<\|endoftext\|>\]\]/g)).toHaveLength(2);
    expect(r.stdout).toContain(`data alpaca:${alpacaFile}: 1 task(s)`);
  });

  it('exits 2 with the one-line message of a malformed record', () => {
    const file = jsonl([{ prompt: 'a', completion: 'b' }, { prompt: 'a', completion: 2 }]);
    const r = runCli(['data', 'prepare', '--data', `prompt-completion:${file}`, '--model', gpt2Dir, '--no-cache']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => l.trim() !== '')).toEqual([expect.stringContaining(`${file} line 2: "completion" must be a string, got number`)]);
  });
});

describe.skipIf(!addonBuilt(import.meta.filename))('peft-native train on each format', () => {
  beforeAll(compileCliIfMissing);

  it.each([`alpaca:${alpacaFile}`, `sharegpt:${sharegptFile}`, `prompt-completion:${promptCompletionFile}`])('trains on %s', (data) => {
    const out = path.join(tmp(), 'run');
    const r = runCli(['train', '--model', 'builtin:tiny', '--data', data, '--steps', '2', '--batch-size', '2', '--max-length', '256', '--threads', '1', '--no-cache', '--quiet', '--out', out], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = readJson<{ status: string; steps: number; targetTokens: number; data: string }>(path.join(out, 'summary.json'));
    expect(summary).toMatchObject({ status: 'completed', steps: 2, data });
    expect(summary.targetTokens).toBeGreaterThan(0);
  }, 120_000);
});
