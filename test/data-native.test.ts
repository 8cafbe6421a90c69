// The data pipeline against the native addon: batch buffers (from Arrow-cached examples) reach libtorch
// without a copy, and a packed batch's loss equals the sum of its sequences' losses run separately
// (positions restart per sequence, no attention across sequences). Without a built addon: skipped with the reason (a failure under CI).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinTokenizer } from '../src/builtin/index.js';
import { prepareDataset } from '../src/data/dataset.js';
import { BatchSource } from '../src/data/batch-source.js';
import { collatePacked } from '../src/data/packing.js';
import { collate } from '../src/data/batching.js';
import { toNativeBatch } from '../src/train/updates.js';
import { builtinModelConfig } from '../src/models/builtin.js';
import { realFixturesDir } from './helpers/real-data.js';
import { addonBuilt } from './helpers/addon.js';

const built = addonBuilt(import.meta.filename);

async function cachedBuiltinData() {
  const tok = await builtinTokenizer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'data-native-'));
  await prepareDataset('builtin', tok, { instancesPerTask: 6 }, { dir });
  const data = await prepareDataset('builtin', tok, { instancesPerTask: 6 }, { dir }); // from the Arrow file
  expect(data.cache!.hit).toBe(true);
  return { tok, data };
}

describe.skipIf(!built)('data pipeline -> native addon', () => {
  it('hands batch buffers and Arrow-backed example views to libtorch without a copy', async () => {
    const { native } = await import('../src/native/binding.js');
    const { tok, data } = await cachedBuiltinData();
    // An example straight from the Arrow file's buffer: a view at a byte offset into it.
    const view = data.examples[3]!.inputIds;
    expect(view.buffer).toBe(data.columns.inputIds.buffer);
    const addr = native().bridge.viewAddresses(view);
    expect(addr.tensorAddress).toBe(addr.arrayAddress);
    for (const packing of [null, { maxTokens: 256 }]) {
      const batch = new BatchSource(data.examples, { batchSize: 4, padId: tok.padId, seed: 1, packing }).batches(0).next().value!;
      const nb = toNativeBatch(batch);
      for (const key of ['inputIds', 'labels', 'attentionMask', 'positionIds', 'sequenceIds'] as const) {
        expect(nb[key]).toBe(batch[key]); // the same object, not a copy
        if (!nb[key]) continue;
        const a = native().bridge.viewAddresses(nb[key]!);
        expect(a.tensorAddress).toBe(a.arrayAddress);
      }
    }
  });

  it('a packed batch has the loss of its sequences run one by one', async () => {
    const { native } = await import('../src/native/binding.js');
    const { tok, data } = await cachedBuiltinData();
    const model = native().Model.create(builtinModelConfig('tiny', tok.vocabSize), { seed: 3 });
    const rows = [data.examples.slice(0, 3), data.examples.slice(3, 5), data.examples.slice(5, 6)];
    const packed = collatePacked(rows, tok.padId);
    const together = await model.forward(toNativeBatch(packed));
    let lossSum = 0;
    let targetTokens = 0;
    for (const ex of rows.flat()) {
      const alone = await model.forward(toNativeBatch(collate([ex], tok.padId)));
      lossSum += alone.lossSum;
      targetTokens += alone.targetTokens;
    }
    expect(together.targetTokens).toBe(targetTokens);
    expect(together.targetTokens).toBe(packed.targetTokens);
    expect(Math.abs(together.lossSum - lossSum) / lossSum).toBeLessThan(1e-5);
    // The same rows without position/sequence ids (one long sequence per row) give another loss: the test
    // can tell packing apart from plain concatenation.
    const concatenated = await model.forward({ ...toNativeBatch(packed), positionIds: undefined, sequenceIds: undefined } as never);
    expect(Math.abs(concatenated.lossSum - lossSum) / lossSum).toBeGreaterThan(1e-3);
  });

  it('train() takes TÜLU data grouped by length from the cache, and records selection and cache in run_config.json', async () => {
    const { train } = await import('../src/train/loop.js');
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'data-native-cache-'));
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'data-native-run-')), 'run');
    const sink = { write: () => true, isTTY: false };
    const tulu = path.join(realFixturesDir, 'data/tulu/tulu_human_eval_messages.jsonl');
    const options = { data: `tulu:${tulu}`, steps: 3, batchSize: 4, maxLength: 128, groupByLength: true, threads: 2, cacheDir, stdout: sink } as const;
    const first = await train({ ...options, out });
    expect(first.steps).toBe(3);
    const config = JSON.parse(readFileSync(path.join(out, 'run_config.json'), 'utf8'));
    expect(config.data.cache.hit).toBe(false);
    expect(config.data.selection.tasks.train).toEqual(['tulu_human_eval']);
    expect(config.options.groupByLength).toBe(true);
    const second = await train({ ...options, out: `${out}-2` });
    expect(JSON.parse(readFileSync(path.join(`${out}-2`, 'run_config.json'), 'utf8')).data.cache).toEqual({ file: config.data.cache.file, hit: true });
    expect(second.losses).toEqual(first.losses); // same seed, same data, same order
  });

  it('train() with --packing feeds packed rows: fewer batches per epoch, the loss falls', async () => {
    const { train } = await import('../src/train/loop.js');
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'data-native-cache-'));
    const base = path.join(mkdtempSync(path.join(os.tmpdir(), 'data-native-run-')), 'run');
    const sink = { write: () => true, isTTY: false };
    const common = { steps: 12, batchSize: 2, threads: 2, cacheDir, stdout: sink, instancesPerTask: 20 } as const;
    const packed = await train({ ...common, packing: true, packLength: 192, out: `${base}-packed` });
    await train({ ...common, steps: 1, out: `${base}-padded` });
    const schedule = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'run_config.json'), 'utf8')).schedule;
    expect(schedule(`${base}-packed`).batchesPerEpoch).toBeLessThan(schedule(`${base}-padded`).batchesPerEpoch);
    expect(packed.losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(packed.losses.slice(-3))).toBeLessThan(mean(packed.losses.slice(0, 3)));
  });
});
