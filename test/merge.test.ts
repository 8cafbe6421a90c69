// `peft-native merge`: LoRA / DoRA / IA3 adapters (saved by HF PEFT, test/fixtures/peft-methods and
// test/fixtures/models/llama/lora) folded into the base give an HF checkpoint whose logits equal the
// unmerged model's; the checkpoint is sharded HF-style and carries the base's tokenizer files.
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readModelConfig } from '../src/models/config.js';
import { resolveCheckpoint } from '../src/models/checkpoint.js';
import { native } from '../src/native/binding.js';
import { mergeAdapter } from '../src/peft/merge.js';
import { loadAdapter } from '../src/peft/methods.js';
import { fixtureBatch, fixturesDir, loadFixtureModel, maxRelativeError, repoRoot } from './helpers/fixtures.js';

const methodsDir = path.join(repoRoot, 'test/fixtures/peft-methods');
const batchFile = path.join(fixturesDir, 'llama/expected.safetensors');

/** A copy of a fixture checkpoint with tokenizer files beside it (the fixtures have none). */
function baseWithTokenizer(variant: string): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'merge-base-')), variant);
  cpSync(path.join(fixturesDir, variant), dir, { recursive: true, filter: (src) => !src.includes(`${variant}/lora`) });
  writeFileSync(path.join(dir, 'tokenizer.json'), '{"version":"1.0","stand-in":true}');
  writeFileSync(path.join(dir, 'tokenizer_config.json'), '{"model_max_length":128}');
  return dir;
}

async function loadFolder(dir: string) {
  const checkpoint = await resolveCheckpoint(dir);
  const { config } = await readModelConfig(checkpoint.configFile);
  const model = native().Model.create(config, { seed: 0, initialize: false });
  await model.loadWeights(checkpoint.weightFiles);
  return { model, checkpoint, config };
}

describe.each([
  { adapter: path.join(fixturesDir, 'llama/lora'), variant: 'llama', method: 'lora' },
  { adapter: path.join(methodsDir, 'dora'), variant: 'llama', method: 'dora' },
  { adapter: path.join(methodsDir, 'dora-rslora-gqa'), variant: 'llama3-gqa', method: 'dora' },
  { adapter: path.join(methodsDir, 'ia3'), variant: 'llama', method: 'ia3' },
  { adapter: path.join(methodsDir, 'ia3-gqa'), variant: 'llama3-gqa', method: 'ia3' },
])('merge $method ($variant)', ({ adapter, variant, method }) => {
  it('writes a sharded HF checkpoint with the unmerged logits', async () => {
    const base = baseWithTokenizer(variant);
    const unmerged = await loadFixtureModel(variant);
    const { config } = await readModelConfig(path.join(base, 'config.json'));
    await loadAdapter(unmerged, adapter);
    const batch = await fixtureBatch(batchFile);
    const want = (await unmerged.forward(batch, { returnLogits: true })).logits!;

    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'merged-')), 'out');
    const result = await mergeAdapter({ model: base, adapter, out, maxShardBytes: 200_000 });
    expect(result.settings.method).toBe(method);
    expect(result.mergedModules.length).toBeGreaterThan(0);

    const files = readdirSync(out).sort();
    expect(files).toContain('model.safetensors.index.json');
    expect(files).toContain('tokenizer.json');
    expect(files).toContain('tokenizer_config.json');
    const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(1);
    const index = JSON.parse(readFileSync(path.join(out, 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map))).toEqual(new Set(shards));
    expect(Object.keys(index.weight_map).some((k) => /lora|ia3/.test(k))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')).model_type).toBe(config.modelType);

    const merged = await loadFolder(out);
    expect(merged.checkpoint.layout).toBe('sharded');
    expect(merged.model.parameterCount().total).toBe((await loadFixtureModel(variant)).parameterCount().total);
    const got = (await merged.model.forward(batch, { returnLogits: true })).logits!;
    expect(maxRelativeError(got, want)).toBeLessThan(1e-5);
    const baseLogits = (await (await loadFixtureModel(variant)).forward(batch, { returnLogits: true })).logits!;
    expect(maxRelativeError(got, baseLogits)).toBeGreaterThan(1e-3);
  });
});

describe('merge refuses', () => {
  it('adapters that cannot be merged, and an existing output folder', async () => {
    const base = baseWithTokenizer('llama');
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'merged-')), 'out');
    await expect(mergeAdapter({ model: base, adapter: path.join(methodsDir, 'prompt'), out })).rejects.toThrow(/only lora, dora, ia3 adapters can be merged/);
    expect(existsSync(out)).toBe(false);
    await expect(mergeAdapter({ model: base, adapter: path.join(methodsDir, 'ia3'), out: base })).rejects.toThrow(/already exists/);
  });
});
