// `peft-native info`: what the installed addon is: libtorch version, CUDA devices, threads, and where it was
// built from (the addon file and the libtorch CMake folder recorded in the build's CMakeCache.txt).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { native, type NativeInfo } from '../native/binding.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The addon file native() loads (same search order as src/native/binding.ts), or null. */
export function addonFile(): string | null {
  const candidates = [
    process.env.PEFT_NATIVE_ADDON,
    path.join(packageRoot, 'build/Release/peft_native.node'),
    path.join(packageRoot, 'build/Debug/peft_native.node'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** Torch_DIR and build type from the CMake cache of the build folder holding the addon. */
export function buildInfo(addon: string): { torchDir?: string; buildType?: string; cacheFile?: string } {
  for (const dir of [path.dirname(addon), path.dirname(path.dirname(addon))]) {
    const cacheFile = path.join(dir, 'CMakeCache.txt');
    if (!existsSync(cacheFile)) continue;
    const text = readFileSync(cacheFile, 'utf8');
    const get = (key: string) => new RegExp(`^${key}:[A-Z]+=(.*)$`, 'm').exec(text)?.[1]?.trim();
    const torchDir = get('Torch_DIR');
    const buildType = get('CMAKE_BUILD_TYPE');
    return { cacheFile, ...(torchDir ? { torchDir } : {}), ...(buildType ? { buildType } : {}) };
  }
  return {};
}

export function formatInfo(info: NativeInfo, addon: string | null): string[] {
  const lines = [`peft-native ${packageVersion()} (node ${process.version}, ${process.platform}-${process.arch})`];
  if (addon) {
    lines.push(`addon: ${addon}`);
    const b = buildInfo(addon);
    if (b.torchDir) lines.push(`  built against libtorch at ${b.torchDir}${b.buildType ? ` (${b.buildType})` : ''}`);
  }
  lines.push(`libtorch: ${info.torchVersion}`);
  if (info.cudaAvailable) {
    lines.push(`CUDA: available, ${info.cudaDeviceCount} device(s)`);
    info.cudaDevices.forEach((d, i) => lines.push(`  cuda:${i} ${d}`));
  } else {
    lines.push('CUDA: not available (training runs on the CPU)');
  }
  lines.push(`threads: ${info.threads} (of ${os.availableParallelism?.() ?? os.cpus().length} CPU cores)`);
  return lines;
}

export function infoCommand(): Command {
  return new Command('info')
    .description('Show the native addon: libtorch version, CUDA availability and devices, threads, and where it was built from.')
    .option('--json', 'print the information as JSON')
    .action((flags: { json?: boolean }) => {
      const addon = native(); // throws a clear "not built, run npm run setup" error when missing
      const info = addon.info();
      const file = addonFile();
      if (flags.json) {
        process.stdout.write(JSON.stringify({ version: packageVersion(), addon: file, build: file ? buildInfo(file) : {}, ...info }, null, 2) + '\n');
        return;
      }
      for (const line of formatInfo(info, file)) process.stdout.write(line + '\n');
    });
}
