// Installs a libtorch project-locally (.deps/libtorch-<version>/torch) with pip, for the machine it runs on
// (libtorch-plan.mjs decides which build). pip's own configuration (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, pip.conf)
// says where packages come from. The install is made in a staging folder and renamed into place, so an
// interrupted install never looks complete.
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { defaultTorchVersion, localInstallTarget, pythonExecutable, torchCmakeDir, torchCudaVersionOf } from './libtorch-discover.mjs';
import { checkInstalledBuild, cudaRuntimeRequirements, parseNvidiaSmiCudaVersion, planLibtorchInstall } from './libtorch-plan.mjs';

export class LibtorchUnavailableError extends Error {}

/** Whether this machine has an NVIDIA driver, and the newest CUDA version it supports. */
export function detectNvidiaDriver() {
  const present = existsSync('/proc/driver/nvidia/version');
  let cudaVersion = null;
  try {
    cudaVersion = parseNvidiaSmiCudaVersion(execFileSync('nvidia-smi', [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 }));
  } catch {
    // no nvidia-smi: the driver (if any) is judged by /proc alone
  }
  return { present: present || cudaVersion !== null, cudaVersion };
}

function pip(args, what) {
  const python = pythonExecutable();
  try {
    execFileSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', ...args], { stdio: 'inherit' });
    return true;
  } catch (err) {
    if (err && err.code === 'ENOENT') {
      throw new LibtorchUnavailableError(`no Python found to run pip (${python}) for ${what}`);
    }
    return false;
  }
}

function distInfoMetadata(target) {
  const distInfo = readdirSync(target).find((n) => /^torch-.*\.dist-info$/.test(n));
  return distInfo ? readFileSync(path.join(target, distInfo, 'METADATA'), 'utf8') : '';
}

/**
 * Installs libtorch `version` into .deps/ and returns its root. Throws LibtorchUnavailableError when pip or a
 * suitable wheel cannot be had (the caller says what to install instead).
 */
export function installLibtorch(version = defaultTorchVersion) {
  const machine = { platform: process.platform, arch: process.arch };
  const driver = machine.platform === 'linux' ? detectNvidiaDriver() : { present: false, cudaVersion: null };
  const plan = planLibtorchInstall({ ...machine, driver, version, env: process.env });
  const target = localInstallTarget(version);
  const staging = `${target}.partial`;
  console.log(`peft-native: installing libtorch ${version} into ${target}: ${plan.reason}`);

  rmSync(staging, { recursive: true, force: true });
  const requirement = plan.requirements.find((req) => {
    console.log(`peft-native: pip install --no-deps --target ${staging} ${req}`);
    return pip(['--no-deps', '--target', staging, req], req);
  });
  if (!requirement) {
    rmSync(staging, { recursive: true, force: true });
    throw new LibtorchUnavailableError(`pip could not install ${plan.requirements.join(' or ')} (${pythonExecutable()} -m pip; see pip's messages above)`);
  }
  const installedCuda = torchCudaVersionOf(path.join(staging, 'torch'));
  const check = checkInstalledBuild(plan, { cudaVersion: installedCuda }, driver);
  if (check.error) {
    rmSync(staging, { recursive: true, force: true });
    throw new LibtorchUnavailableError(check.error);
  }
  if (check.note) console.warn(`peft-native: note: ${check.note}`);
  if (check.installRuntime) {
    const runtime = cudaRuntimeRequirements(distInfoMetadata(staging), machine);
    if (runtime.length === 0) throw new LibtorchUnavailableError(`${requirement} is a CUDA build but its METADATA names no CUDA runtime wheels`);
    console.log(`peft-native: installing the CUDA runtime of ${requirement}: ${runtime.join(' ')}`);
    if (!pip(['--target', staging, ...runtime], 'the CUDA runtime wheels')) {
      rmSync(staging, { recursive: true, force: true });
      throw new LibtorchUnavailableError(`pip could not install the CUDA runtime wheels of ${requirement} (${runtime.join(' ')})`);
    }
  }
  if (!torchCmakeDir(path.join(staging, 'torch'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new LibtorchUnavailableError(`pip installed ${requirement} but it has no share/cmake/Torch: not a complete libtorch`);
  }
  writeFileSync(path.join(staging, 'peft-native-libtorch.json'), JSON.stringify({ requirement, cuda: installedCuda, reason: plan.reason }, null, 2) + '\n');
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return path.join(target, 'torch');
}
