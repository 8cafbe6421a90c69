import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckpointError, resolveCheckpoint } from '../src/models/checkpoint.js';
import { resolveModelSpec } from '../src/models/load.js';
import { realFixturesDir } from './helpers/real-data.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

async function errorOf(dir: string): Promise<string> {
  try {
    await resolveCheckpoint(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    return (err as Error).message;
  }
  throw new Error('expected a CheckpointError');
}

describe('resolveCheckpoint', () => {
  it('finds a single model.safetensors and the tokenizer files', async () => {
    const dir = folder({ 'config.json': '{}', 'model.safetensors': 'x', 'tokenizer.json': '{}', 'tokenizer_config.json': '{}', 'README.md': '' });
    const r = await resolveCheckpoint(dir);
    expect(r.layout).toBe('single');
    expect(r.weightFiles).toEqual([path.join(dir, 'model.safetensors')]);
    expect(r.configFile).toBe(path.join(dir, 'config.json'));
    expect(r.tokenizerFiles.map((f) => path.basename(f)).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
  });

  it('reads a sharded index, deduplicating shards in first-seen order', async () => {
    const index = {
      metadata: { total_size: 10 },
      weight_map: {
        'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
        'model.layers.0.self_attn.q_proj.weight': 'model-00001-of-00002.safetensors',
        'model.norm.weight': 'model-00002-of-00002.safetensors',
        'lm_head.weight': 'model-00002-of-00002.safetensors',
      },
    };
    const dir = folder({
      'config.json': '{}',
      'model.safetensors.index.json': JSON.stringify(index),
      'model-00001-of-00002.safetensors': 'a',
      'model-00002-of-00002.safetensors': 'b',
    });
    const r = await resolveCheckpoint(dir);
    expect(r.layout).toBe('sharded');
    expect(r.weightFiles).toEqual([path.join(dir, 'model-00001-of-00002.safetensors'), path.join(dir, 'model-00002-of-00002.safetensors')]);
  });

  it('names missing shards and the folder', async () => {
    const dir = folder({
      'config.json': '{}',
      'model.safetensors.index.json': JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }),
      'model-00001-of-00002.safetensors': 'a',
    });
    const msg = await errorOf(dir);
    expect(msg).toContain(dir);
    expect(msg).toContain('model-00002-of-00002.safetensors');
    expect(msg).not.toContain('model-00001-of-00002.safetensors');
  });

  it('rejects a broken index', async () => {
    expect(await errorOf(folder({ 'config.json': '{}', 'model.safetensors.index.json': '{"metadata": {}}' }))).toContain('weight_map');
    expect(await errorOf(folder({ 'config.json': '{}', 'model.safetensors.index.json': 'nope' }))).toContain('model.safetensors.index.json');
    expect(await errorOf(folder({ 'config.json': '{}', 'model.safetensors.index.json': '{"weight_map": {"a": "../x.safetensors"}}' }))).toContain('outside');
  });

  it('explains that .bin checkpoints are not supported and how to convert', async () => {
    const dir = folder({ 'config.json': '{}', 'pytorch_model.bin': 'x' });
    const msg = await errorOf(dir);
    expect(msg).toContain(dir);
    expect(msg).toContain('pytorch_model.bin');
    expect(msg).toMatch(/not supported/);
    expect(msg).toContain('save_pretrained');
    expect(msg).toContain('safe_serialization=True');
  });

  it('reports no weights at all', async () => {
    const dir = folder({ 'config.json': '{}' });
    const msg = await errorOf(dir);
    expect(msg).toContain(dir);
    expect(msg).toContain('model.safetensors');
    expect(msg).toMatch(/\.bin\/pytorch checkpoints are not supported/);
  });

  it('reports a missing config.json or folder', async () => {
    const dir = folder({ 'model.safetensors': 'x' });
    expect(await errorOf(dir)).toBe(`model folder ${dir} has no config.json`);
    expect(await errorOf(path.join(dir, 'nope'))).toContain('does not exist');
    expect(await errorOf(path.join(dir, 'model.safetensors'))).toContain('is not a folder');
  });

  it('works on the committed GPT-2 fixture folder (resolution only)', async () => {
    const r = await resolveCheckpoint(path.join(realFixturesDir, 'hf/fake_gpt2'));
    expect(r.layout).toBe('single');
    expect(r.tokenizerFiles.map((f) => path.basename(f))).toContain('tokenizer.json');
  });
});

describe('resolveModelSpec', () => {
  it('resolves built-in names and folders', () => {
    expect(resolveModelSpec('builtin:tiny')).toEqual({ kind: 'builtin', name: 'tiny' });
    expect(resolveModelSpec('builtin')).toEqual({ kind: 'builtin', name: 'tiny' });
    expect(resolveModelSpec('small')).toEqual({ kind: 'builtin', name: 'small' });
    const dir = folder({ 'config.json': '{}' });
    expect(resolveModelSpec(dir)).toEqual({ kind: 'hf', dir });
  });

  it('lists the built-ins for unknown names', () => {
    expect(() => resolveModelSpec('builtin:huge')).toThrow(/unknown built-in model "huge".*tiny, small, base, 1b/);
    expect(() => resolveModelSpec('/no/such/model')).toThrow(/neither a built-in model nor an existing folder.*tiny, small, base, 1b/);
    const dir = folder({ 'config.json': '{}' });
    expect(() => resolveModelSpec(path.join(dir, 'config.json'))).toThrow(/is a file/);
  });
});
