import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NativeModel, NativeModelConfig } from '../src/native/binding.js';
import {
  DEFAULT_LORA_OPTIONS,
  LoraOptionsError,
  adapterConfig,
  loraSaveEntries,
  loraScaling,
  matchesTarget,
  parseTargetModules,
  saveLoraAdapter,
  toNativeLoraOptions,
  unmatchedTargets,
  validateLoraOptions,
  type LoraOptions,
} from '../src/peft/lora.js';
import { checkpointParameterNames, saveCheckpoint, writeFolderAtomically } from '../src/models/save.js';
import { builtinModelConfig } from '../src/models/builtin.js';
import { parseModelConfig } from '../src/models/config.js';
import { peftTaskType } from '../src/models/module-names.js';

const loraNames = [
  'model.layers.0.self_attn.q_proj.lora_A.weight',
  'model.layers.0.self_attn.q_proj.lora_B.weight',
  'model.layers.0.self_attn.v_proj.lora_A.weight',
  'model.layers.0.self_attn.v_proj.lora_B.weight',
];
const baseNames = ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.norm.weight', 'lm_head.weight'];

/** A stand-in for the addon's model: records saveParameters calls and writes their entries as JSON. */
function fakeModel(options: { trainable?: string[]; all?: string[]; failSave?: boolean } = {}) {
  const calls: Array<{ file: string; entries: Array<[string, string]>; metadata?: Record<string, string> }> = [];
  const model = {
    config: () => builtinModelConfig('tiny', 100),
    parameterNames: (o?: { trainableOnly?: boolean }) => (o?.trainableOnly ? (options.trainable ?? loraNames) : (options.all ?? [...baseNames, ...loraNames])),
    saveParameters: async (file: string, entries: Array<[string, string]>, metadata?: Record<string, string>) => {
      calls.push({ file, entries, ...(metadata ? { metadata } : {}) });
      if (options.failSave) throw new Error('disk full');
      writeFileSync(file, JSON.stringify({ entries, metadata }));
    },
  } as unknown as NativeModel;
  return { model, calls };
}

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lora-'));
}

