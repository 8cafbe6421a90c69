// A precompiled libtorch header for the node-gyp build (CMakeLists.txt does the same with
// target_precompile_headers). Parsing libtorch's headers is most of each source's compile time (about 10 s of
// 16 s on a 2-core machine); GCC parses them once into build/pch/torch_api.h.gch and every source starts from it.
//
// gyp has no precompiled headers for make, so: binding.gyp force-includes the wrapper build/pch/torch_api.h
// (gyp variable peft_native_pch, set through GYP_DEFINES at configure time); after configure, the header is
// compiled with the exact command make would run for a source (read off `make -n`), so its flags match; GCC
// then takes the .gch for the wrapper. Where the .gch is missing or unusable, GCC includes the wrapper's text
// (it only includes native/common/torch_api.h), so the build is the same either way, only slower.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Whether to precompile: GCC only (clang reads .pch files by another flag), off with PEFT_NATIVE_PCH=0 or under ccache (which needs extra settings to cache with one). */
export function precompiledHeaderWanted(launcher) {
  if (process.env.PEFT_NATIVE_PCH === '0' || launcher) return false;
  const version = spawnSync(process.env.CXX || 'c++', ['--version'], { encoding: 'utf8' });
  return version.status === 0 && /Free Software Foundation|\bg\+\+|\bGCC\b/.test(version.stdout);
}

/** The wrapper header binding.gyp force-includes: one line, written into `buildDir`/pch. */
export function writePrecompiledHeaderWrapper(buildDir) {
  const dir = path.join(buildDir, 'pch');
  mkdirSync(dir, { recursive: true });
  const wrapper = path.join(dir, 'torch_api.h');
  writeFileSync(wrapper, '// Force-included into every source of the node-gyp build (scripts/native/precompiled-header.mjs).\n#include "common/torch_api.h"\n');
  return wrapper;
}

/**
 * Compiles `wrapper` into `wrapper`.gch with the command make would run for the first C++ source of the
 * configured build in `buildDir`. Returns false (and says why) when it cannot: the build then goes on
 * without it.
 */
export function compilePrecompiledHeader(buildDir, wrapper, buildType) {
  const dryRun = spawnSync('make', ['-C', buildDir, '-n', '-B', 'V=1', `BUILDTYPE=${buildType}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  // A compile line: `<compiler> -o <object> <source.cc> <flags> -c` (the echo lines start with printf).
  const line = (dryRun.stdout ?? '').split('\n').find((l) => !l.startsWith('printf') && / -o \S+\.o \S+\.(cc|cpp|cxx) /.test(l));
  if (dryRun.status !== 0 || line === undefined) {
    console.warn('peft-native: no compile command found in the configured build; building without a precompiled header');
    return false;
  }
  const m = / -o \S+\.o \S+\.(?:cc|cpp|cxx) /.exec(line);
  const compiler = line.slice(0, m.index);
  const flags = line
    .slice(m.index + m[0].length)
    .replace(/ -MMD -MF \S+/, '')
    .replace(new RegExp(` -include '?${wrapper.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'?`), '')
    .replace(' -Winvalid-pch', '');
  const command = `${compiler} -o '${wrapper}.gch' -x c++-header '${wrapper}' ${flags}`;
  const started = Date.now();
  try {
    execFileSync('sh', ['-c', command], { cwd: buildDir, stdio: 'inherit' });
  } catch {
    rmSync(`${wrapper}.gch`, { force: true });
    console.warn('peft-native: the precompiled header did not compile; building without it');
    return false;
  }
  console.log(`peft-native: precompiled ${path.relative(process.cwd(), wrapper)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return true;
}

/** Removes the .gch (about 0.5 GB) once the build no longer needs it; the wrapper stays. */
export function removePrecompiledHeader(wrapper) {
  rmSync(`${wrapper}.gch`, { force: true });
}
