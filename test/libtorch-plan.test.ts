// Which libtorch setup installs for a machine (scripts/native/libtorch-plan.mjs), what it does with the build pip
// gave, and the flags binding.gyp takes from a libtorch (scripts/native/libtorch-flags.mjs).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM build scripts without type declarations
import * as plan from '../scripts/native/libtorch-plan.mjs';
// @ts-expect-error: plain ESM build scripts without type declarations
import * as flags from '../scripts/native/libtorch-flags.mjs';
// @ts-expect-error: plain ESM build scripts without type declarations
import * as prebuilds from '../scripts/native/prebuilds.mjs';
// @ts-expect-error: plain ESM build scripts without type declarations
import { nativeSources } from '../scripts/native/native-sources.mjs';

const noDriver = { present: false, cudaVersion: null };
const driver = (cudaVersion: string | null) => ({ present: true, cudaVersion });
const linux = { platform: 'linux', arch: 'x64', version: '2.13.0' };

// Trimmed from `nvidia-smi` on a Linux machine with an H100.
const NVIDIA_SMI = `+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 570.133.20             Driver Version: 570.133.20     CUDA Version: 12.8     |
|-----------------------------------------+------------------------+----------------------+`;

// The Requires-Dist lines of the torch 2.14.1 (CUDA 13.0) and a cu12 torch Linux x86_64 wheel's METADATA.
const METADATA_CU13 = `Metadata-Version: 2.4
Name: torch
Version: 2.14.1
Requires-Dist: filelock
Requires-Dist: typing-extensions>=4.10.0
Requires-Dist: sympy>=1.13.3
Requires-Dist: cuda-toolkit[cublas,cudart,cufft,cufile,cupti,curand,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.0.3; platform_system == "Linux"
Requires-Dist: cuda-bindings<14,>=13.0.3; platform_system == "Linux" and python_version < "3.15"
Requires-Dist: nvidia-cudnn-cu13==9.24.0.43; platform_system == "Linux"
Requires-Dist: nvidia-nccl-cu13==2.30.7; platform_system == "Linux"
Requires-Dist: triton~=3.8.0; platform_system == "Linux" and python_version < "3.15"
Requires-Dist: optree>=0.13.0; extra == "optree"
`;
const METADATA_CU12 = `Requires-Dist: nvidia-cuda-runtime-cu12==12.6.77; platform_system == "Linux" and platform_machine == "x86_64"
Requires-Dist: nvidia-cublas-cu12==12.6.4.1; platform_system == "Linux" and platform_machine == "x86_64"
Requires-Dist: nvidia-nccl-cu12==2.26.2; platform_system == "Linux" and platform_machine == "x86_64"
Requires-Dist: sympy>=1.13.3
`;