describe('LoRA options', () => {
  it('parses target modules', () => {
    expect(parseTargetModules('q_proj, v_proj,')).toEqual({ modules: ['q_proj', 'v_proj'] });
    expect(parseTargetModules('re:.*\\.(q|v)_proj')).toEqual({ regex: '.*\\.(q|v)_proj' });
    expect(parseTargetModules('all-linear')).toEqual({ modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
  });

  it('matches modules like PEFT (exact or dotted suffix; regex full match)', () => {
    const list = { modules: ['q_proj', 'self_attn.v_proj'] };
    expect(matchesTarget(list, 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(matchesTarget(list, 'model.layers.0.self_attn.v_proj')).toBe(true);
    expect(matchesTarget(list, 'model.layers.0.self_attn.xq_proj')).toBe(false);
    expect(matchesTarget({ regex: '.*\\.q_proj' }, 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(matchesTarget({ regex: 'q_proj' }, 'model.layers.0.self_attn.q_proj')).toBe(false);
    expect(unmatchedTargets({ modules: ['q_proj', 'qproj'] }, ['model.layers.0.self_attn.q_proj'])).toEqual(['qproj']);
  });

  it('validates ranges with one-line messages', () => {
    const bad: Array<[Partial<LoraOptions>, RegExp]> = [
      [{ r: 0 }, /rank must be a positive integer, got 0/],
      [{ r: -1 }, /rank/],
      [{ r: 2.5 }, /rank/],
      [{ alpha: 0 }, /alpha/],
      [{ alpha: NaN }, /alpha/],
      [{ dropout: 1 }, /dropout must be in \[0, 1\)/],
      [{ dropout: -0.1 }, /dropout/],
      [{ init: 'xavier' as never }, /init/],
      [{ targets: { modules: [] } }, /empty/],
      [{ targets: { modules: ['q proj'] } }, /not a module name/],
      [{ targets: { regex: '(' } }, /invalid/],
    ];
    for (const [patch, re] of bad) {
      expect(() => validateLoraOptions({ ...DEFAULT_LORA_OPTIONS, ...patch })).toThrow(LoraOptionsError);
      expect(() => validateLoraOptions({ ...DEFAULT_LORA_OPTIONS, ...patch })).toThrow(re);
    }
    expect(() => validateLoraOptions(DEFAULT_LORA_OPTIONS)).not.toThrow();
  });

  it('defaults to the study setting (q_proj, v_proj, alpha = r, dropout 0.1)', () => {
    expect(DEFAULT_LORA_OPTIONS).toEqual({ r: 8, alpha: 8, dropout: 0.1, targets: { modules: ['q_proj', 'v_proj'] }, useRslora: false, init: 'kaiming' });
  });

  it('converts to native options', () => {
    expect(toNativeLoraOptions(DEFAULT_LORA_OPTIONS, 7)).toEqual({ r: 8, alpha: 8, dropout: 0.1, useRslora: false, init: 'kaiming', seed: 7, targetModules: ['q_proj', 'v_proj'] });
    expect(toNativeLoraOptions({ ...DEFAULT_LORA_OPTIONS, targets: { regex: '.*q_proj' } }, 1)).toMatchObject({ targetRegex: '.*q_proj' });
    expect(toNativeLoraOptions({ ...DEFAULT_LORA_OPTIONS, targets: { regex: '.*q_proj' } }, 1)).not.toHaveProperty('targetModules');
  });

  it('computes PEFT scaling', () => {
    expect(loraScaling({ r: 16, alpha: 32, useRslora: false })).toBe(2);
    expect(loraScaling({ r: 16, alpha: 32, useRslora: true })).toBe(8);
  });
});

describe('adapter_config.json', () => {
  it('has PEFT field names and values', () => {
    const c = adapterConfig({ r: 64, alpha: 64, dropout: 0.1, targets: { modules: ['q_proj', 'v_proj'] }, useRslora: false, init: 'kaiming' }, '/models/llama');
    expect(c).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 64,
      lora_alpha: 64,
      lora_dropout: 0.1,
      target_modules: ['q_proj', 'v_proj'],
      use_rslora: false,
      init_lora_weights: true,
      bias: 'none',
      fan_in_fan_out: false,
      base_model_name_or_path: '/models/llama',
      inference_mode: true,
      modules_to_save: null,
      revision: null,
      use_dora: false,
      layers_to_transform: null,
      layers_pattern: null,
      rank_pattern: {},
      alpha_pattern: {},
    });
  });

  it('writes the regex string form, rslora and gaussian init', () => {
    const c = adapterConfig({ r: 8, alpha: 16, dropout: 0, targets: { regex: '.*\\.(q|v)_proj' }, useRslora: true, init: 'gaussian' }, 'b');
    expect(c.target_modules).toBe('.*\\.(q|v)_proj');
    expect(c.use_rslora).toBe(true);
    expect(c.init_lora_weights).toBe('gaussian');
  });
});

describe('saving adapters', () => {
  it('maps native names to PEFT keys', () => {
    expect(loraSaveEntries([...loraNames, 'model.norm.weight'])).toEqual(loraNames.map((n) => [`base_model.model.${n}`, n]));
    expect(loraSaveEntries(loraNames)[0]).toEqual([
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
      'model.layers.0.self_attn.q_proj.lora_A.weight',
    ]);
  });

  it('writes adapter_config.json and adapter_model.safetensors into a new folder', async () => {
    const { model, calls } = fakeModel();
    const dir = path.join(tmp(), 'adapter');
    const res = await saveLoraAdapter(model, dir, DEFAULT_LORA_OPTIONS, { baseModelNameOrPath: 'base' });
    expect(res.tensors).toBe(4);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.metadata).toEqual({ format: 'pt' });
    expect(calls[0]!.entries.map((e) => e[0])).toEqual(loraNames.map((n) => `base_model.model.${n}`));
    const cfg = JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg.peft_type).toBe('LORA');
    expect(cfg.base_model_name_or_path).toBe('base');
    // written in a temporary folder first
    expect(path.dirname(calls[0]!.file)).not.toBe(dir);
  });

  it('adds the adapter to an existing run folder without touching other files', async () => {
    const { model } = fakeModel();
    const dir = tmp();
    writeFileSync(path.join(dir, 'metrics.jsonl'), '{"step":1}\n');
    await saveLoraAdapter(model, dir, DEFAULT_LORA_OPTIONS, { baseModelNameOrPath: 'base' });
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'metrics.jsonl']);
    expect(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"step":1}\n');
  });

  it('leaves nothing half-written when saving fails', async () => {
    const parent = tmp();
    const dir = path.join(parent, 'adapter');
    await expect(saveLoraAdapter(fakeModel({ failSave: true }).model, dir, DEFAULT_LORA_OPTIONS, { baseModelNameOrPath: 'b' })).rejects.toThrow('disk full');
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);

    const run = tmp();
    writeFileSync(path.join(run, 'metrics.jsonl'), '');
    await expect(saveLoraAdapter(fakeModel({ failSave: true }).model, run, DEFAULT_LORA_OPTIONS, { baseModelNameOrPath: 'b' })).rejects.toThrow('disk full');
    expect(readdirSync(run)).toEqual(['metrics.jsonl']);
  });

  it('refuses a model without LoRA parameters', async () => {
    await expect(saveLoraAdapter(fakeModel({ trainable: [] }).model, tmp(), DEFAULT_LORA_OPTIONS, { baseModelNameOrPath: 'b' })).rejects.toThrow(/no LoRA parameters/);
  });

  it('writeFolderAtomically replaces an old marker only at the end', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'adapter_config.json'), 'old');
    await expect(
      writeFolderAtomically(dir, 'adapter_config.json', async (t) => {
        writeFileSync(path.join(t, 'adapter_config.json'), 'new');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['adapter_config.json']);
    await writeFolderAtomically(dir, 'adapter_config.json', async (t) => {
      writeFileSync(path.join(t, 'adapter_config.json'), 'new');
    });
    expect(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')).toBe('new');
  });
});

