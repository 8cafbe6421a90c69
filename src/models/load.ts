// Loads a model by spec: a built-in preset (`builtin:tiny`, `tiny`, `builtin`) or a Hugging Face folder
// (config.json + safetensors + tokenizer.json). Spec resolution is separate and needs no addon, so the CLI
// can reject a bad --model before anything heavy starts.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { native, type NativeModel, type NativeModelConfig } from '../native/binding.js';
import type { TextTokenizer } from '../tokenizer/types.js';
import { DEFAULT_BUILTIN_MODEL, builtinModelConfig, builtinModelNames, isBuiltinModelName } from './builtin.js';
import { CheckpointError, resolveCheckpoint, type ResolvedCheckpoint } from './checkpoint.js';
import { readModelConfig, toHfConfig } from './config.js';
import { checkConfigFitsWeights } from './config-limits.js';

export type ModelSpec = { kind: 'builtin'; name: string } | { kind: 'hf'; dir: string };

export type ModelSource =
  | { kind: 'builtin'; name: string; spec: string }
  | {
      kind: 'hf';
      spec: string;
      /** Absolute folder path. */
      dir: string;
      checkpoint: ResolvedCheckpoint;
      /** The config.json object as read (written back unchanged by saveCheckpoint). */
      hfConfig: Record<string, unknown>;
    };

/** A model's weights without its tokenizer: enough for work on token ids. */
export interface LoadedWeights {
  model: NativeModel;
  config: NativeModelConfig;
  source: ModelSource;
  /** The HF config.json object describing this model (the original for HF folders, generated for built-ins). */
  hfConfig: Record<string, unknown>;
}

export interface LoadedModel extends LoadedWeights {
  tokenizer: TextTokenizer;
}

export interface LoadModelOptions {
  /** Seed of the native init of built-in models (default 0); HF folders take their weights as they are. */
  seed?: number;
}

/** The user-facing name of a model, for base_model_name_or_path and messages. */
export function modelDisplayName(source: ModelSource | ModelSpec): string {
  return source.kind === 'builtin' ? `builtin:${source.name}` : source.dir;
}

/** Parses a --model value without loading anything. Throws a one-line error for unknown names and missing folders. */
export function resolveModelSpec(spec: string): ModelSpec {
  const trimmed = spec.trim();
  const listing = `built-in models: ${builtinModelNames().join(', ')}`;
  if (trimmed === '' ) throw new CheckpointError(`--model is empty; give an HF model folder or a built-in model (${listing})`);
  if (trimmed === 'builtin') return { kind: 'builtin', name: DEFAULT_BUILTIN_MODEL };
  if (trimmed.startsWith('builtin:')) {
    const name = trimmed.slice('builtin:'.length);
    if (!isBuiltinModelName(name)) throw new CheckpointError(`unknown built-in model "${name}"; ${listing}`);
    return { kind: 'builtin', name };
  }
  if (existsSync(trimmed)) {
    if (!statSync(trimmed).isDirectory()) {
      throw new CheckpointError(`model ${trimmed} is a file; give the HF model folder that holds config.json and the safetensors weights`);
    }
    return { kind: 'hf', dir: path.resolve(trimmed) };
  }
  if (isBuiltinModelName(trimmed)) return { kind: 'builtin', name: trimmed };
  throw new CheckpointError(`model "${trimmed}" is neither a built-in model nor an existing folder (${listing}; or an HF folder with config.json + model.safetensors + tokenizer.json)`);
}

/**
 * Checks an HF model folder without loading weights: layout (CheckpointError), config.json (ConfigError) and
 * tokenizer.json. Built-in specs always pass.
 */
export async function checkModelSpec(spec: string): Promise<void> {
  const resolved = resolveModelSpec(spec);
  if (resolved.kind === 'builtin') return;
  const checkpoint = await resolveCheckpoint(resolved.dir);
  await readModelConfig(checkpoint.configFile);
  if (!existsSync(path.join(checkpoint.dir, 'tokenizer.json'))) {
    throw new CheckpointError(
      `model folder ${checkpoint.dir} has no tokenizer.json (the fast-tokenizer file); save it with ` +
        '`AutoTokenizer.from_pretrained(dir).save_pretrained(dir)` (transformers)',
    );
  }
}

