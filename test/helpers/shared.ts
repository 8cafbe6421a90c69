// The project's read-only shared material (data, fixtures): `../shared` next to the repository (the main
// checkout's layout), or PEFT_NATIVE_SHARED when the checkout lives elsewhere (a git worktree).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = process.env.PEFT_NATIVE_SHARED ?? path.resolve(repoRoot, '../shared');
