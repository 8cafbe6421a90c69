// Foreign and damaged adapters (the fixture's HF PEFT LoRA, and HF PEFT prompt tuning) under eval and merge.
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { evalArgs, mergeArgs } from './commands.js';
import { loraFolder, modelFolder, repoRoot, taskFile } from './sources.js';
import { dropTensor, editHeader, reshapeTensor } from './safetensors-file.js';

const CONFIG = 'adapter_config.json';
const WEIGHTS = 'adapter_model.safetensors';
const LORA_A = 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight';

type Command = 'eval' | 'merge';

function adapter(id: string, what: string, damage: (adapterDir: string, model: string) => void, culprit: Array<string | RegExp>, commands: Command[] = ['eval', 'merge']): BadInputCase[] {
  return commands.map((command) => ({
    id: `adapter/${command}-${id}`,
    category: 'adapter' as const,
    what,
    exit: 2 as const,
    culprit,
    setup: (dir: string) => {
      const model = modelFolder(dir);
      const lora = loraFolder(dir, model);
      damage(lora, model);
      return command === 'eval' ? evalArgs(dir, model, lora, taskFile(dir)) : mergeArgs(dir, model, lora);
    },
  }));
}

function editConfig(change: (c: Record<string, unknown>) => void): (adapterDir: string) => void {
  return (a) => {
    const file = path.join(a, CONFIG);
    const c = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    change(c);
    writeFileSync(file, JSON.stringify(c, null, 2));
  };
}

export const adapterCases: BadInputCase[] = [
  ...adapter('config-garbage', 'adapter_config.json is binary garbage', (a) => writeFileSync(path.join(a, CONFIG), Buffer.from([0, 0xff, 0x7b, 0x1b, 0x5b, 0x30, 0x6d])), [CONFIG]),
  ...adapter('config-truncated', 'adapter_config.json cut in half', (a) => truncateSync(path.join(a, CONFIG), 300), [CONFIG]),
  ...adapter('config-array', 'adapter_config.json is a JSON array', (a) => writeFileSync(path.join(a, CONFIG), '[]'), [CONFIG]),
  ...adapter('config-missing', 'no adapter_config.json', (a) => rmSync(path.join(a, CONFIG)), [CONFIG]),
  ...adapter('peft-type-unknown', 'peft_type "LOHA"', editConfig((c) => { c.peft_type = 'LOHA'; }), [CONFIG, 'LOHA']),
  ...adapter('rank-string', 'r is "four"', editConfig((c) => { c.r = 'four'; }), [CONFIG, /\br\b/]),
  ...adapter('targets-not-in-model', 'target_modules ["foo_proj"]', editConfig((c) => { c.target_modules = ['foo_proj']; }), [CONFIG, 'foo_proj']),
  ...adapter('other-base-model', 'base_model_name_or_path names another model', editConfig((c) => { c.base_model_name_or_path = 'meta-llama/Llama-3.2-1B'; }), [CONFIG, 'base_model_name_or_path'], ['eval']),
  ...adapter('weights-missing', 'no adapter_model.safetensors', (a) => rmSync(path.join(a, WEIGHTS)), [WEIGHTS]),
  ...adapter('weights-truncated', 'adapter_model.safetensors cut in half', (a) => truncateSync(path.join(a, WEIGHTS), Math.floor(statSync(path.join(a, WEIGHTS)).size / 2)), [WEIGHTS]),
  ...adapter('weights-empty', 'adapter_model.safetensors is empty', (a) => writeFileSync(path.join(a, WEIGHTS), ''), [WEIGHTS]),
  ...adapter('weights-header-garbage', 'adapter_model.safetensors header overwritten with 0xff', (a) => {
    const f = path.join(a, WEIGHTS);
    const buf = readFileSync(f);
    buf.fill(0xff, 8, 72);
    writeFileSync(f, buf);
  }, [WEIGHTS]),
  ...adapter('shape-mismatch', 'lora_A of q_proj is [4, 32]; the model\'s hidden size is 64', (a) => reshapeTensor(path.join(a, WEIGHTS), LORA_A, [4, 32]), [WEIGHTS, /q_proj/]),
  ...adapter('tensor-missing', 'lora_A of layer 0 q_proj left out', (a) => dropTensor(path.join(a, WEIGHTS), LORA_A), [WEIGHTS, /q_proj/]),
  ...adapter('tensor-extra', 'a tensor for a module the model does not have', (a) => editHeader(path.join(a, WEIGHTS), (h) => {
    h['base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight'] = h[LORA_A];
  }), [/layers\.7/]),
  ...adapter('folder-missing', '--adapter names a folder that does not exist', (a) => rmSync(a, { recursive: true }), ['lora']),
  {
    id: 'adapter/merge-prompt-tuning',
    category: 'adapter',
    what: 'merge of a prompt-tuning adapter (nothing to fold in)',
    exit: 2,
    culprit: [/PROMPT_TUNING|prompt/i],
    setup: (dir) => {
      const model = modelFolder(dir);
      const prompt = path.join(dir, 'prompt');
      cpSync(path.join(repoRoot, 'test/fixtures/peft-methods/prompt'), prompt, { recursive: true, filter: (s) => !/expected\./.test(path.basename(s)) });
      editConfig((c) => { c.base_model_name_or_path = model; })(prompt);
      return mergeArgs(dir, model, prompt);
    },
  },
  {
    id: 'adapter/eval-gqa-adapter-on-mha-model',
    category: 'adapter',
    what: 'a DoRA adapter of the GQA fixture (k/v 32 wide) on the 4-kv-head Llama',
    exit: 2,
    culprit: [WEIGHTS, /k_proj|v_proj|shape/],
    setup: (dir) => {
      const model = modelFolder(dir);
      const dora = path.join(dir, 'dora');
      cpSync(path.join(repoRoot, 'test/fixtures/peft-methods/dora-rslora-gqa'), dora, { recursive: true, filter: (s) => !/expected\./.test(path.basename(s)) });
      editConfig((c) => { c.base_model_name_or_path = model; })(dora);
      return evalArgs(dir, model, dora, taskFile(dir));
    },
  },
];