describe('saving full checkpoints', () => {
  const config: NativeModelConfig = builtinModelConfig('tiny', 100);

  it('saves every weight under its HF name, leaving out a tied lm_head and LoRA modules', async () => {
    const { model, calls } = fakeModel();
    expect(checkpointParameterNames(model, config)).toEqual(['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.norm.weight']);
    expect(checkpointParameterNames(model, { ...config, tieWordEmbeddings: false })).toContain('lm_head.weight');

    const src = tmp();
    writeFileSync(path.join(src, 'tokenizer.json'), '{"tok":1}');
    const dir = path.join(tmp(), 'ckpt');
    const hfConfig = { model_type: 'llama', hidden_size: 256, torch_dtype: 'bfloat16', custom_field: 'kept' };
    const files = await saveCheckpoint(model, dir, { hfConfig, config, tokenizerFiles: [path.join(src, 'tokenizer.json')] });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const written = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(written).toEqual({ ...hfConfig, torch_dtype: 'float32' });
    expect(calls[0]!.entries.every(([k, n]) => k === n)).toBe(true);
    expect(calls[0]!.metadata).toEqual({ format: 'pt' });
    expect(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).toBe('{"tok":1}');
  });

  it('can write into an existing run folder', async () => {
    const { model } = fakeModel();
    const dir = tmp();
    mkdirSync(path.join(dir, 'sub'));
    await saveCheckpoint(model, dir, { hfConfig: { model_type: 'llama' }, config });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'sub']);
  });
});

describe('against adapters saved by HF PEFT (test/fixtures/models/*/lora*)', () => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'fixtures/models');
  const adapters = existsSync(root)
    ? readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).flatMap((m) =>
        readdirSync(path.join(root, m))
          .filter((d) => d.startsWith('lora') && existsSync(path.join(root, m, d, 'adapter_config.json')))
          .map((d) => path.join(root, m, d)),
      )
    : [];

  function safetensorsKeys(file: string): string[] {
    const buf = readFileSync(file);
    const len = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')) as Record<string, unknown>;
    return Object.keys(header).filter((k) => k !== '__metadata__').sort();
  }

  it('writes the same adapter_config.json values as PEFT for the same settings', () => {
    expect(adapters.length, 'the committed PEFT adapter fixtures').toBeGreaterThan(0);
    for (const dir of adapters) {
      const peft = JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
      const o: LoraOptions = {
        r: peft.r as number,
        alpha: peft.lora_alpha as number,
        dropout: peft.lora_dropout as number,
        targets: typeof peft.target_modules === 'string' ? { regex: peft.target_modules } : { modules: [...(peft.target_modules as string[])].sort() },
        useRslora: peft.use_rslora as boolean,
        init: peft.init_lora_weights === 'gaussian' ? 'gaussian' : 'kaiming',
      };
      // The base model's kind decides the task type (CAUSAL_LM, or SEQ_2_SEQ_LM for T5).
      const baseConfig = parseModelConfig(JSON.parse(readFileSync(path.join(path.dirname(dir), 'config.json'), 'utf8')));
      const ours = adapterConfig(o, peft.base_model_name_or_path as string, peftTaskType(baseConfig));
      for (const [key, value] of Object.entries(ours)) {
        expect(peft, `${dir}: PEFT has no field ${key}`).toHaveProperty(key);
        const theirs = key === 'target_modules' && Array.isArray(peft[key]) ? [...(peft[key] as string[])].sort() : peft[key];
        expect(value, `${dir}: ${key}`).toEqual(theirs);
      }
    }
  });

  it('uses the tensor keys PEFT uses', () => {
    expect(adapters.length, 'the committed PEFT adapter fixtures').toBeGreaterThan(0);
    for (const dir of adapters) {
      const keys = safetensorsKeys(path.join(dir, 'adapter_model.safetensors'));
      expect(keys.length).toBeGreaterThan(0);
      const nativeNames = keys.map((k) => k.replace(/^base_model\.model\./, ''));
      expect(loraSaveEntries(nativeNames).map((e) => e[0]).sort()).toEqual(keys);
    }
  });
});
