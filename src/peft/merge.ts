// Merging an adapter of a mergeable method (LoRA, DoRA, IA3: their records say so) into its base model and saving the result as an HF checkpoint
// (config.json + safetensors, sharded above maxShardBytes, + the base's tokenizer files).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { native } from '../native/binding.js';
import { resolveCheckpoint } from '../models/checkpoint.js';
import { checkpointModelConfig } from '../models/load.js';
import { saveCheckpoint } from '../models/save.js';
import { AdapterError } from './adapter-files.js';
import { unwritableReason } from '../util/atomic-file.js';
import { TRAIN_METHODS, describeMethod, loadAdapter, methodSpec, type MethodSettings } from './methods.js';

/** The methods whose adapters fold into the base weights. */
export const MERGEABLE_METHODS = TRAIN_METHODS.filter((m) => methodSpec(m).capabilities.mergeable);

export interface MergeOptions {
  model: string;
  adapter: string;
  out: string;
  /** Default 5 GB, as transformers' save_pretrained. */
  maxShardBytes?: number;
}

export interface MergeResult {
  settings: MethodSettings;
  mergedModules: string[];
  files: string[];
}

export async function mergeAdapter(o: MergeOptions): Promise<MergeResult> {
  const out = path.resolve(o.out);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new AdapterError(`--out ${out} already exists and is not an empty folder; choose a new folder for the merged checkpoint`);
  }
  // An --out that cannot be written fails now, not after the merge (and leaves nothing behind).
  const unwritable = await unwritableReason(out, { leaveNoTrace: true });
  if (unwritable !== null) throw new AdapterError(`--out ${out} cannot be written (${unwritable}); nothing was merged`);
  // No tokenizer is needed to merge weights: the checkpoint is read directly, tokenizer files are copied as they are.
  const checkpoint = await resolveCheckpoint(o.model);
  const { config, raw } = await checkpointModelConfig(checkpoint);
  const model = native().Model.create(config, { seed: 0, initialize: false });
  await model.loadWeights(checkpoint.weightFiles, { configName: checkpoint.configFile });
  const settings = await loadAdapter(model, o.adapter);
  if (!methodSpec(settings.method).capabilities.mergeable) {
    throw new AdapterError(`${path.resolve(o.adapter)} holds a ${describeMethod(settings)} adapter; only ${MERGEABLE_METHODS.join(', ')} adapters can be merged into the weights`);
  }
  const mergedModules = model.mergeAdapter().targetedModules;
  const files = await saveCheckpoint(model, o.out, {
    hfConfig: raw,
    config,
    tokenizerFiles: checkpoint.tokenizerFiles,
    maxShardBytes: o.maxShardBytes ?? 5e9,
  });
  return { settings, mergedModules, files };
}
