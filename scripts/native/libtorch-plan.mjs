// Which libtorch to install for the machine it will run on. Pure functions (no I/O) so the decision is
// unit-tested; libtorch-install.mjs carries the plan out with pip.
//
// The facts behind the rules:
// - pip's `torch` wheels are complete libtorch installs (headers, CMake files, shared libraries).
// - On Linux x86_64 the default wheel of the public index is a CUDA build whose CUDA runtime comes in separate
//   `nvidia-*` wheels (its Requires-Dist); without them libtorch_cuda.so does not load, GPU or not.
// - PyTorch's CPU wheels carry the local version label `+cpu` (`torch==2.13.0+cpu`); they exist where pip's
//   configuration names an index serving them. `torch==2.13.0` matches them too.
// - A CUDA build needs a driver that supports its CUDA version (nvidia-smi prints the newest one it supports).

/** The newest CUDA version the driver supports, from `nvidia-smi` output ("CUDA Version: 12.4"), or null. */
export function parseNvidiaSmiCudaVersion(text) {
  const m = /CUDA Version:\s*(\d+)\.(\d+)/.exec(text ?? '');
  return m ? `${Number(m[1])}.${Number(m[2])}` : null;
}

/** -1, 0 or 1 as dotted version a is older than, equal to or newer than b ('12.4' vs '13.0'). */
export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * The install plan for a machine.
 * @param {{ platform: string, arch: string, driver: { present: boolean, cudaVersion: string | null },
 *           version: string, env?: Record<string, string | undefined> }} machine
 * @returns {{ requirements: string[], wantCuda: boolean, reason: string }} requirements are tried in order
 *   (`pip install --no-deps`), the first that installs is kept.
 */
export function planLibtorchInstall({ platform, arch, driver, version, env = {} }) {
  if (platform === 'win32') {
    throw new Error('peft-native builds on Linux and macOS; on Windows use WSL2 (Linux), where an NVIDIA GPU is available too.');
  }
  const spec = env.PEFT_NATIVE_TORCH_SPEC;
  const variant = env.PEFT_NATIVE_TORCH_VARIANT;
  if (variant !== undefined && variant !== '' && variant !== 'cpu' && variant !== 'cuda') {
    throw new Error(`PEFT_NATIVE_TORCH_VARIANT=${variant}: expected cpu or cuda`);
  }
  if (spec) {
    return { requirements: [spec], wantCuda: variant === 'cuda', reason: `PEFT_NATIVE_TORCH_SPEC=${spec}` };
  }
  if (platform === 'darwin') {
    if (variant === 'cuda') throw new Error('PEFT_NATIVE_TORCH_VARIANT=cuda: there is no CUDA libtorch for macOS');
    return { requirements: [`torch==${version}`], wantCuda: false, reason: 'macOS: the CPU (and MPS) wheel' };
  }
  const cudaPlatform = platform === 'linux' && (arch === 'x64' || arch === 'arm64');
  const wantCuda = variant === 'cuda' || (variant !== 'cpu' && cudaPlatform && driver.present);
  if (wantCuda) {
    if (!cudaPlatform) throw new Error(`PEFT_NATIVE_TORCH_VARIANT=cuda: no CUDA libtorch wheels for ${platform}-${arch}`);
    const why = variant === 'cuda' ? 'PEFT_NATIVE_TORCH_VARIANT=cuda' : `an NVIDIA driver is present${driver.cudaVersion ? ` (CUDA <= ${driver.cudaVersion})` : ''}`;
    return { requirements: [`torch==${version}`], wantCuda: true, reason: `${why}: a CUDA build with its nvidia-* runtime wheels` };
  }
  const why = variant === 'cpu' ? 'PEFT_NATIVE_TORCH_VARIANT=cpu' : 'no NVIDIA driver found';
  return { requirements: [`torch==${version}+cpu`, `torch==${version}`], wantCuda: false, reason: `${why}: a CPU build` };
}

