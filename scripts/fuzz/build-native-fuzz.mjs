// Builds the fuzz target of the native file readers (scripts/fuzz/fuzz_io.cc over native/io/*.cc; kept out of native/, whose every .cc goes into the addon) with
// AddressSanitizer + UndefinedBehaviorSanitizer, against the libtorch the addon builds with (libtorch-discover.mjs).
// g++ only: libFuzzer needs clang, so the driver is its own seeded mutation fuzzer (see fuzz_io.cc).
//
// Usage: node scripts/fuzz/build-native-fuzz.mjs [--out <folder>] [--force] [--quiet]
//   --out    where the objects and the binary go (default build/fuzz/; build/ is git-ignored)
//   --force  rebuild even when the binary is newer than every source and header it is built from
// Prints the binary's path as its last line. ccache is used as the addon build uses it: when installed and
// PEFT_NATIVE_CCACHE is not 0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findLibtorch, projectRoot } from '../native/libtorch-discover.mjs';
import { libtorchBuildFlags } from '../native/libtorch-flags.mjs';

export const fuzzSources = ['native/io/json.cc', 'native/io/safetensors.cc', 'scripts/fuzz/fuzz_io.cc'];
export const defaultFuzzOut = path.join(projectRoot, 'build', 'fuzz');
export const fuzzBinaryName = 'pn_fuzz_io';

// -O1 keeps the sanitizers' reports readable and the build short; UB aborts instead of printing and going on.
const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer'];

/** Node's own headers (node_api.h, which napi.h includes): npm's nodedir, Node's prefix, or node-gyp's download. */
function nodeIncludeDir() {
  const candidates = [
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'),
    path.join(process.env.npm_config_devdir || path.join(os.homedir(), '.cache', 'node-gyp'), process.versions.node, 'include', 'node'),
  ].filter(Boolean);
  const found = candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
  if (!found) throw new Error(`Node's headers (node_api.h) are in none of: ${candidates.join(', ')}; build the addon once (npm run setup) so node-gyp fetches them`);
  return found;
}

function ccache() {
  if (process.env.PEFT_NATIVE_CCACHE === '0') return null;
  return spawnSync('ccache', ['--version'], { stdio: 'ignore' }).status === 0 ? 'ccache' : null;
}

function newestInput() {
  const headers = ['native/io', 'native/common'].flatMap((dir) =>
    readdirSync(path.join(projectRoot, dir)).filter((f) => f.endsWith('.h')).map((f) => path.join(dir, f)),
  );
  return Math.max(...[...fuzzSources, ...headers, 'scripts/fuzz/build-native-fuzz.mjs'].map((f) => statSync(path.join(projectRoot, f)).mtimeMs));
}

function run(command, args, quiet) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: projectRoot, stdio: ['ignore', quiet ? 'pipe' : 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!quiet) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.slice(-3).join(' ')} failed (exit ${code})${quiet ? `:\n${stderr.slice(-4000)}` : ''}`))));
  });
}

/**
 * Builds the fuzz binary (when missing or out of date, or with force) and returns its path.
 * @param {{ out?: string, force?: boolean, quiet?: boolean }} options
 */
export async function buildNativeFuzz(options = {}) {
  const out = path.resolve(options.out ?? defaultFuzzOut);
  const binary = path.join(out, fuzzBinaryName);
  if (!options.force && existsSync(binary) && statSync(binary).mtimeMs > newestInput()) return binary;

  const torch = findLibtorch();
  if (!torch) throw new Error('no libtorch found: run `npm run setup` (installs one into .deps/), or set LIBTORCH to a libtorch folder');
  const flags = libtorchBuildFlags(torch);
  const compileFlags = [
    `-std=${flags.cxxStandard}`, '-O1', '-g', ...SANITIZE, '-fexceptions', '-frtti', '-Wall', '-Wextra', '-Wno-unused-parameter',
    // errors.h includes napi.h (for the JS side of pn::UserError); nothing of it is linked.
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    ...flags.defines.map((d) => `-D${d}`),
    `-I${path.join(projectRoot, 'native')}`,
    // include_dir is relative to this process's working folder (binding.gyp runs in the project root).
    `-I${path.resolve(createRequire(import.meta.url)('node-addon-api').include_dir.replace(/^"|"$/g, ''))}`,
    '-isystem', nodeIncludeDir(),
    ...flags.includeDirs.flatMap((dir) => ['-isystem', dir]),
  ];
  mkdirSync(out, { recursive: true });
  const launcher = ccache();
  const compiler = process.env.CXX || 'g++';
  const objects = fuzzSources.map((src) => path.join(out, path.basename(src).replace(/\.cc$/, '.o')));
  // One compile per core: on a 2-core CI machine safetensors.cc (torch headers) dominates.
  const jobs = fuzzSources.map((src, i) => () => {
    const args = [...compileFlags, '-c', path.join(projectRoot, src), '-o', objects[i]];
    return launcher ? run(launcher, [compiler, ...args], options.quiet) : run(compiler, args, options.quiet);
  });
  const width = Math.max(1, Math.min(jobs.length, os.availableParallelism?.() ?? os.cpus().length));
  const queue = [...jobs];
  await Promise.all(Array.from({ length: width }, async () => {
    while (queue.length > 0) await queue.shift()();
  }));
  // napi.h's inline classes (Napi::Error's vtable, ...) reference Node-API functions that only node provides.
  // The fuzz target never calls them: each gets a stub that aborts loudly, found with nm rather than listed.
  const undefinedSymbols = spawnSync('nm', ['-u', ...objects], { encoding: 'utf8' });
  if (undefinedSymbols.status !== 0) throw new Error(`nm -u failed: ${undefinedSymbols.stderr}`);
  const napi = [...new Set(undefinedSymbols.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()).filter((s) => /^(napi|node_api)_\w+$/.test(s ?? '')))].sort();
  const stubs = path.join(out, 'napi_stubs.c');
  writeFileSync(stubs, [
    '// Generated by scripts/fuzz/build-native-fuzz.mjs: Node-API is not available in the fuzz target.',
    '#include <stdio.h>',
    '#include <stdlib.h>',
    'static void pn_napi_stub(const char* name) { fprintf(stderr, "pn_fuzz_io: %s called outside node\\n", name); abort(); }',
    ...napi.map((name) => `void ${name}(void) { pn_napi_stub("${name}"); }`),
    '',
  ].join('\n'));
  const stubObject = path.join(out, 'napi_stubs.o');
  await run(process.env.CC || 'gcc', ['-c', stubs, '-o', stubObject], options.quiet);
  const gnu = process.platform !== 'darwin';
  const tmpBinary = `${binary}.tmp-${process.pid}`;
  await run(compiler, [
    ...SANITIZE, '-g', ...objects, stubObject, '-o', tmpBinary,
    `-L${flags.libDir}`, ...(gnu ? ['-Wl,--no-as-needed'] : []), ...flags.libraries.map((l) => `-l${l}`), ...(gnu ? ['-Wl,--as-needed'] : []),
    ...flags.rpath.map((dir) => `-Wl,-rpath,${dir}`),
  ], options.quiet);
  // Renamed into place last, so an interrupted build never leaves a binary that looks up to date.
  renameSync(tmpBinary, binary);
  return binary;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' } } });
  const started = Date.now();
  buildNativeFuzz({ out: values.out, force: values.force, quiet: values.quiet }).then(
    (binary) => {
      if (!values.quiet) console.error(`peft-native: fuzz target ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(binary);
    },
    (err) => {
      console.error(`peft-native (fuzz build): ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
