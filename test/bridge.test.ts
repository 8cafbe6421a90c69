// Token batches reach libtorch without a copy: the tensor's data pointer is the array's memory.
import { describe, expect, it } from 'vitest';
import { native } from '../src/native/binding.js';

describe('tensor bridge', () => {
  it('a tensor made from an Int32Array points at the same memory', () => {
    const ids = new Int32Array([5, 6, 7, 8]);
    const { tensorAddress, arrayAddress } = native().bridge.viewAddresses(ids);
    expect(tensorAddress).toBe(arrayAddress);
  });

  it('works for a view into a larger buffer (byte offset honoured)', () => {
    const buffer = new ArrayBuffer(64);
    const view = new Int32Array(buffer, 16, 4);
    const whole = new Int32Array(buffer);
    const a = native().bridge.viewAddresses(view);
    const b = native().bridge.viewAddresses(whole);
    expect(BigInt(a.tensorAddress) - BigInt(b.tensorAddress)).toBe(16n);
  });

  it('an in-place change made by libtorch on a worker thread is visible to JS', async () => {
    const ids = new Int32Array([1, 2, 3, 4, 5]);
    await native().bridge.addInPlace(ids, 10);
    expect(Array.from(ids)).toEqual([11, 12, 13, 14, 15]);
  });

  it('rejects arrays of the wrong type', () => {
    expect(() => native().bridge.viewAddresses(new Float32Array(3) as unknown as Int32Array)).toThrow(/Int32Array/);
  });
});
