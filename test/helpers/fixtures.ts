// Shared helpers for tests against the committed HF fixtures (test/fixtures/models, made by
// scripts/fixtures/make_llama_fixtures.py with transformers + peft).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { native, type NativeBatch, type NativeModel } from '../../src/native/binding.js';
import { checkpointModelConfig } from '../../src/models/load.js';
import { resolveCheckpoint } from '../../src/models/checkpoint.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = path.join(repoRoot, 'test/fixtures/models');

export async function readExpected(file: string, name: string): Promise<{ shape: number[]; data: Float32Array }> {
  return native().safetensors.readTensor(file, name);
}

/**
 * Loads a fixture checkpoint folder into a native model, through the product's own config + checkpoint code,
 * and moves it to `device` (default the CPU).
 */
export async function loadFixtureModel(variant: string, device = 'cpu'): Promise<NativeModel> {
  const dir = path.join(fixturesDir, variant);
  const checkpoint = await resolveCheckpoint(dir);
  const { config } = await checkpointModelConfig(checkpoint);
  const model = native().Model.create(config, { seed: 0, initialize: false });
  await model.loadWeights(checkpoint.weightFiles);
  await model.moveTo(device);
  return model;
}

/** The fixture inputs (input_ids, attention_mask, labels) as a native batch (labels of their own length: T5). */
export async function fixtureBatch(expectedFile: string): Promise<NativeBatch> {
  const ids = await readExpected(expectedFile, 'input_ids');
  const mask = await readExpected(expectedFile, 'attention_mask');
  const labels = await readExpected(expectedFile, 'labels');
  const [batchSize, seqLen] = ids.shape as [number, number];
  const labelLen = labels.shape[1]!;
  return {
    inputIds: Int32Array.from(ids.data),
    attentionMask: Int32Array.from(mask.data),
    labels: Int32Array.from(labels.data),
    batchSize,
    seqLen,
    ...(labelLen !== seqLen ? { labelLen } : {}),
  };
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** PEFT saves LoRA weights as base_model.model.<module>.lora_X.weight; natively they are <module>.lora_X.weight. */
export function nativeNameOfPeftKey(key: string): string {
  const prefix = 'base_model.model.';
  if (!key.startsWith(prefix)) throw new Error(`unexpected PEFT key ${key}`);
  return key.slice(prefix.length);
}

/** A greedy-generation fixture of test/fixtures/generate (transformers' ids; make_generate_fixtures.py). */
export interface GenerateFixture {
  variant: string;
  adapter_dir: string | null;
  prompts: number[][];
  input_ids: number[][];
  attention_mask: number[][];
  pad_token_id: number;
  max_new_tokens: number;
  greedy: number[][];
  eos: { eos_token_ids: number[]; tokens: number[][]; lengths: number[] };
}

/** Every generation fixture, by file name, in name order. */
export function generateFixtureCases(): Array<{ name: string; fixture: GenerateFixture }> {
  const dir = path.join(repoRoot, 'test/fixtures/generate');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.json'.length), fixture: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as GenerateFixture }));
}
