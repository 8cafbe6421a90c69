// Finds the libtorch the addon builds against, in the order the design names:
//   1. LIBTORCH (a libtorch folder, or a `torch` Python package folder)
//   2. the `torch` package of the active Python (found without importing it)
//   3. a project-local install under .deps/ (made by installLibtorch)
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const defaultTorchVersion = process.env.PEFT_NATIVE_TORCH_VERSION || '2.13.0';
const localDepsDir = path.join(projectRoot, '.deps');

/** The CMake config folder of a libtorch root, or null when it has none. */
function torchCmakeDir(root) {
  const dir = path.join(root, 'share', 'cmake', 'Torch');
  return existsSync(path.join(dir, 'TorchConfig.cmake')) ? dir : null;
}

/** Version string of a libtorch root: torch/version.py (pip) or build-version (libtorch zip). */
export function torchVersionOf(root) {
  const versionPy = path.join(root, 'version.py');
  if (existsSync(versionPy)) {
    const m = /__version__\s*=\s*'([^']+)'/.exec(readFileSync(versionPy, 'utf8'));
    if (m) return m[1];
  }
  const buildVersion = path.join(root, 'build-version');
  if (existsSync(buildVersion)) return readFileSync(buildVersion, 'utf8').trim();
  return 'unknown';
}

function pythonExecutable() {
  return process.env.PYTHON || 'python3';
}

function activePythonTorchRoot() {
  const code = "import importlib.util,os;s=importlib.util.find_spec('torch');print(os.path.dirname(s.origin) if s else '')";
  try {
    const out = execFileSync(pythonExecutable(), ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out || null;
  } catch {
    return null;
  }
}

export function localInstallRoot(version = defaultTorchVersion) {
  return path.join(localDepsDir, `libtorch-${version}`, 'torch');
}

/** Returns { root, cmakeDir, version, source } or null when no libtorch is found. */
export function findLibtorch() {
  if (process.env.LIBTORCH) {
    // An explicit choice is used or refused, never silently replaced by another libtorch.
    const root = path.resolve(process.env.LIBTORCH);
    // LIBTORCH may also name a site-packages folder holding torch/.
    for (const r of [root, path.join(root, 'torch')]) {
      const cmakeDir = torchCmakeDir(r);
      if (cmakeDir) return { root: r, source: 'LIBTORCH', cmakeDir, version: torchVersionOf(r) };
    }
    throw new Error(`LIBTORCH=${process.env.LIBTORCH} has no share/cmake/Torch/TorchConfig.cmake: point it at a libtorch folder (the one holding include/, lib/ and share/).`);
  }
  const candidates = [];
  const pyRoot = activePythonTorchRoot();
  if (pyRoot) candidates.push({ root: pyRoot, source: `the active Python (${pythonExecutable()})` });
  candidates.push({ root: localInstallRoot(), source: 'project-local install (.deps/)' });

  for (const c of candidates) {
    const cmakeDir = torchCmakeDir(c.root);
    if (cmakeDir) return { ...c, cmakeDir, version: torchVersionOf(c.root) };
  }
  return null;
}

/** Installs a CPU libtorch project-locally with pip (`--no-deps --target`), as the design says. */
export function installLibtorch(version = defaultTorchVersion) {
  const target = path.join(localDepsDir, `libtorch-${version}`);
  const args = ['-m', 'pip', 'install', '--no-deps', '--disable-pip-version-check', '--target', target, `torch==${version}`];
  if (process.env.PIP_INDEX_URL === undefined && existsSync('/opt/pypi/simple')) {
    // This workplace's local package index; elsewhere pip uses its own configuration.
    args.push('--index-url', 'file:///opt/pypi/simple');
  }
  console.log(`peft-native: installing libtorch ${version} into ${target} (pip ${args.slice(3).join(' ')})`);
  try {
    execFileSync(pythonExecutable(), args, { stdio: 'inherit' });
  } catch (err) {
    throw new Error(
      `Could not install libtorch with pip (${pythonExecutable()} -m pip install torch==${version}).\n` +
        'Install one of: a libtorch folder (set LIBTORCH=<folder>), the `torch` Python package in the active Python, ' +
        'or Python 3 with pip so that `npm run setup` can install torch project-locally. ' +
        'Set PEFT_NATIVE_TORCH_VERSION to pick another version.',
    );
  }
  const found = torchCmakeDir(path.join(target, 'torch'));
  if (!found) throw new Error(`pip installed torch into ${target} but it has no share/cmake/Torch: is this a libtorch-less build?`);
}
