// Prebuilt addons, checked before building: prebuilds/<platform>-<arch>-torch-<torch version>/peft_native.node,
// e.g. prebuilds/linux-x64-torch-2.13.0+cpu/peft_native.node. An addon links libtorch through its RPATH, so a
// prebuild is matched only to the project-local libtorch (.deps/libtorch-<version>, installed by pip where the
// package lives) and must have been linked with the RPATH `$ORIGIN/../../.deps/libtorch-<version>/torch/lib`;
// the build copies it to build/Release/ (the same depth) after checking that it loads, and builds otherwise.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { localInstallRoot, projectRoot } from './libtorch-discover.mjs';

/** The prebuilds/ folder name for a libtorch on a platform. */
export function prebuildName(torch, { platform, arch }) {
  return `${platform}-${arch}-torch-${torch.version}`;
}

/** The prebuilt addon for this libtorch, or null (none there, or the libtorch is not the project-local one). */
export function prebuildFor(torch, machine, root = projectRoot) {
  if (path.resolve(torch.root) !== path.resolve(localInstallRoot(torch.version.replace(/\+.*$/, '')))) return null;
  const file = path.join(root, 'prebuilds', prebuildName(torch, machine), 'peft_native.node');
  return existsSync(file) ? file : null;
}
