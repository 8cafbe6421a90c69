// The package as a user gets it: `npm pack`, then `npm install <tarball>` in an empty project, then
// `npx peft-native`. Two installs:
//   - with no libtorch and no Python for pip: the install succeeds, and `peft-native info` says in one line
//     what to install and which command finishes the build (exit 2);
//   - as on a fresh machine: the install step finds no libtorch, installs a CPU one with pip into the package,
//     builds the addon with node-gyp, and `npx peft-native train --steps 3` runs the embedded default.
// The second builds the addon from source (minutes on 2 cores), so the file runs under CI (CI=true) or with
// PEFT_NATIVE_TEST_PACKAGE=1, and is skipped with that reason otherwise.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const enabled = Boolean(process.env.CI) || process.env.PEFT_NATIVE_TEST_PACKAGE === '1';
if (!enabled) console.warn('package-install.test.ts: skipped (builds the addon from an npm tarball, minutes; set PEFT_NATIVE_TEST_PACKAGE=1, or CI=true)');

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Environment of a user's shell: no addon override, no test or CI variables of ours, a quiet npm. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false', ...extra };
  for (const key of ['PEFT_NATIVE_ADDON', 'LIBTORCH', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_OPTIONS']) delete env[key];
  for (const key of Object.keys(env)) if (key.startsWith('npm_lifecycle') || key.startsWith('npm_package')) delete env[key];
  return env;
}

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the test worker's event loop (installs take minutes; vitest's RPC must go on). */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function emptyProject(parent: string, name: string): string {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }, null, 2));
  return dir;
}

describe.runIf(enabled)('npm pack -> npm install -> npx peft-native', () => {
  let work: string;
  let tarball: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'peft-native-pack-'));
    const pack = await run(npm, ['pack', '--json', '--pack-destination', work], repoRoot, userEnv(), 600_000);
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr.slice(-2000)}`);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, path.basename(info!.filename));
    const files = info!.files.map((f) => f.path);
    writeFileSync(path.join(work, 'files.json'), JSON.stringify(files));
  }, 600_000);

  it('the tarball holds the compiled CLI, the native sources, both build files and the license, and nothing of the repository', () => {
    const files = JSON.parse(readFileSync(path.join(work, 'files.json'), 'utf8')) as string[];
    for (const f of ['dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'binding.gyp', 'CMakeLists.txt', 'LICENSE', 'README.md', 'native/addon.cc', 'scripts/native/build.mjs', 'scripts/native/libtorch-flags.mjs']) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith('assets/'))).toBe(true);
    for (const prefix of ['test/', 'src/', 'build/', '.deps/', 'node_modules/', 'scripts/bench/', 'scripts/fixtures/']) {
      expect(files.filter((f) => f.startsWith(prefix)), prefix).toEqual([]);
    }
  });

  it('without libtorch and without Python the install succeeds, and the CLI says in one line what to install and run (exit 2)', async () => {
    const project = emptyProject(work, 'no-torch');
    const env = userEnv({ PYTHON: path.join(work, 'no-python-here') });
    const install = await run(npm, ['install', '--foreground-scripts', tarball], project, env, 600_000);
    expect(install.status, install.stdout + install.stderr).toBe(0);
    expect(install.stdout + install.stderr).toMatch(/native addon was not built/);

    const version = await run('npx', ['peft-native', '--version'], project, env, 60_000);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);

    const info = await run('npx', ['peft-native', 'info'], project, env, 60_000);
    expect(info.status).toBe(2);
    const lines = info.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/native addon is not built/);
    expect(lines[0]).toMatch(/pip install torch/);
    expect(lines[0]).toMatch(/npm rebuild peft-native/);
  }, 900_000);

  it('on a machine with pip: the install puts libtorch in the package, builds the addon, and `train --steps 3` runs the embedded default', async () => {
    const project = emptyProject(work, 'fresh');
    const env = userEnv();
    const install = await run(npm, ['install', '--foreground-scripts', tarball], project, env, 3_000_000);
    expect(install.status, (install.stdout + install.stderr).slice(-4000)).toBe(0);
    const pkg = path.join(project, 'node_modules', 'peft-native');
    expect(existsSync(path.join(pkg, 'build', 'Release', 'peft_native.node'))).toBe(true);
    const provenance = JSON.parse(readFileSync(path.join(pkg, 'build', 'Release', 'peft_native.json'), 'utf8')) as { builder: string; libtorch: string };
    expect(provenance.builder).toBe('node-gyp');

    const info = await run('npx', ['peft-native', 'info'], project, env, 120_000);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/libtorch: \d+\.\d+/);
    expect(info.stdout).toMatch(/built with node-gyp/);

    const train = await run('npx', ['peft-native', 'train', '--steps', '3', '--out', 'run'], project, env, 900_000);
    expect(train.status, (train.stdout + train.stderr).slice(-4000)).toBe(0);
    const runDir = path.join(project, 'run');
    expect(readdirSync(runDir)).toEqual(expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors', 'summary.json', 'metrics.jsonl']));
    const steps = readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step?: number; loss?: number });
    const trainSteps = steps.filter((s) => typeof s.loss === 'number');
    expect(trainSteps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(trainSteps.every((s) => Number.isFinite(s.loss))).toBe(true);
  }, 3_600_000);
});
