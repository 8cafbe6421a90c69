// Which device a run uses. "auto" picks the first CUDA device when the addon's libtorch has CUDA and a GPU
// is there, the CPU otherwise; a named device is checked by the addon, whose error says why it cannot be used.
import { native } from './binding.js';
import { UsageError } from '../util/usage-error.js';

/** A device that cannot be used here (a usage error: exit code 2). */
export class DeviceError extends UsageError {}

export const DEVICE_CHOICES_TEXT = 'auto, cpu, cuda or cuda:N';
const DEVICE_NAME = /^(auto|cpu|cuda(:\d+)?)$/;

export function isDeviceName(value: string): boolean {
  return DEVICE_NAME.test(value);
}

/** The canonical device ("cpu" or "cuda:N") for a requested one; a DeviceError says why one cannot be used. */
export function resolveDevice(requested: string): string {
  if (!isDeviceName(requested)) throw new DeviceError(`unknown device "${requested}" (expected ${DEVICE_CHOICES_TEXT})`);
  const addon = native();
  if (requested === 'auto') return addon.info().cudaAvailable ? 'cuda:0' : 'cpu';
  try {
    return addon.checkDevice(requested);
  } catch (err) {
    throw new DeviceError(err instanceof Error ? err.message : String(err));
  }
}
