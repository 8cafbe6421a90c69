// What the addon is built from: the C++ sources both builds compile, whether there are CUDA kernels (which
// only the CMake build compiles), and a hash of every input (a build is up to date only for the same one).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './libtorch-discover.mjs';

const nativeDir = path.join(projectRoot, 'native');

/** Every file under native/, relative to the project root with forward slashes, sorted. */
function nativeFiles() {
  return readdirSync(nativeDir, { recursive: true })
    .map((f) => path.join('native', String(f)))
    .filter((rel) => statSync(path.join(projectRoot, rel)).isFile())
    .map((rel) => rel.split(path.sep).join('/'))
    .sort();
}

/** The addon's C++ sources (native/**\/*.cc), relative to the project root, sorted. */
export function nativeSources() {
  return nativeFiles().filter((f) => f.endsWith('.cc'));
}

/** Whether native/ holds CUDA kernels (*.cu). */
export function hasCudaKernels() {
  return nativeFiles().some((f) => f.endsWith('.cu'));
}

/** sha256 over native/ and both build files. */
export function sourcesHash() {
  const hash = createHash('sha256');
  for (const rel of [...nativeFiles(), 'binding.gyp', 'CMakeLists.txt']) {
    const full = path.join(projectRoot, rel);
    if (!existsSync(full)) continue;
    hash.update(`${rel}\0`).update(readFileSync(full)).update('\0');
  }
  return hash.digest('hex');
}
