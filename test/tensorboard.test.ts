// TensorBoard event files read back by the `tensorboard` Python package (EventAccumulator), the reader
// TensorBoard itself uses; CRC32C against the standard check value.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TensorBoardWriter, crc32c, maskedCrc32c, trainingScalars } from '../src/train/tensorboard.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = path.join(root, '.venv/bin/python');

const READ_BACK = `
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
acc.Reload()
print(json.dumps({tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}))
`;

/** Every scalar series in `dir` as TensorBoard reads it: {tag: [[step, value], ...]}. */
function readWithTensorBoard(dir: string): Record<string, Array<[number, number]>> {
  if (!existsSync(python)) throw new Error(`this test needs ${python} with the tensorboard package (npm run setup:python)`);
  const r = spawnSync(python, ['-c', READ_BACK, dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`reading the event files with tensorboard failed (is the tensorboard package installed in .venv?):\n${r.stderr}`);
  return JSON.parse(r.stdout.replace(/NaN/g, '"NaN"'), (_k, v: unknown) => (v === 'NaN' ? NaN : v)) as Record<string, Array<[number, number]>>;
}

describe('TensorBoard event files', () => {
  it('computes CRC32C and its TFRecord mask', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283); // the CRC-32C check value
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    const crc = 0xe3069283;
    expect(maskedCrc32c(new TextEncoder().encode('123456789'))).toBe(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });

  it('writes scalars that TensorBoard reads back (float32 values, steps, tags)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tb-'));
    const w = new TensorBoardWriter(dir);
    const steps = [1, 2, 3, 300000];
    const rows = steps.map((s) => ({ loss: 7.1 / s, lr: 2e-3 * (1 - s / 400000), gradNorm: 0.5 + s, tokensPerSec: 5432.1 * s }));
    steps.forEach((s, i) => w.scalars(s, trainingScalars(rows[i]!)));
    w.scalars(4, { 'train/loss': NaN });
    w.close();
    const read = readWithTensorBoard(dir);
    expect(Object.keys(read).sort()).toEqual(['train/grad_norm', 'train/learning_rate', 'train/loss', 'train/tokens_per_sec']);
    expect(read['train/loss']!.slice(0, 4)).toEqual(steps.map((s, i) => [s, Math.fround(rows[i]!.loss)]));
    expect(read['train/loss']![4]![0]).toBe(4);
    expect(read['train/loss']![4]![1]).toBeNaN();
    expect(read['train/learning_rate']).toEqual(steps.map((s, i) => [s, Math.fround(rows[i]!.lr)]));
    expect(read['train/grad_norm']).toEqual(steps.map((s, i) => [s, Math.fround(rows[i]!.gradNorm)]));
    expect(read['train/tokens_per_sec']).toEqual(steps.map((s, i) => [s, Math.fround(rows[i]!.tokensPerSec)]));
  });

  it('after a resume, TensorBoard keeps the old events before the resume step and the new ones after', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tb-'));
    let t = 1_700_000_000_000;
    const first = new TensorBoardWriter(dir, { now: () => t });
    for (let s = 1; s <= 7; s++) first.scalars(s, { 'train/loss': s });
    first.close(); // crashed after step 7; the last checkpoint was step 5
    t += 60_000;
    const resumed = new TensorBoardWriter(dir, { resumeStep: 6, now: () => t });
    for (let s = 6; s <= 9; s++) resumed.scalars(s, { 'train/loss': 100 + s });
    resumed.close();
    expect(readdirSync(dir)).toHaveLength(2);
    expect(readWithTensorBoard(dir)['train/loss']).toEqual([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 106], [7, 107], [8, 108], [9, 109]]);
  });
});
