// The TypeScript examples of README.md compile against the package's own types (strict, as the package
// itself): an example that names an export that is gone, or passes an option of the wrong shape, fails here.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

describe('README examples', () => {
  it('every ```ts block typechecks against src/index.ts', () => {
    const blocks = [...readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(0);
    // Inside the repository, so the project's tsconfig and node_modules apply; removed afterwards.
    const dir = mkdtempSync(path.join(root, 'test', '.readme-check-'));
    try {
      const files = blocks.map((code, i) => {
        const file = `snippet-${i}.ts`;
        // Each block is a module of its own (top-level await).
        writeFileSync(path.join(dir, file), `export {};\n${code}`);
        return file;
      });
      const tsconfig = {
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, rootDir: '../..', paths: { 'peft-native': ['../../src/index.ts'] } },
        include: files,
      };
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
      const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8', timeout: 120_000 });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
