// Corrupt and truncated model weights (model.safetensors of the fixture Llama), read by `train --model`.
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BadInputCase } from './case.js';
import { trainArgs } from './commands.js';
import { assemble, dropTensor, editHeader, entry, readParts, tensorNames, writeParts } from './safetensors-file.js';
import { modelFolder, shardedModelFolder, taskFile } from './sources.js';

const FILE = 'model.safetensors';
const EMBED = 'model.embed_tokens.weight';
const DOWN = 'model.layers.1.mlp.down_proj.weight';

/** A case whose fixture model gets `damage(weightsFile)` before `train --model` reads it. */
function weights(id: string, what: string, damage: (file: string) => void, culprit: Array<string | RegExp>): BadInputCase {
  return {
    id: `safetensors/${id}`,
    category: 'safetensors',
    what,
    exit: 2,
    culprit: [FILE, ...culprit],
    setup: (dir) => {
      const model = modelFolder(dir);
      damage(path.join(model, FILE));
      return trainArgs(dir, model, taskFile(dir));
    },
  };
}

function withLength(file: string, length: bigint): void {
  const buf = readFileSync(file);
  buf.writeBigUInt64LE(length, 0);
  writeFileSync(file, buf);
}

function rawHeader(file: string, text: string): void {
  writeFileSync(file, assemble(text, readParts(file).data));
}

