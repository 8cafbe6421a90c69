// safetensors IO: round trip, real files written by Python's safetensors, and clear errors for corrupt files.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native/binding.js';
import { fixturesDir, repoRoot } from './helpers/fixtures.js';
import { realFixturesDir } from './helpers/real-data.js';

const st = () => native().safetensors;
const tmp = mkdtempSync(path.join(tmpdir(), 'pn-safetensors-'));

/** A safetensors file from a header object and a data section, built by hand (independent of our writer). */
function handMade(name: string, header: unknown, data: Buffer, headerLenOverride?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLenOverride ?? BigInt(json.length));
  const file = path.join(tmp, name);
  writeFileSync(file, Buffer.concat([len, json, data]));
  return file;
}

function f32(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}

describe('safetensors reader', () => {
  it('reads a hand-made F32 file', async () => {
    const file = handMade('ok.safetensors', { __metadata__: { format: 'pt' }, a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, f32([1, -2, 3.5, 4]));
    const info = await st().inspect(file);
    expect(info.tensors).toEqual([{ name: 'a', dtype: 'F32', shape: [2, 2] }]);
    expect(info.metadata).toEqual({ format: 'pt' });
    const t = await st().readTensor(file, 'a');
    expect(t.shape).toEqual([2, 2]);
    expect(Array.from(t.data)).toEqual([1, -2, 3.5, 4]);
  });

  it('upcasts BF16 and F16 exactly (checked against the F32 file transformers wrote)', async () => {
    const f32File = path.join(fixturesDir, 'llama', 'model.safetensors');
    for (const variant of ['llama-bf16', 'llama-fp16']) {
      const file = path.join(fixturesDir, variant, 'model.safetensors');
      const info = await st().inspect(file);
      expect(info.tensors[0]!.dtype).toBe(variant === 'llama-bf16' ? 'BF16' : 'F16');
      const name = 'model.layers.0.mlp.down_proj.weight';
      const low = await st().readTensor(file, name);
      const full = await st().readTensor(f32File, name);
      // Rounding float32 to 16 bits changes each value by at most half a unit in the last place.
      const relStep = variant === 'llama-bf16' ? 2 ** -8 : 2 ** -11;
      for (let i = 0; i < full.data.length; i++) {
        expect(Math.abs(low.data[i]! - full.data[i]!)).toBeLessThanOrEqual(Math.abs(full.data[i]!) * relStep + 1e-7);
      }
    }
  });

  it('reads the GPT-2 checkpoint from the committed fixtures', async () => {
    const file = path.join(realFixturesDir, 'hf/fake_gpt2/model.safetensors');
    const info = await st().inspect(file);
    expect(info.tensors.length).toBe(16);
    const count = info.tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    expect(count).toBe(102_640);
  });

  it('round-trips through the writer, atomically', async () => {
    const file = path.join(tmp, 'rt.safetensors');
    const data = Float32Array.from({ length: 12 }, (_, i) => i / 7);
    await st().writeTensors(file, [{ name: 'x', shape: [3, 4], data }, { name: 'empty', shape: [0, 4], data: new Float32Array(0) }], { k: 'v' });
    const back = await st().readTensor(file, 'x');
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect((await st().inspect(file)).metadata).toEqual({ k: 'v' });
    // The header is padded to 8 bytes like the reference writer's.
    const len = Number(readFileSync(file).readBigUInt64LE(0));
    expect(len % 8).toBe(0);
  });

  const corrupt: Array<[string, () => string, RegExp]> = [
    ['a file shorter than 8 bytes', () => { const f = path.join(tmp, 'short.safetensors'); writeFileSync(f, Buffer.from([1, 2, 3])); return f; }, /shorter than the 8-byte header/],
    ['a header length past the end', () => handMade('hlen.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32([1]), 10_000n), /runs past the end of the file/],
    ['malformed JSON', () => { const f = path.join(tmp, 'json.safetensors'); const h = Buffer.from('{"a": {'); const l = Buffer.alloc(8); l.writeBigUInt64LE(BigInt(h.length)); writeFileSync(f, Buffer.concat([l, h])); return f; }, /invalid JSON/],
    ['offsets past the data (truncated file)', () => handMade('trunc.safetensors', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32([1, 2])), /tensor "w": data_offsets end 16 is past the data section/],
    ['overlapping tensors', () => handMade('overlap.safetensors', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32([1, 2, 3])), /"b" overlaps/],
    ['byte size that does not match dtype x shape', () => handMade('size.safetensors', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32([1, 2])), /tensor "w": holds 8 bytes but F32 x shape needs 12/],
    ['an unknown dtype', () => handMade('dtype.safetensors', { w: { dtype: 'F8_E9', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), /tensor "w": unsupported dtype F8_E9/],
    ['unused bytes between tensors', () => handMade('hole.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32([1, 2, 3])), /gap of unused bytes precedes tensor "b"/],
  ];
  it.each(corrupt)('%s is a clear error naming the file', async (_what, make, message) => {
    const file = make();
    await expect(st().inspect(file)).rejects.toThrow(message);
    await expect(st().inspect(file)).rejects.toThrow(path.basename(file));
  });

  it('a missing file and a missing tensor are clear errors', async () => {
    await expect(st().inspect(path.join(tmp, 'nope.safetensors'))).rejects.toThrow(/nope.safetensors: cannot open/);
    const file = handMade('one.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32([1]));
    await expect(st().readTensor(file, 'b')).rejects.toThrow(/no tensor named "b"/);
  });

  it('a model load from a truncated checkpoint names the file and tensor and changes nothing', async () => {
    const good = readFileSync(path.join(fixturesDir, 'llama', 'model.safetensors'));
    const file = path.join(tmp, 'truncated-model.safetensors');
    writeFileSync(file, good.subarray(0, good.length - 100));
    const { readModelConfig } = await import('../src/models/config.js');
    const { config } = await readModelConfig(path.join(fixturesDir, 'llama', 'config.json'));
    const model = native().Model.create(config, { seed: 0 });
    const before = model.getParameter('model.norm.weight');
    await expect(model.loadWeights([file])).rejects.toThrow(/truncated-model.safetensors: not a valid safetensors file: .*tensor "/);
    expect(Array.from(model.getParameter('model.norm.weight'))).toEqual(Array.from(before));
  });
});
