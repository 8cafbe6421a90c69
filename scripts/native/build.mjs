// Builds the addon against the libtorch that libtorch-discover.mjs finds (installing one into .deps/ if none).
//
// Usage: node scripts/native/build.mjs [--builder node-gyp|cmake-js] [--out <folder>] [--debug] [--if-missing] [--optional]
//   --builder     node-gyp (binding.gyp; the default) or cmake-js (CMakeLists.txt; required for .cu kernels
//                 against a CUDA libtorch, and chosen by itself then). PEFT_NATIVE_BUILDER sets the default.
//   --out         cmake-js only: the build folder (default build/). node-gyp always builds into build/.
//   --if-missing  keep an addon that loads and was built from the same sources against the same libtorch
//   --optional    when no libtorch can be found or installed, say what to do and exit 0 (install time: the
//                 package installs, and every command that needs the addon repeats the instruction)
// The addon lands in <out>/Release/peft_native.node with <out>/Release/peft_native.json beside it: which
// builder, which libtorch. Before building, a prebuilt addon for this platform and libtorch is taken from
// prebuilds/ when one is there and loads (prebuilds.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findLibtorch, localInstallRoot, projectRoot } from './libtorch-discover.mjs';
import { LibtorchUnavailableError, installLibtorch } from './libtorch-install.mjs';
import { hasCudaKernels, sourcesHash } from './native-sources.mjs';
import { prebuildFor } from './prebuilds.mjs';
import { compilePrecompiledHeader, precompiledHeaderWanted, removePrecompiledHeader, writePrecompiledHeaderWrapper } from './precompiled-header.mjs';

const NOT_FOUND_HELP =
  'peft-native needs libtorch to build its native addon. Install one of: the `torch` Python package in the active ' +
  'Python (pip install torch), a libtorch folder (then set LIBTORCH=<folder>), or Python 3 with pip (so that the ' +
  'build installs torch into the package), then run `npm run setup` in the peft-native folder ' +
  '(installed: `npm rebuild peft-native`).';