export const safetensorsCases: BadInputCase[] = [
  weights('header-length-zero', 'header length 0', (f) => withLength(f, 0n), [/header/i]),
  weights('header-length-huge', 'header length 2^64-1', (f) => withLength(f, 2n ** 64n - 1n), [/header/i]),
  weights('header-length-past-eof', 'header length larger than the file', (f) => withLength(f, BigInt(statSync(f).size + 100)), [/header/i]),
  weights('header-length-odd', 'header length one byte short (cuts the JSON)', (f) => withLength(f, readFileSync(f).readBigUInt64LE(0) - 1n), [/header/i]),
  weights('header-length-tiny', 'header length 3', (f) => withLength(f, 3n), [/header/i]),
  weights('header-not-json', 'header bytes are not JSON (NUL, 0xff, text)', (f) => {
    const buf = readFileSync(f);
    const len = Number(buf.readBigUInt64LE(0));
    buf.fill(0xff, 8, 8 + len);
    buf.write('\u0000garbage\u0000', 8, 'latin1');
    writeFileSync(f, buf);
  }, [/header/i]),
  weights('header-json-array', 'header is a JSON array, not an object', (f) => rawHeader(f, '[1, 2, 3]'), [/header/i]),
  weights('header-json-string', 'header is a JSON string', (f) => rawHeader(f, '"weights"'), [/header/i]),
  weights('entry-missing-dtype', 'a tensor entry without dtype', (f) => editHeader(f, (h) => { delete (h[EMBED] as Record<string, unknown>).dtype; }), [EMBED, 'dtype']),
  weights('entry-missing-shape', 'a tensor entry without shape', (f) => editHeader(f, (h) => { delete (h[EMBED] as Record<string, unknown>).shape; }), [EMBED, 'shape']),
  weights('entry-missing-offsets', 'a tensor entry without data_offsets', (f) => editHeader(f, (h) => { delete (h[EMBED] as Record<string, unknown>).data_offsets; }), [EMBED, 'data_offsets']),
  weights('entry-not-object', 'a tensor entry that is a number', (f) => editHeader(f, (h) => { h[EMBED] = 7; }), [EMBED]),
  weights('unknown-dtype', 'dtype "F33"', (f) => editHeader(f, (h) => { (h[EMBED] as Record<string, unknown>).dtype = 'F33'; }), [EMBED, 'F33']),
  weights('offsets-out-of-range', 'data_offsets end past the data', (f) => editHeader(f, (_h, p) => {
    const e = entry(p, DOWN);
    e.data_offsets = [p.data.length - 4, p.data.length - 4 + (e.data_offsets[1] - e.data_offsets[0])];
  }), [DOWN]),
  weights('offsets-overlapping', 'two tensors share bytes', (f) => editHeader(f, (_h, p) => {
    const [a, b] = tensorNames(p);
    const ea = entry(p, a!);
    const eb = entry(p, b!);
    const size = eb.data_offsets[1] - eb.data_offsets[0];
    eb.data_offsets = [ea.data_offsets[0], ea.data_offsets[0] + size];
  }), [/overlap|data_offsets/]),
  weights('offsets-reversed', 'data_offsets [end, begin]', (f) => editHeader(f, (_h, p) => {
    const e = entry(p, DOWN);
    e.data_offsets = [e.data_offsets[1], e.data_offsets[0]];
  }), [DOWN, 'data_offsets']),
  weights('offsets-size-mismatch', 'data_offsets span 4 bytes less than shape x dtype', (f) => editHeader(f, (_h, p) => {
    const e = entry(p, DOWN);
    e.data_offsets = [e.data_offsets[0], e.data_offsets[1] - 4];
  }), [DOWN]),
  weights('shape-negative', 'a shape with a negative dimension', (f) => editHeader(f, (_h, p) => { entry(p, DOWN).shape = [-64, -160]; }), [DOWN, 'shape']),
  weights('shape-huge', 'a shape [0, 2^63+1] (prints unsigned, not as a negative number)', (f) => {
    // JSON.stringify cannot write 2^63+1 exactly: the number goes into the header text as written.
    const parts = readParts(f);
    entry(parts, DOWN).shape = [0, 1234567];
    writeFileSync(f, assemble(JSON.stringify(parts.header).replace('[0,1234567]', '[0,9223372036854775809]'), parts.data));
  }, [DOWN, /9223372036854775809/]),
  weights('shape-fractional', 'a shape with 1.5 as a dimension', (f) => editHeader(f, (_h, p) => { entry(p, DOWN).shape = [64, 1.5]; }), [DOWN, 'shape']),
  weights('truncated-mid-data', 'file cut in the middle of the tensor data', (f) => truncateSync(f, Math.floor(statSync(f).size / 2)), []),
  weights('truncated-in-header', 'file cut inside the header', (f) => truncateSync(f, 20), [/header/i]),
  weights('truncated-in-length', 'file of 5 bytes (shorter than the length field)', (f) => truncateSync(f, 5), []),
  weights('empty', 'an empty file', (f) => writeFileSync(f, ''), []),
  weights('is-directory', 'model.safetensors is a directory', (f) => { rmSync(f); mkdirSync(f); }, [/director|folder/i]),
  weights('missing-tensor', `${DOWN} left out (header entry and bytes)`, (f) => dropTensor(f, DOWN), [DOWN]),
  weights('wrong-shape', 'a tensor shaped unlike config.json says (and its bytes)', (f) => {
    const parts = readParts(f);
    const e = entry(parts, DOWN);
    const size = e.data_offsets[1] - e.data_offsets[0];
    e.shape = [size / 4 / 2, 2];
    writeParts(f, parts);
  }, [DOWN, 'shape']),
  weights('wrong-dtype-int', 'a weight stored as I32', (f) => editHeader(f, (_h, p) => { entry(p, DOWN).dtype = 'I32'; }), [DOWN, /I32|dtype/]),
  weights('metadata-not-strings', '__metadata__ with a non-string value', (f) => editHeader(f, (h) => { h.__metadata__ = { format: 7 }; }), ['__metadata__']),
  {
    id: 'safetensors/shard-missing',
    category: 'safetensors',
    what: 'model.safetensors.index.json names a shard that is not there',
    exit: 2,
    culprit: ['model-00002-of-00003.safetensors'],
    setup: (dir) => {
      const model = shardedModelFolder(dir);
      rmSync(path.join(model, 'model-00002-of-00003.safetensors'));
      return trainArgs(dir, model, taskFile(dir));
    },
  },
  {
    id: 'safetensors/index-not-json',
    category: 'safetensors',
    what: 'model.safetensors.index.json is not JSON',
    exit: 2,
    culprit: ['model.safetensors.index.json'],
    setup: (dir) => {
      const model = shardedModelFolder(dir);
      writeFileSync(path.join(model, 'model.safetensors.index.json'), '{"weight_map": {"lm_head.weight": ');
      return trainArgs(dir, model, taskFile(dir));
    },
  },
  {
    id: 'safetensors/index-tensor-missing',
    category: 'safetensors',
    what: 'a tensor named in the index is absent from its shard',
    exit: 2,
    culprit: [DOWN, /model-0000\d-of-00003\.safetensors/],
    setup: (dir) => {
      const model = shardedModelFolder(dir);
      const index = JSON.parse(readFileSync(path.join(model, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
      const shard = path.join(model, index.weight_map[DOWN]!);
      dropTensor(shard, DOWN);
      return trainArgs(dir, model, taskFile(dir));
    },
  },
  {
    id: 'safetensors/no-weights',
    category: 'safetensors',
    what: 'a model folder without any weights file',
    exit: 2,
    culprit: [/model\.safetensors/],
    setup: (dir) => {
      const model = modelFolder(dir);
      rmSync(path.join(model, FILE));
      return trainArgs(dir, model, taskFile(dir));
    },
  },
];
