// Finds the libtorch the addon builds against, in this order:
//   1. LIBTORCH (a libtorch folder, or a folder holding a `torch` Python package)
//   2. the `torch` package of the active Python (found without importing it)
//   3. the project-local install under .deps/ (made by libtorch-install.mjs)
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: a clone, or node_modules/peft-native when installed. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const defaultTorchVersion = process.env.PEFT_NATIVE_TORCH_VERSION || '2.13.0';

/** The CMake config folder of a libtorch root, or null when it has none. */
export function torchCmakeDir(root) {
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

/** Whether a libtorch root is a CUDA build (it ships libtorch_cuda). */
export function isCudaLibtorch(root) {
  return existsSync(path.join(root, 'lib', 'libtorch_cuda.so'));
}

/** The CUDA version a pip torch was built for ('13.0'), or null for a CPU build or a libtorch zip. */
export function torchCudaVersionOf(root) {
  const versionPy = path.join(root, 'version.py');
  if (!existsSync(versionPy)) return null;
  const m = /^cuda\s*(?::[^=]*)?=\s*'([^']+)'/m.exec(readFileSync(versionPy, 'utf8'));
  return m ? m[1] : null;
}

export function pythonExecutable() {
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

/** The folder pip installs the project-local libtorch into (`--target`); the libtorch root is its torch/. */
export function localInstallTarget(version = defaultTorchVersion) {
  return path.join(projectRoot, '.deps', `libtorch-${version}`);
}

export function localInstallRoot(version = defaultTorchVersion) {
  return path.join(localInstallTarget(version), 'torch');
}

function describe(root, source) {
  const cmakeDir = torchCmakeDir(root);
  if (!cmakeDir) return null;
  return { root, source, cmakeDir, version: torchVersionOf(root), cuda: isCudaLibtorch(root) };
}

/** Returns { root, cmakeDir, version, cuda, source } or null when no libtorch is found. */
export function findLibtorch() {
  if (process.env.LIBTORCH) {
    // An explicit choice is used or refused, never silently replaced by another libtorch.
    const root = path.resolve(process.env.LIBTORCH);
    for (const r of [root, path.join(root, 'torch')]) {
      const found = describe(r, 'LIBTORCH');
      if (found) return found;
    }
    throw new Error(`LIBTORCH=${process.env.LIBTORCH} has no share/cmake/Torch/TorchConfig.cmake: point it at a libtorch folder (the one holding include/, lib/ and share/).`);
  }
  const pyRoot = activePythonTorchRoot();
  const candidates = [];
  if (pyRoot) candidates.push([pyRoot, `the active Python (${pythonExecutable()})`]);
  candidates.push([localInstallRoot(), 'project-local install (.deps/)']);
  for (const [root, source] of candidates) {
    const found = describe(root, source);
    if (found) return found;
  }
  return null;
}