describe('libtorch install plan', () => {
  it('reads the newest supported CUDA version off nvidia-smi', () => {
    expect(plan.parseNvidiaSmiCudaVersion(NVIDIA_SMI)).toBe('12.8');
    expect(plan.parseNvidiaSmiCudaVersion('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.')).toBeNull();
    expect(plan.parseNvidiaSmiCudaVersion(undefined)).toBeNull();
  });

  it('compares dotted versions numerically', () => {
    expect(plan.compareVersions('12.8', '13.0')).toBe(-1);
    expect(plan.compareVersions('13.0', '13')).toBe(0);
    expect(plan.compareVersions('12.10', '12.9')).toBe(1);
  });

  it('Linux without an NVIDIA driver: the CPU build first, the plain requirement as fallback', () => {
    const p = plan.planLibtorchInstall({ ...linux, driver: noDriver });
    expect(p.requirements).toEqual(['torch==2.13.0+cpu', 'torch==2.13.0']);
    expect(p.wantCuda).toBe(false);
    expect(p.reason).toMatch(/no NVIDIA driver/);
  });

  it('Linux with an NVIDIA driver: a CUDA build (with its runtime wheels)', () => {
    const p = plan.planLibtorchInstall({ ...linux, driver: driver('13.0') });
    expect(p.requirements).toEqual(['torch==2.13.0']);
    expect(p.wantCuda).toBe(true);
    expect(plan.planLibtorchInstall({ ...linux, arch: 'arm64', driver: driver(null) }).wantCuda).toBe(true);
  });

  it('macOS: the default wheel; Windows: refused with what to use instead', () => {
    expect(plan.planLibtorchInstall({ platform: 'darwin', arch: 'arm64', version: '2.13.0', driver: noDriver })).toMatchObject({ requirements: ['torch==2.13.0'], wantCuda: false });
    expect(() => plan.planLibtorchInstall({ platform: 'win32', arch: 'x64', version: '2.13.0', driver: noDriver })).toThrow(/WSL2/);
  });

  it('the environment overrides the machine: PEFT_NATIVE_TORCH_VARIANT and PEFT_NATIVE_TORCH_SPEC', () => {
    expect(plan.planLibtorchInstall({ ...linux, driver: driver('13.0'), env: { PEFT_NATIVE_TORCH_VARIANT: 'cpu' } })).toMatchObject({ wantCuda: false, requirements: ['torch==2.13.0+cpu', 'torch==2.13.0'] });
    expect(plan.planLibtorchInstall({ ...linux, driver: noDriver, env: { PEFT_NATIVE_TORCH_VARIANT: 'cuda' } }).wantCuda).toBe(true);
    expect(plan.planLibtorchInstall({ ...linux, driver: noDriver, env: { PEFT_NATIVE_TORCH_SPEC: 'torch==2.13.0+cu126' } }).requirements).toEqual(['torch==2.13.0+cu126']);
    expect(() => plan.planLibtorchInstall({ ...linux, driver: noDriver, env: { PEFT_NATIVE_TORCH_VARIANT: 'rocm' } })).toThrow(/expected cpu or cuda/);
    expect(() => plan.planLibtorchInstall({ platform: 'darwin', arch: 'arm64', version: '2.13.0', driver: noDriver, env: { PEFT_NATIVE_TORCH_VARIANT: 'cuda' } })).toThrow(/macOS/);
  });

  it('after pip: a CPU build is used as it is; a CUDA build gets its runtime wheels', () => {
    const cpuPlan = { wantCuda: false };
    const cudaPlan = { wantCuda: true };
    expect(plan.checkInstalledBuild(cpuPlan, { cudaVersion: null }, noDriver)).toEqual({ installRuntime: false });
    expect(plan.checkInstalledBuild(cudaPlan, { cudaVersion: '12.6' }, driver('12.8'))).toEqual({ installRuntime: true });
    expect(plan.checkInstalledBuild(cudaPlan, { cudaVersion: '13.0' }, driver(null))).toEqual({ installRuntime: true });
  });

  it('after pip: a CUDA build newer than the driver is an error naming both versions and the ways out', () => {
    const r = plan.checkInstalledBuild({ wantCuda: true }, { cudaVersion: '13.0' }, driver('12.8'));
    expect(r.error).toMatch(/CUDA 13\.0.*CUDA <= 12\.8/);
    expect(r.error).toMatch(/LIBTORCH/);
  });

  it('after pip: a CUDA build on a machine without a GPU still loads (runtime wheels), with a note; a CPU build where CUDA was wanted is a note', () => {
    const onCpu = plan.checkInstalledBuild({ wantCuda: false }, { cudaVersion: '13.0' }, noDriver);
    expect(onCpu.installRuntime).toBe(true);
    expect(onCpu.note).toMatch(/CPU index/);
    const cpuForGpu = plan.checkInstalledBuild({ wantCuda: true }, { cudaVersion: null }, driver('12.8'));
    expect(cpuForGpu.installRuntime).toBe(false);
    expect(cpuForGpu.note).toMatch(/CPU build/);
  });

  it("takes the CUDA runtime requirements from torch's METADATA, markers evaluated, Python-only packages left out", () => {
    expect(plan.cudaRuntimeRequirements(METADATA_CU13, { platform: 'linux', arch: 'x64' })).toEqual([
      'cuda-toolkit[cublas,cudart,cufft,cufile,cupti,curand,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.0.3',
      'nvidia-cudnn-cu13==9.24.0.43',
      'nvidia-nccl-cu13==2.30.7',
    ]);
    expect(plan.cudaRuntimeRequirements(METADATA_CU12, { platform: 'linux', arch: 'x64' })).toEqual([
      'nvidia-cuda-runtime-cu12==12.6.77',
      'nvidia-cublas-cu12==12.6.4.1',
      'nvidia-nccl-cu12==2.26.2',
    ]);
    // The cu12 wheel's markers restrict its runtime to x86_64.
    expect(plan.cudaRuntimeRequirements(METADATA_CU12, { platform: 'linux', arch: 'arm64' })).toEqual([]);
  });

  it('refuses environment markers it cannot evaluate rather than guessing', () => {
    expect(() => plan.markerHolds('python_full_version >= "3.9"', { platform_system: 'Linux' })).toThrow(/unsupported environment marker/);
    expect(plan.markerHolds('platform_system == "Linux" or platform_system == "Darwin"', { platform_system: 'Darwin' })).toBe(true);
    expect(plan.markerHolds('extra == "optree"', { platform_system: 'Linux' })).toBe(false);
  });
});

