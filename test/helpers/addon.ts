// Whether the native addon is built, for test files that need it. Without it such a file is skipped with
// the reason printed, except under CI (CI=true), where a missing addon is a failure: the CI script builds it,
// so its absence means the build broke and nothing may pass silently.
import path from 'node:path';
import { addonFile } from '../../src/native/addon-file.js';

export function addonBuilt(testFile: string): boolean {
  if (addonFile()) return true;
  const reason = `${path.basename(testFile)}: the native addon is not built (npm run build:native)`;
  if (process.env.CI) throw new Error(`${reason}; under CI this is a failure, not a skip`);
  console.warn(`${reason}: skipped`);
  return false;
}