/** Whether `file` loads in a fresh Node process (a broken or foreign addon must not take this one down). */
export function addonLoads(file) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).info()`], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

function readProvenance(releaseDir) {
  try {
    return JSON.parse(readFileSync(path.join(releaseDir, 'peft_native.json'), 'utf8'));
  } catch {
    return null;
  }
}

function writeProvenance(releaseDir, record) {
  const file = path.join(releaseDir, 'peft_native.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

/** node-gyp: the one npm runs scripts with, else npm's bundled copy, else one on PATH. */
function nodeGypCommand() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter((p) => p && existsSync(p));
  return candidates.length > 0 ? [process.execPath, candidates[0]] : ['node-gyp'];
}

/** Node's headers: node-gyp downloads them unless told where the installed ones are (offline machines). */
function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.dirname(path.dirname(process.execPath));
  return existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];
}

/** ccache, when installed and not turned off (PEFT_NATIVE_CCACHE=0): rebuilds of unchanged files are instant. */
function ccache() {
  if (process.env.PEFT_NATIVE_CCACHE === '0') return null;
  return spawnSync('ccache', ['--version'], { stdio: 'ignore' }).status === 0 ? 'ccache' : null;
}

function jobs() {
  return process.env.PEFT_NATIVE_PARALLEL || String(os.availableParallelism?.() ?? os.cpus().length);
}

function buildWithNodeGyp(torch, debug) {
  const [cmd, ...pre] = nodeGypCommand();
  const env = { ...process.env, LIBTORCH: torch.root };
  const launcher = ccache();
  if (launcher && !process.env.CXX) Object.assign(env, { CC: `${launcher} ${process.env.CC || 'cc'}`, CXX: `${launcher} c++` });
  const buildDir = path.join(projectRoot, 'build');
  const pch = precompiledHeaderWanted(launcher) ? path.join(buildDir, 'pch', 'torch_api.h') : null;
  // binding.gyp force-includes the wrapper when the gyp variable names it.
  if (pch) env.GYP_DEFINES = `${env.GYP_DEFINES ?? ''} peft_native_pch=${pch}`.trim();
  const run = (step, ...args) => {
    const all = [...pre, step, ...args];
    console.log(`peft-native: node-gyp ${all.slice(pre.length).join(' ')}${launcher ? ' (through ccache)' : ''}`);
    execFileSync(cmd, all, { cwd: projectRoot, stdio: 'inherit', env });
  };
  run('clean');
  run('configure', ...nodeDirArgs(), ...(debug ? ['--debug'] : []));
  if (pch) {
    writePrecompiledHeaderWrapper(buildDir);
    compilePrecompiledHeader(buildDir, pch, debug ? 'Debug' : 'Release');
  }
  try {
    run('build', `--jobs=${jobs()}`, ...(debug ? ['--debug'] : []));
  } finally {
    if (pch) removePrecompiledHeader(pch);
  }
}

function buildWithCmakeJs(torch, outDir, debug) {
  const require = createRequire(import.meta.url);
  const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  const args = [cmakeJs, 'compile', '--out', outDir, `--CDTorch_DIR=${torch.cmakeDir}`, '--parallel', jobs()];
  const launcher = ccache();
  if (launcher) args.push(`--CDCMAKE_CXX_COMPILER_LAUNCHER=${launcher}`);
  // CMakeLists.txt precompiles libtorch's headers unless told not to (ccache caches nothing with one by default).
  args.push(`--CDPEFT_NATIVE_PCH=${launcher || process.env.PEFT_NATIVE_PCH === '0' ? 'OFF' : 'ON'}`);
  if (debug) args.push('--debug');
  execFileSync(process.execPath, args, { cwd: projectRoot, stdio: 'inherit' });
}

function findOrInstallLibtorch(optional) {
  const found = findLibtorch();
  if (found) return found;
  try {
    installLibtorch();
  } catch (err) {
    if (!(err instanceof LibtorchUnavailableError)) throw err;
    if (optional) {
      console.warn(`peft-native: the native addon was not built: ${err.message}.\n${NOT_FOUND_HELP}`);
      return null;
    }
    throw new Error(`${err.message}.\n${NOT_FOUND_HELP}`);
  }
  const installed = findLibtorch();
  if (!installed) throw new Error(`libtorch is still not found after installing it into ${localInstallRoot()}`);
  return installed;
}

function main() {
  const { values: opts } = parseArgs({
    options: {
      builder: { type: 'string', default: process.env.PEFT_NATIVE_BUILDER || '' },
      out: { type: 'string', default: 'build' },
      debug: { type: 'boolean', default: false },
      'if-missing': { type: 'boolean', default: false },
      optional: { type: 'boolean', default: false },
    },
  });
  if (opts.builder && opts.builder !== 'node-gyp' && opts.builder !== 'cmake-js') {
    throw new Error(`--builder ${opts.builder}: expected node-gyp or cmake-js`);
  }
  const outDir = path.resolve(projectRoot, opts.out);
  const releaseDir = path.join(outDir, opts.debug ? 'Debug' : 'Release');
  const addon = path.join(releaseDir, 'peft_native.node');

  const torch = findOrInstallLibtorch(opts.optional);
  if (!torch) return;
  console.log(`peft-native: libtorch ${torch.version}${torch.cuda ? ' (CUDA)' : ''} from ${torch.root} (${torch.source})`);

  const sources = sourcesHash();
  const previous = readProvenance(releaseDir);
  if (opts['if-missing'] && existsSync(addon) && previous?.libtorch === torch.root && previous?.sources === sources && addonLoads(addon)) {
    console.log(`peft-native: ${path.relative(projectRoot, addon)} is built from these sources against this libtorch and loads; not rebuilding (npm run build:native rebuilds)`);
    return;
  }

  const prebuild = prebuildFor(torch, { platform: process.platform, arch: process.arch });
  if (prebuild && addonLoads(prebuild)) {
    mkdirSync(releaseDir, { recursive: true });
    copyFileSync(prebuild, addon);
    writeProvenance(releaseDir, { builder: 'prebuild', from: path.relative(projectRoot, prebuild), libtorch: torch.root, torchVersion: torch.version, cuda: torch.cuda, sources });
    console.log(`peft-native: using the prebuilt ${path.relative(projectRoot, prebuild)}`);
    return;
  }

  const builder = opts.builder || (torch.cuda && hasCudaKernels() ? 'cmake-js' : 'node-gyp');
  if (builder === 'node-gyp' && torch.cuda && hasCudaKernels()) {
    throw new Error('native/ has .cu kernels, which only the CMake build compiles: use --builder cmake-js with a CUDA libtorch');
  }
  if (builder === 'node-gyp' && path.relative(projectRoot, outDir) !== 'build') {
    throw new Error(`--out ${opts.out}: node-gyp always builds into build/; --out is for --builder cmake-js`);
  }
  const started = Date.now();
  if (builder === 'node-gyp') buildWithNodeGyp(torch, opts.debug);
  else buildWithCmakeJs(torch, outDir, opts.debug);
  if (!existsSync(addon)) throw new Error(`${builder} finished but ${addon} does not exist`);
  writeProvenance(releaseDir, { builder, libtorch: torch.root, torchVersion: torch.version, cuda: torch.cuda, sources });
  console.log(`peft-native: built ${path.relative(projectRoot, addon)} with ${builder} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    console.error(`peft-native build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
