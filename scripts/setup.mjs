// One-stop setup of a clone after `npm ci`: the native addon (kept when `npm ci`'s install step already built
// it against the libtorch found now; otherwise libtorch is found or installed and the addon built) and the
// TypeScript in dist/.
import { execFileSync } from 'node:child_process';
import { projectRoot } from './native/libtorch-discover.mjs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit', cwd: projectRoot });
try {
  run(process.execPath, ['scripts/native/build.mjs', '--if-missing']);
  run('npx', ['tsc', '-p', 'tsconfig.json']);
  console.log('peft-native: setup done. Try `npx peft-native info` and `npx peft-native train`.');
} catch {
  console.error('peft-native setup failed: see the messages above.');
  process.exit(1);
}