describe('libtorch build flags (binding.gyp)', () => {
  /** A fake libtorch root with the files the flags are read from. */
  function fakeLibtorch(opts: { cuda: boolean }): string {
    const site = mkdtempSync(path.join(os.tmpdir(), 'fake-site-'));
    const root = path.join(site, 'torch');
    mkdirSync(path.join(root, 'share/cmake/Caffe2'), { recursive: true });
    const cudaTarget = opts.cuda ? '\nset_target_properties(torch_cuda PROPERTIES\n  INTERFACE_COMPILE_DEFINITIONS "USE_C10D_NCCL;USE_DISTRIBUTED"\n  INTERFACE_INCLUDE_DIRECTORIES "${_IMPORT_PREFIX}/include"\n)\n' : '';
    writeFileSync(
      path.join(root, 'share/cmake/Caffe2/Caffe2Targets.cmake'),
      `set_target_properties(c10 PROPERTIES\n  INTERFACE_INCLUDE_DIRECTORIES "\${_IMPORT_PREFIX}/include"\n)\n` +
        `set_target_properties(torch_cpu PROPERTIES\n  INTERFACE_COMPILE_DEFINITIONS "USE_DISTRIBUTED;USE_C10D_GLOO;USE_RPC;USE_TENSORPIPE"\n)\n` +
        `set_target_properties(torch_cpu_library PROPERTIES\n  INTERFACE_COMPILE_DEFINITIONS "\\$<TARGET_PROPERTY:torch_cpu,INTERFACE_COMPILE_DEFINITIONS>"\n)\n` +
        cudaTarget,
    );
    if (opts.cuda) {
      mkdirSync(path.join(site, 'nvidia/cu13/include'), { recursive: true });
      mkdirSync(path.join(site, 'nvidia/cu13/lib'), { recursive: true });
    }
    return root;
  }

  it('a CPU libtorch: its include folders, exported definitions, libraries and an RPATH to them', () => {
    const root = fakeLibtorch({ cuda: false });
    const f = flags.libtorchBuildFlags({ root, version: '2.13.0+cpu', cuda: false });
    expect(f.includeDirs).toEqual([path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')]);
    expect(f.defines).toEqual(['USE_DISTRIBUTED', 'USE_C10D_GLOO', 'USE_RPC', 'USE_TENSORPIPE']);
    expect(f.libraries).toEqual(['torch', 'torch_cpu', 'c10']);
    expect(f.rpath).toEqual([path.join(root, 'lib')]);
    expect(f.cxxStandard).toBe('c++17');
  });

  it('a CUDA libtorch: also the CUDA libraries, definitions and the nvidia runtime folders; C++20 from torch 2.14', () => {
    const root = fakeLibtorch({ cuda: true });
    const f = flags.libtorchBuildFlags({ root, version: '2.14.1+cu130', cuda: true });
    expect(f.defines).toEqual(['USE_DISTRIBUTED', 'USE_C10D_GLOO', 'USE_RPC', 'USE_TENSORPIPE', 'USE_C10D_NCCL', 'PEFT_NATIVE_WITHOUT_NCCL']);
    expect(f.libraries).toEqual(['torch', 'torch_cpu', 'torch_cuda', 'c10_cuda', 'c10']);
    const nvidia = path.resolve(root, '../nvidia/cu13');
    expect(f.includeDirs).toContain(path.join(nvidia, 'include'));
    expect(f.rpath).toEqual([path.join(root, 'lib'), path.join(nvidia, 'lib')]);
    expect(f.cxxStandard).toBe('c++20');
  });

  it('a CUDA libtorch with NCCL but no nccl.h beside it: the addon is built without its NCCL path (Gloo reduces CUDA tensors)', () => {
    const root = fakeLibtorch({ cuda: true });
    const without = flags.libtorchBuildFlags({ root, version: '2.14.1+cu130', cuda: true });
    expect(without.defines).toContain('PEFT_NATIVE_WITHOUT_NCCL');
    // The nvidia-nccl wheel's header beside torch: the NCCL path compiles.
    mkdirSync(path.resolve(root, '../nvidia/nccl/include'), { recursive: true });
    writeFileSync(path.resolve(root, '../nvidia/nccl/include/nccl.h'), '');
    const withNccl = flags.libtorchBuildFlags({ root, version: '2.14.1+cu130', cuda: true });
    expect(withNccl.defines).not.toContain('PEFT_NATIVE_WITHOUT_NCCL');
    expect(withNccl.includeDirs).toContain(path.resolve(root, '../nvidia/nccl/include'));
  });

  it('lists every native/**/*.cc source, relative and sorted', () => {
    const sources: string[] = nativeSources();
    expect(sources).toContain('native/addon.cc');
    expect(sources).toContain('native/models/llama.cc');
    expect(sources.every((s) => s.startsWith('native/') && s.endsWith('.cc'))).toBe(true);
    expect([...sources].sort()).toEqual(sources);
  });
});

describe('prebuilt addons', () => {
  it('are looked up by platform, architecture and libtorch version, for the project-local libtorch only', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'prebuilds-'));
    const machine = { platform: 'linux', arch: 'x64' };
    const version = process.env.PEFT_NATIVE_TORCH_VERSION || '2.13.0';
    const local = { root: path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '.deps', `libtorch-${version}`, 'torch'), version: `${version}+cpu` };
    expect(prebuilds.prebuildName(local, machine)).toBe(`linux-x64-torch-${version}+cpu`);
    expect(prebuilds.prebuildFor(local, machine, root)).toBeNull();
    const dir = path.join(root, 'prebuilds', `linux-x64-torch-${version}+cpu`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'peft_native.node'), '');
    expect(prebuilds.prebuildFor(local, machine, root)).toBe(path.join(dir, 'peft_native.node'));
    // A libtorch elsewhere (the active Python's, LIBTORCH) is not the one a prebuild's RPATH names.
    expect(prebuilds.prebuildFor({ ...local, root: '/opt/elsewhere/torch' }, machine, root)).toBeNull();
  });
});