/**
 * What to do after a requirement installed: which build came, and whether it can be used as it is.
 * @param {{ wantCuda: boolean }} plan
 * @param {{ cudaVersion: string | null }} installed the CUDA version of the installed wheel (null: CPU build)
 * @param {{ cudaVersion: string | null }} driver
 * @returns {{ installRuntime: boolean, error?: string, note?: string }}
 */
export function checkInstalledBuild(plan, installed, driver) {
  if (installed.cudaVersion === null) {
    if (plan.wantCuda) {
      return {
        installRuntime: false,
        note: 'pip installed a CPU build although a CUDA one was wanted (the configured package index serves CPU wheels); ' +
          'training will run on the CPU. For CUDA, point PIP_INDEX_URL at an index with CUDA torch wheels, or set LIBTORCH to a CUDA libtorch, and run `npm run setup` again.',
      };
    }
    return { installRuntime: false };
  }
  if (plan.wantCuda && driver.cudaVersion && compareVersions(installed.cudaVersion, driver.cudaVersion) > 0) {
    return {
      installRuntime: false,
      error: `the torch wheel pip chose is built for CUDA ${installed.cudaVersion}, but the NVIDIA driver supports CUDA <= ${driver.cudaVersion}. ` +
        'Update the driver, or install a torch built for an older CUDA (PEFT_NATIVE_TORCH_SPEC=torch==<version>+cu<NNN> with an index serving it in PIP_EXTRA_INDEX_URL), or set LIBTORCH to a matching libtorch.',
    };
  }
  if (!plan.wantCuda) {
    return {
      installRuntime: true,
      note: `the configured package index has no CPU build of torch, so the CUDA ${installed.cudaVersion} build is installed with its CUDA runtime wheels ` +
        '(several GB) so that it loads; it runs on the CPU here. A PyTorch CPU index in PIP_EXTRA_INDEX_URL gives the much smaller CPU build.',
    };
  }
  return { installRuntime: true };
}

/**
 * The CUDA runtime requirements of a torch wheel's METADATA, with environment markers evaluated for the
 * machine: the `nvidia-*` wheels and, from torch 2.14, the `cuda-toolkit[cublas,cudart,...]` meta-package, e.g.
 * `Requires-Dist: nvidia-cudnn-cu13==9.24.0.43; platform_system == "Linux"`. Python-only packages (triton,
 * cuda-bindings, sympy, ...) are not needed by libtorch and are left out.
 * @param {string} metadata the METADATA file's text
 * @param {{ platform: string, arch: string }} machine
 */
export function cudaRuntimeRequirements(metadata, { platform, arch }) {
  const env = {
    platform_system: { linux: 'Linux', darwin: 'Darwin', win32: 'Windows' }[platform] ?? platform,
    sys_platform: platform,
    platform_machine: { x64: 'x86_64', arm64: 'aarch64' }[arch] ?? arch,
  };
  const out = [];
  for (const line of metadata.split(/\r?\n/)) {
    const m = /^Requires-Dist:\s*([^;]+?)\s*(?:;\s*(.*))?$/.exec(line);
    if (!m) continue;
    const requirement = m[1].replace(/\s+/g, '');
    if (!/^(nvidia-|cuda-toolkit\b)/i.test(requirement)) continue;
    if (m[2] && !markerHolds(m[2], env)) continue;
    out.push(requirement);
  }
  return out;
}

/**
 * Evaluates the markers torch uses: `name == "v"` / `name != "v"` clauses joined by `and` / `or`, with
 * `extra == ...` clauses (optional features) false. Anything else is an error rather than a guess.
 */
export function markerHolds(marker, env) {
  return marker.split(/\s+or\s+/).some((conjunction) =>
    conjunction.split(/\s+and\s+/).every((clause) => {
      const m = /^\(?\s*(\w+)\s*(==|!=)\s*["']([^"']*)["']\s*\)?$/.exec(clause.trim());
      if (!m) throw new Error(`unsupported environment marker in torch's METADATA: ${marker}`);
      const [, name, op, value] = m;
      if (name === 'extra') return false;
      if (!(name in env)) throw new Error(`unsupported environment marker variable ${name} in torch's METADATA: ${marker}`);
      return op === '==' ? env[name] === value : env[name] !== value;
    }),
  );
}
