// Builds the addon with cmake-js against the libtorch that libtorch.mjs finds (installing one if none).
// Usage: node scripts/build-native.mjs [--debug] [--out <folder>]
//   --out: the cmake-js build folder, relative to the project root; default build/ (the addon the package
//          loads: build/Release/peft_native.node)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findLibtorch, installLibtorch, projectRoot } from './libtorch.mjs';

function main() {
  const { values: opts } = parseArgs({
    options: { debug: { type: 'boolean', default: false }, out: { type: 'string', default: 'build' } },
  });
  let torch = findLibtorch();
  if (!torch) {
    installLibtorch();
    torch = findLibtorch();
  }
  if (!torch) throw new Error('libtorch is still not found after installing it; see the messages above.');
  console.log(`peft-native: building against libtorch ${torch.version} from ${torch.root} (${torch.source})`);

  const require = createRequire(import.meta.url);
  const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  const args = [cmakeJs, 'compile', '--out', path.resolve(projectRoot, opts.out), `--CDTorch_DIR=${torch.cmakeDir}`];
  if (opts.debug) args.push('--debug');
  if (process.env.PEFT_NATIVE_PARALLEL) args.push('--parallel', process.env.PEFT_NATIVE_PARALLEL);
  execFileSync(process.execPath, args, { stdio: 'inherit', cwd: projectRoot });
}

try {
  main();
} catch (err) {
  console.error(`peft-native build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
