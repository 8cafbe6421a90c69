// Whether the native addon is built, for test files that need it. Without it such a file is skipped with
// the reason printed, except under CI (CI=true), where a missing addon is a failure: the CI script builds it,
// so its absence means the build broke and nothing may pass silently.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function addonBuilt(testFile: string): boolean {
  const built =
    ['build/Release/peft_native.node', 'build/Debug/peft_native.node'].some((p) => existsSync(path.join(repoRoot, p))) ||
    Boolean(process.env.PEFT_NATIVE_ADDON);
  if (built) return true;
  const reason = `${path.basename(testFile)}: the native addon is not built (npm run build:native)`;
  if (process.env.CI) throw new Error(`${reason}; under CI this is a failure, not a skip`);
  console.warn(`${reason}: skipped`);
  return false;
}
