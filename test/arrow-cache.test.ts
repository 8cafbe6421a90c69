// Tokenized datasets as Arrow IPC files in a cache: a second run loads instead of tokenizing, the key
// follows inputs/options, broken files are rebuilt, and pyarrow reads the same rows back.
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { loadTrainingData } from '../src/data/sources.js';
import { prepareDataset } from '../src/data/dataset.js';
import type { TextTokenizer } from '../src/tokenizer/types.js';
import { repoRoot } from './helpers/fixtures.js';
import { realFixturesDir, superniTasksDir } from './helpers/real-data.js';

const tasksDir = superniTasksDir;
const tuluFile = path.join(realFixturesDir, 'data/tulu/tulu_human_eval_messages.jsonl');
const gpt2Dir = path.join(realFixturesDir, 'hf/fake_gpt2');
const python = path.join(repoRoot, '.venv/bin/python');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'arrow-cache-'));

/** The tokenizer with a count of every encode call. */
async function countingTokenizer(): Promise<{ tok: TextTokenizer; calls: () => number }> {
  const inner = await loadTokenizer(gpt2Dir);
  let calls = 0;
  const tok = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value === 'function' && String(prop).startsWith('encode')) {
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
  return { tok, calls: () => calls };
}

function taskFolder(names: string[]): string {
  const dir = tmp();
  for (const n of names) copyFileSync(path.join(tasksDir, `${n}.json`), path.join(dir, `${n}.json`));
  return dir;
}

describe('the Arrow dataset cache', () => {
  it('writes on the first run, loads without tokenizing on the second, with the same rows, summary and selection', async () => {
    const cacheDir = tmp();
    const dir = taskFolder(['task1146_country_capital', 'task1332_check_leap_year']);
    const spec = `superni:${dir}`;
    const options = { instancesPerTask: 20, seed: 3 };
    const { tok, calls } = await countingTokenizer();
    const first = await prepareDataset(spec, tok, options, { dir: cacheDir });
    expect(first.cache).toMatchObject({ hit: false });
    expect(existsSync(first.cache!.file)).toBe(true);
    expect(readdirSync(cacheDir)).toEqual([path.basename(first.cache!.file)]); // no temporary left behind
    const afterFirst = calls();
    expect(afterFirst).toBeGreaterThan(0);

    const second = await prepareDataset(spec, tok, options, { dir: cacheDir });
    expect(calls()).toBe(afterFirst); // not one tokenizer call
    expect(second.cache).toEqual({ file: first.cache!.file, hit: true });
    expect(second.summary).toEqual(first.summary);
    expect(second.selection).toEqual(first.selection);
    // Against the uncached loader, independently of the cache code.
    const direct = await loadTrainingData(spec, await loadTokenizer(gpt2Dir), options);
    expect(second.examples.map((e) => [e.task, e.id, e.sourceLength, Array.from(e.inputIds), Array.from(e.labels)])).toEqual(
      direct.examples.map((e) => [e.task, e.id, e.sourceLength, Array.from(e.inputIds), Array.from(e.labels)]),
    );
    expect(second.examples.every((e) => typeof e.sourceLength === 'number' && e.sourceLength > 0)).toBe(true);
    // Examples are views of the column buffers (no per-example copies).
    for (const ex of second.examples) {
      expect(ex.inputIds.buffer).toBe(second.columns.inputIds.buffer);
      expect(ex.labels.buffer).toBe(second.columns.labels.buffer);
    }
  });

  it('misses when an input file, an option or the tokenizer changes; rebuilds a broken file', async () => {
    const cacheDir = tmp();
    const dir = taskFolder(['task1191_food_veg_nonveg']);
    const spec = `superni:${dir}`;
    const tok = await loadTokenizer(gpt2Dir);
    const a = await prepareDataset(spec, tok, { instancesPerTask: 10 }, { dir: cacheDir });
    const b = await prepareDataset(spec, tok, { instancesPerTask: 11 }, { dir: cacheDir });
    expect(b.cache!.hit).toBe(false);
    expect(b.cache!.file).not.toBe(a.cache!.file);
    // Same size, same name, different content: the content hash notices.
    const file = path.join(dir, 'task1191_food_veg_nonveg.json');
    const text = readFileSync(file, 'utf8');
    const changed = text.replace(/veg/, 'vag');
    expect(changed.length).toBe(text.length);
    writeFileSync(file, changed);
    const c = await prepareDataset(spec, tok, { instancesPerTask: 10 }, { dir: cacheDir });
    expect(c.cache!.hit).toBe(false);
    expect(c.cache!.file).not.toBe(a.cache!.file);
    // Another tokenizer configuration (a chat template changes the fingerprint).
    const other = tmp();
    for (const f of ['tokenizer.json', 'special_tokens_map.json', 'tokenizer_config.json']) copyFileSync(path.join(gpt2Dir, f), path.join(other, f));
    writeFileSync(path.join(other, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|endoftext|>', add_bos_token: true, bos_token: '<|endoftext|>' }));
    const d = await prepareDataset(spec, await loadTokenizer(other), { instancesPerTask: 10 }, { dir: cacheDir });
    expect(d.cache!.file).not.toBe(c.cache!.file);
    // A truncated cache file is reported and rebuilt.
    writeFileSync(c.cache!.file, 'not arrow');
    const e = await prepareDataset(spec, tok, { instancesPerTask: 10 }, { dir: cacheDir });
    expect(e.cache).toEqual({ file: c.cache!.file, hit: false });
    expect(e.summary.notes.at(-1)).toMatch(/the cached dataset could not be used \(.*is not a readable Arrow IPC file.*\); tokenized again/);
    expect((await prepareDataset(spec, tok, { instancesPerTask: 10 }, { dir: cacheDir })).cache!.hit).toBe(true);
  });

  it('is read back by pyarrow with the same rows and metadata (TÜLU data)', async () => {
    const cacheDir = tmp();
    const tok = await loadTokenizer(gpt2Dir);
    const prepared = await prepareDataset(`tulu:${tuluFile}`, tok, { maxLength: 256 }, { dir: cacheDir });
    const script = [
      'import json, sys, pyarrow as pa',
      't = pa.ipc.open_file(sys.argv[1]).read_all()',
      'meta = json.loads(t.schema.metadata[b"peft_native"])',
      'print(json.dumps({"types": [str(f.type) for f in t.schema], "names": t.schema.names, "rows": t.to_pylist(), "examples": meta["summary"]["examples"]}))',
    ].join('\n');
    const out = JSON.parse(execFileSync(python, ['-c', script, prepared.cache!.file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }));
    expect(out.names).toEqual(['input_ids', 'labels', 'task', 'id', 'split', 'source_length']);
    expect(out.types).toEqual(['list<item: int32 not null>', 'list<item: int32 not null>', 'string', 'string', 'string', 'int32']);
    expect(out.examples).toBe(prepared.examples.length);
    expect(out.rows).toEqual(
      prepared.examples.map((e) => ({ input_ids: Array.from(e.inputIds), labels: Array.from(e.labels), task: e.task, id: e.id, split: 'train', source_length: null })),
    );
  });
});
