// `peft-native info`: what the installed addon is: libtorch version, CUDA devices, threads, and where it was
// built from (the addon file, its builder and libtorch, as scripts/native/build.mjs recorded them).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { addonFile, addonProvenance, packageRoot } from '../native/addon-file.js';
import { native, type NativeInfo } from '../native/binding.js';

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function formatInfo(info: NativeInfo, addon: string | null): string[] {
  const lines = [`peft-native ${packageVersion()} (node ${process.version}, ${process.platform}-${process.arch})`];
  if (addon) {
    lines.push(`addon: ${addon}`);
    const b = addonProvenance(addon);
    if (b.libtorch) lines.push(`  built with ${b.builder ?? 'an unknown builder'} against libtorch ${b.torchVersion ?? ''} at ${b.libtorch}`);
  }
  lines.push(`libtorch: ${info.torchVersion}`);
  if (info.cudaAvailable) {
    lines.push(`CUDA: available, ${info.cudaDeviceCount} device(s)`);
    info.cudaDevices.forEach((d, i) => lines.push(`  cuda:${i} ${d}`));
  } else {
    lines.push('CUDA: not available (training runs on the CPU)');
  }
  lines.push(`threads: ${info.threads} (of ${os.availableParallelism?.() ?? os.cpus().length} CPU cores)`);
  lines.push(`data-parallel collectives: ${info.collectives}`);
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
        process.stdout.write(JSON.stringify({ version: packageVersion(), addon: file, build: file ? addonProvenance(file) : {}, ...info }, null, 2) + '\n');
        return;
      }
      for (const line of formatInfo(info, file)) process.stdout.write(line + '\n');
    });
}
