// Loading a TextTokenizer from a Hugging Face model folder:
//   tokenizer.json                                  the tokenizer itself (required)
//   tokenizer_config.json, special_tokens_map.json  bos/eos/pad tokens, add_bos_token (optional)
//   config.json                                     eos_token_id, as a last resort for EOS (optional)
// Special-token values may be strings or {"content": ...} objects (AddedToken serialization). As in
// transformers' from_pretrained, a value in special_tokens_map.json overrides tokenizer_config.json.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HfTokenizer, type HfTextTokenizer, type SpecialTokens } from './hf-tokenizer.js';
import { TokenizerError } from './types.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';

export type { HfTextTokenizer } from './hf-tokenizer.js';

type JsonObject = Record<string, unknown>;

/** A tokenizer file's text; a folder in its place is named as such (not EISDIR). */
async function readTokenizerFile(file: string): Promise<string> {
  if (statSync(file).isDirectory()) throw new TokenizerError(`${file} is a folder, not a file`);
  return readFile(file, 'utf8');
}

async function readJsonObject(file: string): Promise<JsonObject | null> {
  if (!existsSync(file)) return null;
  const text = await readTokenizerFile(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TokenizerError(`${file} is not valid JSON: ${jsonSyntaxProblem(err)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TokenizerError(`${file} must contain a JSON object`);
  return value as JsonObject;
}

/** A special-token entry: a string, an {content} object, null/absent (none), anything else an error. */
function tokenContent(value: unknown, file: string, key: string): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  throw new TokenizerError(`${file}: "${key}" must be a token string or an object with a "content" string, got ${JSON.stringify(value)}`);
}

/** The special tokens of a model folder, from its config files (see the file comment for precedence). */
export async function readSpecialTokens(dir: string): Promise<SpecialTokens> {
  const configFile = path.join(dir, 'tokenizer_config.json');
  const mapFile = path.join(dir, 'special_tokens_map.json');
  const modelConfigFile = path.join(dir, 'config.json');
  const config = (await readJsonObject(configFile)) ?? {};
  const map = (await readJsonObject(mapFile)) ?? {};
  // Which file named each token, for messages about it.
  const from: Record<string, string> = {};
  const pick = (key: string): string | null => {
    const fromMap = tokenContent(map[key], mapFile, key);
    if (fromMap !== undefined && fromMap !== null) {
      from[key] = mapFile;
      return fromMap;
    }
    const fromConfig = tokenContent(config[key], configFile, key) ?? null;
    if (fromConfig !== null) from[key] = configFile;
    return fromConfig;
  };
  const addBos = config['add_bos_token'];
  if (addBos !== undefined && typeof addBos !== 'boolean') {
    throw new TokenizerError(`${configFile}: "add_bos_token" must be true or false, got ${JSON.stringify(addBos)}`);
  }
  const eos = pick('eos_token') ?? (await eosFromModelConfig(modelConfigFile, dir));
  if (eos === null) {
    throw new TokenizerError(
      `${dir}: no EOS token: set "eos_token" in tokenizer_config.json or special_tokens_map.json (or eos_token_id in config.json)`,
    );
  }
  const bos = pick('bos_token');
  const pad = pick('pad_token');
  return {
    bos,
    eos,
    pad,
    addBos: addBos ?? null,
    chatTemplate: chatTemplateOf(config['chat_template'], configFile),
    namedIn: { bos: from['bos_token'], eos: from['eos_token'] ?? modelConfigFile, pad: from['pad_token'] },
  };
}

/**
 * tokenizer_config.json's chat_template: a string, or (newer transformers) a list of {name, template} from
 * which the one named "default" is used. Absent -> null.
 */
function chatTemplateOf(value: unknown, file: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const entry = value.find((t) => t && typeof t === 'object' && (t as { name?: unknown }).name === 'default') as { template?: unknown } | undefined;
    if (entry && typeof entry.template === 'string') return entry.template;
    throw new TokenizerError(`${file}: "chat_template" is a list without a {"name": "default", "template": "..."} entry`);
  }
  throw new TokenizerError(`${file}: "chat_template" must be a string or a list of {name, template}, got ${typeof value}`);
}

/** EOS named by id in config.json, turned back into its token text through tokenizer.json's vocabulary. */
async function eosFromModelConfig(file: string, dir: string): Promise<string | null> {
  const config = await readJsonObject(file);
  const raw = config?.['eos_token_id'];
  const id = Array.isArray(raw) ? raw[0] : raw;
  if (typeof id !== 'number') return null;
  const tokenizerJson = (await readJsonObject(path.join(dir, 'tokenizer.json'))) as {
    added_tokens?: Array<{ id: number; content: string }>;
    model?: { vocab?: Record<string, number> };
  } | null;
  if (tokenizerJson === null) return null;
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens.find((t) => t?.id === id) : undefined;
  if (added) return added.content;
  const vocab = tokenizerJson.model?.vocab;
  if (vocab && typeof vocab === 'object') for (const [token, tokenId] of Object.entries(vocab)) if (tokenId === id) return token;
  throw new TokenizerError(`${file}: eos_token_id ${id} is not in the vocabulary of ${path.join(dir, 'tokenizer.json')}`);
}

/** A tokenizer from an HF model folder (tokenizer.json + config files). */
export async function loadTokenizer(dir: string): Promise<HfTextTokenizer> {
  const file = path.join(dir, 'tokenizer.json');
  if (!existsSync(dir)) throw new TokenizerError(`Tokenizer folder ${dir} does not exist`);
  if (!existsSync(file)) {
    throw new TokenizerError(`${dir} has no tokenizer.json (only fast tokenizers are supported; save one with tokenizer.save_pretrained in transformers)`);
  }
  const special = await readSpecialTokens(dir);
  return fromTokenizerJson(file, special, dir);
}

/** A tokenizer from one tokenizer.json file and already-resolved special tokens. */
export async function fromTokenizerJson(file: string, special: SpecialTokens, source = file): Promise<HfTextTokenizer> {
  const text = await readTokenizerFile(file);
  return new HfTokenizer(text, file, special, source);
}
