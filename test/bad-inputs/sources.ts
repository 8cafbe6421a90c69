// Good inputs made from the repository's real fixtures, each copied into a case folder: the starting point that a
// case then damages. The fixture models carry no tokenizer, so one is cut from the built-in tokenizer to the
// model's vocabulary (the first vocab_size ids of a byte-level BPE: its bytes and first merges).
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtureModels = path.join(repoRoot, 'test/fixtures/models');
const builtinTokenizerDir = path.join(repoRoot, 'assets/builtin');
const superniTasks = path.join(repoRoot, 'assets/superni-mini/tasks');
const tuluFixture = path.join(repoRoot, 'test/fixtures/data/tulu/tulu_human_eval_messages.jsonl');

/** The SuperNI task every case trains or evaluates on (short prompts: fits max_length 128). */
export const TASK = 'task1146_country_capital';
export const OTHER_TASK = 'task1321_country_continent';

interface BpeTokenizer {
  model: { vocab: Record<string, number>; merges: Array<string | [string, string]> };
}

/** The built-in tokenizer.json cut to `vocabSize` ids (merges kept while their product is in the vocabulary). */
export function tokenizerJson(vocabSize: number): string {
  const t = JSON.parse(readFileSync(path.join(builtinTokenizerDir, 'tokenizer.json'), 'utf8')) as BpeTokenizer;
  t.model.vocab = Object.fromEntries(Object.entries(t.model.vocab).filter(([, id]) => id < vocabSize));
  t.model.merges = t.model.merges.filter((m) => (typeof m === 'string' ? m.replace(' ', '') : m.join('')) in t.model.vocab);
  return JSON.stringify(t);
}

/** The built-in tokenizer unchanged (1024 ids: more than the fixture models have). */
export function fullTokenizerJson(): string {
  return readFileSync(path.join(builtinTokenizerDir, 'tokenizer.json'), 'utf8');
}

function addTokenizer(dir: string): void {
  const vocab = (JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;
  writeFileSync(path.join(dir, 'tokenizer.json'), tokenizerJson(vocab));
  copyFileSync(path.join(builtinTokenizerDir, 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
}

/** test/fixtures/models/llama (vocab 320, hidden 64, 2 layers, max_position_embeddings 128) + a tokenizer. */
export function modelFolder(parent: string, name = 'model'): string {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(path.join(fixtureModels, 'llama', f), path.join(dir, f));
  addTokenizer(dir);
  return dir;
}

/** test/fixtures/models/llama-sharded (three shards and model.safetensors.index.json) + a tokenizer. */
export function shardedModelFolder(parent: string, name = 'model'): string {
  const dir = path.join(parent, name);
  cpSync(path.join(fixtureModels, 'llama-sharded'), dir, { recursive: true, filter: (src) => !/expected\./.test(path.basename(src)) });
  addTokenizer(dir);
  return dir;
}

/** test/fixtures/models/llama/lora (HF PEFT LoRA r=4 on q_proj,v_proj), recorded as trained on `model`. */
export function loraFolder(parent: string, model: string, name = 'lora'): string {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  const src = path.join(fixtureModels, 'llama/lora');
  copyFileSync(path.join(src, 'adapter_model.safetensors'), path.join(dir, 'adapter_model.safetensors'));
  const config = JSON.parse(readFileSync(path.join(src, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({ ...config, base_model_name_or_path: model }, null, 2));
  return dir;
}

/** A real SuperNI task file (assets/superni-mini) copied to `<parent>/<name>`. */
export function taskFile(parent: string, name = `${TASK}.json`, task = TASK): string {
  const file = path.join(parent, name);
  mkdirSync(path.dirname(file), { recursive: true });
  copyFileSync(path.join(superniTasks, `${task}.json`), file);
  return file;
}

/** The parsed task file, to damage and write back. */
export function readTask(task = TASK): Record<string, unknown> & { Instances: Array<Record<string, unknown>> } {
  return JSON.parse(readFileSync(path.join(superniTasks, `${task}.json`), 'utf8'));
}

/** A SuperNI folder: <dir>/tasks/ with two real tasks and <dir>/splits/ listing one for training, one for test. */
export function superniFolder(parent: string, name = 'ni'): { dir: string; tasks: string; splits: string } {
  const dir = path.join(parent, name);
  const tasks = path.join(dir, 'tasks');
  const splits = path.join(dir, 'splits');
  mkdirSync(splits, { recursive: true });
  taskFile(tasks, `${TASK}.json`, TASK);
  taskFile(tasks, `${OTHER_TASK}.json`, OTHER_TASK);
  writeFileSync(path.join(splits, 'train_tasks.txt'), `${TASK}\n`);
  writeFileSync(path.join(splits, 'test_tasks.txt'), `${OTHER_TASK}\n`);
  return { dir, tasks, splits };
}

/** The TÜLU fixture's short conversations (they fit max_length 128), as JSONL lines. */
export function tuluLines(count = 8): string[] {
  return readFileSync(tuluFixture, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => (JSON.parse(l) as { messages: Array<{ content: string }> }).messages.reduce((n, m) => n + m.content.length, 0) < 200)
    .slice(0, count);
}

export function tuluFile(parent: string, lines: string[] = tuluLines(), name = 'tulu.jsonl'): string {
  const file = path.join(parent, name);
  writeFileSync(file, lines.map((l) => l + '\n').join(''));
  return file;
}
