// The compiler and linker flags of a libtorch, for builds that do not read TorchConfig.cmake (node-gyp's
// binding.gyp). They come from the libtorch itself: its include layout, the compile definitions its CMake
// targets export (Caffe2Targets.cmake), its libraries and its CUDA runtime folders.
//
// As a command, for binding.gyp's `<!@(...)`: node scripts/native/libtorch-flags.mjs <what>
//   defines | libraries | cflags_cc | sources
// It finds libtorch like every build (LIBTORCH, the active Python's torch, .deps/); the build scripts set
// LIBTORCH to their choice. gyp splits the output at whitespace, so paths with spaces are refused.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareVersions } from './libtorch-plan.mjs';
import { findLibtorch } from './libtorch-discover.mjs';
import { nativeSources } from './native-sources.mjs';

/** INTERFACE_COMPILE_DEFINITIONS of one imported target in Caffe2Targets.cmake ("A;B" -> [A, B]). */
export function exportedDefinitions(targetsCmake, target) {
  const block = new RegExp(`set_target_properties\\(${target} PROPERTIES([\\s\\S]*?)\\n\\)`).exec(targetsCmake);
  const defs = block && /INTERFACE_COMPILE_DEFINITIONS "([^"]*)"/.exec(block[1]);
  return defs ? defs[1].split(';').filter((d) => d && !d.startsWith('$<')) : [];
}

/** The CUDA runtime folders of a pip CUDA torch: site-packages/nvidia/<x>/{include,lib}. */
function nvidiaFolders(root, sub) {
  const nvidia = path.join(root, '..', 'nvidia');
  if (!existsSync(nvidia)) return [];
  return readdirSync(nvidia)
    .sort()
    .map((name) => path.resolve(nvidia, name, sub))
    .filter((dir) => existsSync(dir));
}

/**
 * @param {{ root: string, version: string, cuda: boolean }} torch from findLibtorch()
 * @returns {{ includeDirs: string[], defines: string[], libDir: string, libraries: string[], rpath: string[], cxxStandard: string }}
 */
export function libtorchBuildFlags(torch) {
  const targetsFile = path.join(torch.root, 'share', 'cmake', 'Caffe2', 'Caffe2Targets.cmake');
  const targets = existsSync(targetsFile) ? readFileSync(targetsFile, 'utf8') : '';
  const defines = [...new Set(['torch_cpu', ...(torch.cuda ? ['torch_cuda'] : [])].flatMap((t) => exportedDefinitions(targets, t)))];
  const libDir = path.join(torch.root, 'lib');
  const includeDirs = [path.join(torch.root, 'include'), path.join(torch.root, 'include', 'torch', 'csrc', 'api', 'include'), ...(torch.cuda ? nvidiaFolders(torch.root, 'include') : [])];
  // A CUDA libtorch built with NCCL exports USE_C10D_NCCL; its ProcessGroupNCCL.hpp needs nccl.h (the
  // nvidia-nccl wheel's, beside torch). Without it the addon reduces CUDA tensors through Gloo.
  if (defines.includes('USE_C10D_NCCL') && !includeDirs.some((dir) => existsSync(path.join(dir, 'nccl.h')))) defines.push('PEFT_NATIVE_WITHOUT_NCCL');
  return {
    includeDirs,
    defines,
    libDir,
    // Linked even where no symbol is referenced directly: libtorch_cpu/libtorch_cuda register their kernels
    // when loaded (TorchConfig links them with --no-as-needed for the same reason).
    libraries: torch.cuda ? ['torch', 'torch_cpu', 'torch_cuda', 'c10_cuda', 'c10'] : ['torch', 'torch_cpu', 'c10'],
    rpath: [libDir, ...(torch.cuda ? nvidiaFolders(torch.root, 'lib') : [])],
    // torch >= 2.14 headers need C++20.
    cxxStandard: compareVersions(torch.version.replace(/[^0-9.].*$/, ''), '2.14') >= 0 ? 'c++20' : 'c++17',
  };
}

function gypWords(what) {
  if (what === 'sources') return nativeSources();
  const torch = findLibtorch();
  if (!torch) {
    throw new Error('no libtorch found: run `npm run setup` (installs one into .deps/), or set LIBTORCH to a libtorch folder, or install torch in the active Python');
  }
  const flags = libtorchBuildFlags(torch);
  switch (what) {
    case 'defines':
      return flags.defines;
    case 'cflags_cc':
      // libtorch's headers as system headers: their warnings are not ours (CMake does the same).
      return [`-std=${flags.cxxStandard}`, ...flags.includeDirs.flatMap((dir) => ['-isystem', dir])];
    case 'libraries': {
      // GNU ld drops unreferenced libraries unless told not to; macOS's linker keeps them and has no such flag.
      const gnu = process.platform !== 'darwin';
      return [
        `-L${flags.libDir}`,
        ...(gnu ? ['-Wl,--no-as-needed'] : []),
        ...flags.libraries.map((l) => `-l${l}`),
        ...(gnu ? ['-Wl,--as-needed'] : []),
        ...flags.rpath.map((dir) => `-Wl,-rpath,${dir}`),
      ];
    }
    default:
      throw new Error(`unknown flag set '${what}' (defines, libraries, cflags_cc, sources)`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const words = gypWords(process.argv[2] ?? '');
    const spaced = words.find((w) => /\s/.test(w));
    if (spaced) throw new Error(`'${spaced}' contains whitespace, which binding.gyp cannot pass through; build with cmake-js (npm run build:native -- --builder cmake-js)`);
    process.stdout.write(words.join(' ') + '\n');
  } catch (err) {
    process.stderr.write(`peft-native (binding.gyp): ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
