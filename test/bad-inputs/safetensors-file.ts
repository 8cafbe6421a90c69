// Reading and re-writing safetensors files byte by byte, to make corrupt variants of real fixture weights.
import { readFileSync, writeFileSync } from 'node:fs';

export interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsParts {
  /** The parsed header: tensor name -> entry, plus an optional __metadata__. */
  header: Record<string, unknown>;
  /** The bytes after the header. */
  data: Buffer;
}

export function readParts(file: string): SafetensorsParts {
  const buf = readFileSync(file);
  const len = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')) as Record<string, unknown>;
  return { header, data: buf.subarray(8 + len) };
}

/** Header bytes padded with spaces to a multiple of 8, as the safetensors library writes them. */
export function headerBytes(headerJson: string): Buffer {
  const raw = Buffer.from(headerJson, 'utf8');
  const padded = Buffer.alloc(Math.ceil(raw.length / 8) * 8, 0x20);
  raw.copy(padded);
  return padded;
}

/** 8-byte little-endian length, the header text (as given: it may be broken JSON), the data. */
export function assemble(headerJson: string, data: Buffer, lengthOverride?: bigint): Buffer {
  const head = headerBytes(headerJson);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(head.length));
  return Buffer.concat([len, head, data]);
}

export function writeParts(file: string, parts: SafetensorsParts, lengthOverride?: bigint): void {
  writeFileSync(file, assemble(JSON.stringify(parts.header), parts.data, lengthOverride));
}

/** Tensor names in data order (the __metadata__ entry left out). */
export function tensorNames(parts: SafetensorsParts): string[] {
  return Object.keys(parts.header)
    .filter((k) => k !== '__metadata__')
    .sort((a, b) => entry(parts, a).data_offsets[0] - entry(parts, b).data_offsets[0]);
}

export function entry(parts: SafetensorsParts, name: string): TensorEntry {
  const e = parts.header[name];
  if (e === undefined) throw new Error(`no tensor ${name}`);
  return e as TensorEntry;
}

/** Reads `file`, lets `change` edit the parsed header in place, writes it back with the same data. */
export function editHeader(file: string, change: (header: Record<string, unknown>, parts: SafetensorsParts) => void): void {
  const parts = readParts(file);
  change(parts.header, parts);
  writeParts(file, parts);
}

/** Gives tensor `name` a new shape (float32: its first bytes, zeros past them) and re-packs the data behind it. */
export function reshapeTensor(file: string, name: string, shape: number[]): void {
  const parts = readParts(file);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const n of tensorNames(parts)) {
    const e = entry(parts, n);
    let bytes = parts.data.subarray(e.data_offsets[0], e.data_offsets[1]);
    if (n === name) {
      const size = shape.reduce((a, b) => a * b, 1) * 4;
      bytes = Buffer.concat([bytes.subarray(0, size), Buffer.alloc(Math.max(0, size - bytes.length))]);
      e.shape = shape;
    }
    e.data_offsets = [at, at + bytes.length];
    chunks.push(bytes);
    at += bytes.length;
  }
  writeParts(file, { header: parts.header, data: Buffer.concat(chunks) });
}

/** Removes tensor `name` (its header entry and its bytes), re-packing the data so the file stays consistent. */
export function dropTensor(file: string, name: string): void {
  const parts = readParts(file);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const n of tensorNames(parts)) {
    const e = entry(parts, n);
    if (n === name) continue;
    const bytes = parts.data.subarray(e.data_offsets[0], e.data_offsets[1]);
    e.data_offsets = [at, at + bytes.length];
    chunks.push(bytes);
    at += bytes.length;
  }
  delete parts.header[name];
  writeParts(file, { header: parts.header, data: Buffer.concat(chunks) });
}
