// Where the native addon is, and what to do when it is not there. The one place that knows the build layout:
// scripts/native/build.mjs writes build/Release/peft_native.node (node-gyp, cmake-js or a prebuild copied from
// prebuilds/) with build/Release/peft_native.json beside it (which builder, which libtorch).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../util/usage-error.js';

/** The package root: a clone, or node_modules/peft-native when installed. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The addon is not built (or does not load): a setup problem the user fixes, so a usage error (exit 2). */
export class AddonUnavailableError extends UsageError {}

/** The files tried, in order: PEFT_NATIVE_ADDON alone when set (an explicit choice is never replaced), else the Release build, then the Debug build. */
export function addonCandidates(): string[] {
  const explicit = process.env.PEFT_NATIVE_ADDON;
  if (explicit) return [path.resolve(explicit)];
  return [path.join(packageRoot, 'build/Release/peft_native.node'), path.join(packageRoot, 'build/Debug/peft_native.node')];
}

/** The addon file that native() loads, or null when none is built. */
export function addonFile(): string | null {
  return addonCandidates().find((p) => existsSync(p)) ?? null;
}

/** How the addon was made (scripts/native/build.mjs): builder, libtorch folder and version. */
export interface AddonProvenance {
  builder?: string;
  libtorch?: string;
  torchVersion?: string;
  cuda?: boolean;
  from?: string;
}

export function addonProvenance(addon: string): AddonProvenance {
  try {
    return JSON.parse(readFileSync(path.join(path.dirname(addon), 'peft_native.json'), 'utf8')) as AddonProvenance;
  } catch {
    return {};
  }
}

/** The command that finishes the build where this package is: a clone (with src/) or an installed package. */
function buildCommand(): string {
  const isClone = existsSync(path.join(packageRoot, 'src')) && existsSync(path.join(packageRoot, 'tsconfig.json'));
  return isClone ? '`npm run setup` in the peft-native folder' : '`npm rebuild peft-native` in the project that installed it (`npm rebuild -g peft-native` for a global install)';
}

/** What to install and which command builds the addon. */
export function addonBuildAdvice(): string {
  return `Install the \`torch\` Python package (\`pip install torch\`) or set LIBTORCH to a libtorch folder, then run ${buildCommand()}.`;
}

/** One line: what is missing, what to install, which command finishes the build. */
export function addonMissingMessage(): string {
  const explicit = process.env.PEFT_NATIVE_ADDON;
  if (explicit) return `PEFT_NATIVE_ADDON=${explicit}: no such file (unset it to use the addon built in ${path.join(packageRoot, 'build')}).`;
  return `the native addon is not built (usually: no libtorch was found when the package was installed). ${addonBuildAdvice()}`;
}

/** One line for an addon file that exists but does not load (a broken build, or its libtorch is gone). */
export function addonLoadFailedMessage(file: string, reason: string): string {
  return `could not load the native addon ${file} (${reason.split('\n')[0]}); rebuild it against an installed libtorch. ${addonBuildAdvice()}`;
}
