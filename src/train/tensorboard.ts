// TensorBoard event files without TensorFlow: a tfevents file is a sequence of records
//   u64 length (LE) | u32 masked CRC32C of the length bytes | data | u32 masked CRC32C of data
// where each record's data is a hand-encoded `tensorflow.Event` protobuf:
//   Event { double wall_time = 1; int64 step = 2; oneof { string file_version = 3; Summary summary = 5;
//           SessionLog session_log = 7; } }
//   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
//   SessionLog { SessionStatus status = 1; }  (START = 1)
// The first record carries file_version "brain.Event:2". A resumed run opens a new file that starts with a
// SessionLog START at the first new step: TensorBoard then drops older events from that step on.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as in TFRecord. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC32C_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Minimal protobuf writer for the few field kinds an Event needs. */
class ProtoWriter {
  private readonly parts: number[] = [];

  private varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.parts.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.parts.push(Number(v));
  }

  private tag(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  double(field: number, value: number): this {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.parts.push(...b);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.parts.push(...b);
    return this;
  }

  int64(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(BigInt(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(value.length));
    this.parts.push(...value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** One TFRecord around `data`. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

export function scalarEvent(step: number, wallTimeSec: number, scalars: Record<string, number>): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(scalars)) summary.bytes(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  return new ProtoWriter().double(1, wallTimeSec).int64(2, step).bytes(5, summary.finish()).finish();
}

function fileVersionEvent(wallTimeSec: number): Uint8Array {
  return new ProtoWriter().double(1, wallTimeSec).int64(2, 0).string(3, 'brain.Event:2').finish();
}

function sessionStartEvent(step: number, wallTimeSec: number): Uint8Array {
  return new ProtoWriter().double(1, wallTimeSec).int64(2, step).bytes(7, new ProtoWriter().int64(1, 1).finish()).finish();
}

export const TENSORBOARD_DIR = 'tensorboard';

/** Scalars of a training step as TensorBoard tags (HF Trainer's names for loss, learning rate, grad norm). */
export function trainingScalars(m: { loss: number; lr: number; gradNorm: number; tokensPerSec: number }): Record<string, number> {
  return { 'train/loss': m.loss, 'train/learning_rate': m.lr, 'train/grad_norm': m.gradNorm, 'train/tokens_per_sec': m.tokensPerSec };
}

export class TensorBoardWriter {
  readonly file: string;
  private fd: number | null;
  private readonly now: () => number;

  /**
   * Opens a new event file in `dir` (created). `resumeStep`: the first step this file will log after a resume;
   * a SessionLog START there makes TensorBoard drop events of the interrupted run from that step on.
   */
  constructor(dir: string, options: { resumeStep?: number; now?: () => number } = {}) {
    mkdirSync(dir, { recursive: true });
    const now = options.now ?? Date.now;
    this.now = now;
    const t = now() / 1000;
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(t)}.${os.hostname()}.${process.pid}.${Math.floor(Math.random() * 1e6)}`);
    this.fd = openSync(this.file, 'wx');
    this.write(fileVersionEvent(t));
    if (options.resumeStep !== undefined) this.write(sessionStartEvent(options.resumeStep, t));
  }

  private write(event: Uint8Array): void {
    if (this.fd === null) throw new Error(`TensorBoard event file ${this.file} is closed`);
    writeSync(this.fd, tfRecord(event));
  }

  /** Appends the scalars of one step (written through, so a crash keeps every finished step). */
  scalars(step: number, values: Record<string, number>): void {
    this.write(scalarEvent(step, this.now() / 1000, values));
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
