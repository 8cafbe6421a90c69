// The devices a numeric test runs on: always the CPU, and the first CUDA device. Without CUDA (CI, most
// machines here) the CUDA cases are reported as skipped, with the reason in their names, never dropped.
import { native } from '../../src/native/binding.js';

export const cudaAvailable = native().info().cudaAvailable;

export const TEST_DEVICES = ['cpu', 'cuda:0'] as const;
export type TestDevice = (typeof TEST_DEVICES)[number];

/** True when `device` cannot run here (the case is then skipped). */
export function unavailable(device: TestDevice): boolean {
  return device !== 'cpu' && !cudaAvailable;
}

/** A test-name suffix saying why a case is skipped, or nothing. */
export function skipNote(device: TestDevice): string {
  return unavailable(device) ? ' (skipped: no CUDA device in this build/machine)' : '';
}
