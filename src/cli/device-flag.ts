// The --device flag of train, eval and bench.
import { InvalidArgumentError, Option } from 'commander';
import { DEVICE_CHOICES_TEXT, isDeviceName } from '../native/device.js';

/** `defaultValue` shows in --help and is what commander passes when the flag is absent (none: undefined). */
export function deviceOption(defaultValue?: string): Option {
  const option = new Option('--device <d>', `where the model runs: ${DEVICE_CHOICES_TEXT} (auto: the first CUDA device when there is one, else the CPU)`).argParser(
    (value: string) => {
      if (!isDeviceName(value)) throw new InvalidArgumentError(`expected ${DEVICE_CHOICES_TEXT}.`);
      return value;
    },
  );
  return defaultValue === undefined ? option : option.default(defaultValue);
}
