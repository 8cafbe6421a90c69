// One-stop setup after `npm ci`: find or install libtorch, build the addon, compile the TypeScript.
import { execFileSync } from 'node:child_process';
import { projectRoot } from './libtorch.mjs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit', cwd: projectRoot });
try {
  run(process.execPath, ['scripts/build-native.mjs']);
  run('npx', ['tsc', '-p', 'tsconfig.json']);
  console.log('peft-native: setup done. Try `npx peft-native info` and `npx peft-native train`.');
} catch {
  console.error('peft-native setup failed: see the messages above.');
  process.exit(1);
}
