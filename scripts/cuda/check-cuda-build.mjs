// Compiles and links the CUDA variant of the addon into build-cuda/ (build/, the CPU addon the tests load,
// is left alone) and checks that it really links libtorch's CUDA libraries. Nothing here runs it: a machine
// without a GPU cannot; the point is that a CUDA-incompatible change fails CI.
//   1. scripts/cuda/setup-cuda-build.sh: CUDA torch, its NCCL wheel, CMake 3.31 in .deps/cuda-build/ (once)
//   2. scripts/native/build.mjs --builder cmake-js --out build-cuda with LIBTORCH=.deps/cuda-build/torch and that
//      CMake first on PATH
//   3. nm -D: the addon calls c10d::ProcessGroupNCCL (the NCCL path of the process group compiled in)
//   4. readelf -d: the addon must list libtorch_cuda.so as NEEDED (TorchConfig links it with --no-as-needed:
//      loading it registers torch's CUDA kernels); once native/**/*.cu kernels exist, also libc10_cuda.so
//      (they launch on torch's current stream) and libcudart. Without kernels nothing in the addon calls
//      those two, and a linker using --as-needed (this machine's GCC passes it by default) leaves them out.
// Needs the CUDA toolkit (CUDA_HOME, else /usr/local/cuda). Usage: npm run build:native:cuda-check
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../native/libtorch-discover.mjs';
import { hasCudaKernels } from '../native/native-sources.mjs';

const outDir = path.join(projectRoot, 'build-cuda');
const torchRoot = path.join(projectRoot, '.deps', 'cuda-build', 'torch');

function main() {
  const hasKernels = hasCudaKernels();
  // [name shown, pattern] of each library the addon must list as NEEDED.
  const requiredNeeded = [['libtorch_cuda.so', /^libtorch_cuda\.so$/]];
  if (hasKernels) requiredNeeded.push(['libc10_cuda.so', /^libc10_cuda\.so$/], ['libcudart.so.*', /^libcudart\.so(\.\d+)*$/]);

  const setupOut = execFileSync('bash', [path.join(projectRoot, 'scripts', 'cuda', 'setup-cuda-build.sh')], {
    cwd: projectRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const cmakeBin = setupOut.trim().split('\n').pop();
  if (!cmakeBin || !existsSync(path.join(cmakeBin, 'cmake'))) {
    throw new Error(`setup-cuda-build.sh did not name a folder holding cmake (it printed: ${JSON.stringify(setupOut)})`);
  }

  const env = { ...process.env, LIBTORCH: torchRoot, PATH: `${cmakeBin}${path.delimiter}${process.env.PATH ?? ''}` };
  const started = Date.now();
  execFileSync(process.execPath, [path.join(projectRoot, 'scripts', 'native', 'build.mjs'), '--builder', 'cmake-js', '--out', outDir], {
    cwd: projectRoot,
    env,
    stdio: 'inherit',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);

  // cmake-js took the first cmake on PATH; make sure that was the one installed above, not an older one.
  const cache = readFileSync(path.join(outDir, 'CMakeCache.txt'), 'utf8');
  const cmakeCommand = /^CMAKE_COMMAND:INTERNAL=(.*)$/m.exec(cache)?.[1];
  if (!cmakeCommand || !existsSync(cmakeCommand) || realpathSync(cmakeCommand) !== realpathSync(path.join(cmakeBin, 'cmake'))) {
    throw new Error(`build-cuda/ was configured by ${cmakeCommand}, not by ${path.join(cmakeBin, 'cmake')}; delete build-cuda/ and rerun.`);
  }

  const addon = path.join(outDir, 'Release', 'peft_native.node');
  if (!existsSync(addon)) throw new Error(`the build finished but ${addon} does not exist.`);
  const dynamic = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const missing = requiredNeeded.filter(([, re]) => !needed.some((lib) => re.test(lib))).map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(
      `${path.relative(projectRoot, addon)} does not link ${missing.join(', ')} ` +
        `(its NEEDED libraries: ${needed.join(', ')}). The CUDA libtorch was not linked as a CUDA build, ` +
        (hasKernels ? 'or the .cu kernels were not compiled; ' : '') +
        'see the CMake output above.',
    );
  }
  // The NCCL path of the process group compiled in: the addon calls into ProcessGroupNCCL (in libtorch_cuda).
  const undefinedSymbols = execFileSync('nm', ['-D', '--undefined-only', '-C', addon], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!/c10d::ProcessGroupNCCL::ProcessGroupNCCL\(/.test(undefinedSymbols)) {
    throw new Error(`${path.relative(projectRoot, addon)} does not call c10d::ProcessGroupNCCL: the NCCL path of native/distributed/process_group.cc was not compiled (nccl.h not found? see the CMake output above)`);
  }
  const cudaNeeded = needed.filter((lib) => lib.includes('cuda'));
  const runpath = /\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[([^\]]*)\]/.exec(dynamic)?.[1] ?? '(none)';
  console.log(
    `peft-native: CUDA variant OK (${hasKernels ? 'with' : 'no'} .cu kernels, NCCL collectives), built in ${seconds} s: ` +
      `${path.relative(projectRoot, addon)} links ${cudaNeeded.join(', ')}; RUNPATH ${runpath}`,
  );
}

try {
  main();
} catch (err) {
  console.error(`peft-native CUDA build check FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
