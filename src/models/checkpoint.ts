// Resolves a Hugging Face model folder: config.json, the safetensors weight files (one file or a sharded
// checkpoint with model.safetensors.index.json), and the tokenizer files that sit beside them.
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../util/usage-error.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';

export interface ResolvedCheckpoint {
  /** Absolute path of the folder. */
  dir: string;
  configFile: string;
  /** Absolute paths of the safetensors files to load, in a stable order. */
  weightFiles: string[];
  /** 'single' = model.safetensors, 'sharded' = model.safetensors.index.json. */
  layout: 'single' | 'sharded';
  /** model.safetensors.index.json when sharded. */
  indexFile?: string;
  /** Tokenizer and generation files present in the folder (absolute), copied next to full-finetuning outputs. */
  tokenizerFiles: string[];
}

/** The files a saved HF checkpoint carries beside the weights that describe tokenization and generation. */
export const TOKENIZER_FILE_NAMES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'generation_config.json',
  'chat_template.jinja',
  'chat_template.json',
];

export class CheckpointError extends UsageError {}

const CONVERT_HINT =
  'convert it once with Python: `AutoModelForCausalLM.from_pretrained(dir).save_pretrained(out_dir, safe_serialization=True)` ' +
  '(transformers), which writes model.safetensors';

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Finds config.json and the safetensors weights of an HF folder; errors name the folder and what is missing. */
export async function resolveCheckpoint(folder: string): Promise<ResolvedCheckpoint> {
  const dir = path.resolve(folder);
  if (!existsSync(dir)) throw new CheckpointError(`model folder ${folder} does not exist`);
  if (!statSync(dir).isDirectory()) throw new CheckpointError(`${folder} is not a folder (expected an HF model folder with config.json and model.safetensors)`);

  const configFile = path.join(dir, 'config.json');
  if (!isFile(configFile)) throw new CheckpointError(`model folder ${folder} has no config.json`);

  const tokenizerFiles = TOKENIZER_FILE_NAMES.map((n) => path.join(dir, n)).filter(isFile);

  const single = path.join(dir, 'model.safetensors');
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  if (isFile(indexFile)) {
    const weightFiles = await readShardIndex(indexFile, folder);
    return { dir, configFile, weightFiles, layout: 'sharded', indexFile, tokenizerFiles };
  }
  if (isFile(single)) {
    return { dir, configFile, weightFiles: [single], layout: 'single', tokenizerFiles };
  }

  const entries = await readdir(dir);
  const pytorch = entries.filter((e) => /^pytorch_model.*\.bin(\.index\.json)?$/.test(e) || /\.(bin|pt|pth|ckpt)$/.test(e));
  const otherSafetensors = entries.filter((e) => e.endsWith('.safetensors'));
  if (pytorch.length > 0) {
    throw new CheckpointError(
      `model folder ${folder} has PyTorch pickle weights (${pytorch.slice(0, 3).join(', ')}${pytorch.length > 3 ? ', ...' : ''}) ` +
        `but no model.safetensors: .bin/pytorch checkpoints are not supported; ${CONVERT_HINT}`,
    );
  }
  if (otherSafetensors.length > 0) {
    throw new CheckpointError(
      `model folder ${folder} has ${otherSafetensors.join(', ')} but neither model.safetensors nor model.safetensors.index.json ` +
        `(the names transformers' save_pretrained writes)`,
    );
  }
  throw new CheckpointError(
    `model folder ${folder} has no weights: expected model.safetensors or model.safetensors.index.json ` +
      `(.bin/pytorch checkpoints are not supported; ${CONVERT_HINT})`,
  );
}

/** The shard files of a model.safetensors.index.json, deduplicated in first-seen order; all must exist. */
export async function readShardIndex(indexFile: string, folderForMessages = path.dirname(indexFile)): Promise<string[]> {
  let index: unknown;
  try {
    index = JSON.parse(await readFile(indexFile, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`${indexFile}: cannot read the shard index (${jsonSyntaxProblem(err)})`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(`${indexFile}: has no "weight_map" object (tensor name -> shard file)`);
  }
  const seen = new Set<string>();
  const files: string[] = [];
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard.length === 0) {
      throw new CheckpointError(`${indexFile}: weight_map["${tensor}"] must be a file name, got ${JSON.stringify(shard)}`);
    }
    if (path.isAbsolute(shard) || shard.split(/[\\/]/).includes('..')) {
      throw new CheckpointError(`${indexFile}: weight_map["${tensor}"] = "${shard}" points outside the model folder`);
    }
    if (seen.has(shard)) continue;
    seen.add(shard);
    files.push(path.join(path.dirname(indexFile), shard));
  }
  if (files.length === 0) throw new CheckpointError(`${indexFile}: weight_map is empty`);
  const missing = files.filter((f) => !isFile(f));
  if (missing.length > 0) {
    throw new CheckpointError(
      `model folder ${folderForMessages} is missing ${missing.length} of ${files.length} shard file(s) named in model.safetensors.index.json: ` +
        missing.map((m) => path.basename(m)).join(', '),
    );
  }
  return files;
}