/** Builds the native model (seeded init; HF weights loaded from safetensors) and its tokenizer. */
export async function loadModel(spec: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const resolved = resolveModelSpec(spec);
  if (resolved.kind === 'builtin') {
    const { builtinTokenizer } = await import('../builtin/index.js');
    return { ...(await loadModelWeights(spec, options)), tokenizer: await builtinTokenizer() };
  }
  const checkpoint = await resolveCheckpoint(resolved.dir);
  const { config } = await readModelConfig(checkpoint.configFile);
  if (!existsSync(path.join(checkpoint.dir, 'tokenizer.json'))) {
    throw new CheckpointError(
      `model folder ${checkpoint.dir} has no tokenizer.json (the fast-tokenizer file); save it with ` +
        '`AutoTokenizer.from_pretrained(dir).save_pretrained(dir)` (transformers), or use loadModelWeights for work on token ids',
    );
  }
  const { loadTokenizer } = await import('../tokenizer/load.js');
  const tokenizer = await loadTokenizer(checkpoint.dir);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new CheckpointError(
      `${checkpoint.dir}: the tokenizer's ids go up to ${tokenizer.vocabSize - 1} but config.json vocab_size is ${config.vocabSize}; ` +
        'token ids past the embedding table cannot be used',
    );
  }
  return { ...(await loadModelWeights(spec, options)), tokenizer };
}

/**
 * The native config of a checkpoint folder: its config.json, checked against the weight files' headers and the
 * machine's memory before anything is allocated (src/models/config-limits.ts), with what only the weights tell.
 * A T5 whose files bring their own lm_head.weight has an untied head even where config.json says
 * tie_word_embeddings: true (transformers 5 writes that for T5 v1.1 and unties the head when a checkpoint has one).
 */
export async function checkpointModelConfig(checkpoint: ResolvedCheckpoint): Promise<{ config: NativeModelConfig; raw: Record<string, unknown> }> {
  const { config, raw } = await readModelConfig(checkpoint.configFile);
  const tensors = [];
  for (const file of checkpoint.weightFiles) tensors.push(...(await native().safetensors.inspect(file)).tensors);
  const untiedT5 = config.modelType === 't5' && config.tieWordEmbeddings && tensors.some((t) => t.name === 'lm_head.weight');
  const checked = untiedT5 ? { ...config, tieWordEmbeddings: false } : config;
  checkConfigFitsWeights(checkpoint.configFile, checked, checkpoint.weightFiles, tensors);
  return { config: checked, raw };
}

/** The native model alone (no tokenizer needed): a built-in preset (seeded init) or an HF folder's weights. */
export async function loadModelWeights(spec: string, options: LoadModelOptions = {}): Promise<LoadedWeights> {
  const resolved = resolveModelSpec(spec);
  const seed = options.seed ?? 0;
  if (resolved.kind === 'builtin') {
    const { builtinTokenizer } = await import('../builtin/index.js');
    // The built-in vocabulary sizes the embedding; the tokenizer ships with the package.
    const tokenizer = await builtinTokenizer();
    const config = builtinModelConfig(resolved.name, tokenizer.vocabSize, tokenizer.padId);
    const model = native().Model.create(config, { seed });
    const hfConfig = toHfConfig(config, { bosTokenId: tokenizer.bosId, eosTokenId: tokenizer.eosId, padTokenId: tokenizer.padId });
    return { model, config, source: { kind: 'builtin', name: resolved.name, spec }, hfConfig };
  }
  const checkpoint = await resolveCheckpoint(resolved.dir);
  const { config, raw } = await checkpointModelConfig(checkpoint);
  // No random init: loadWeights overwrites every weight (and fails before using the model otherwise).
  const model = native().Model.create(config, { seed, initialize: false });
  await model.loadWeights(checkpoint.weightFiles, { configName: checkpoint.configFile });
  return { model, config, source: { kind: 'hf', spec, dir: checkpoint.dir, checkpoint, hfConfig: raw }, hfConfig: raw };
}
