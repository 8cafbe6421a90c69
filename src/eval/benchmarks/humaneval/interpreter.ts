// Finding the Python that runs HumanEval programs, and how much isolation this machine gives them.
// - The interpreter: the `python` option, else "python3" on PATH. It is asked for sys.executable once (a pyenv or
//   conda shim needs the user's environment to start; the real binary then runs with a minimal one) and must be
//   Python >= 3.8 (audit hooks). A missing or broken interpreter is one UsageError that says what to do.
// - Network isolation: on Linux, `unshare --user --net` puts each program in an empty network namespace (only a
//   loopback interface, down), which needs unprivileged user namespaces; as root `unshare --net` also works. Where
//   neither works (macOS, containers or distributions that restrict user namespaces) programs run without it and
//   the caller is told so in a note, or, with networkIsolation 'require', refused.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../util/usage-error.js';

export type NetworkIsolation = 'auto' | 'require' | 'off';

export interface Interpreter {
  /** The real interpreter binary (sys.executable). */
  executable: string;
  /** "3.11". */
  version: string;
  /** What goes before the interpreter on each command line: [] or [unshare, --user, --net]. */
  prefix: string[];
  /** Whether programs run in their own network namespace. */
  networkIsolated: boolean;
  /** What the caller should know about the isolation (why there is none). */
  notes: string[];
}

/** An executable file named `name` in one of PATH's folders. */
export function findOnPath(name: string, pathVariable = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of pathVariable.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (error) => resolve({ code: null, stdout, stderr, error }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function firstLine(r: Run): string {
  if (r.error) return r.error.message;
  const line = r.stderr.trim().split('\n').pop() ?? '';
  return line !== '' ? line : `exit code ${r.code}`;
}

/** The environment programs run with: nothing from the user's but what `extra` adds. */
export function programEnvironment(scratch: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: '/usr/bin:/bin', HOME: scratch, TMPDIR: scratch, ...extra };
}

const PROBE = "import sys, resource; print(sys.executable); print('%d.%d' % sys.version_info[:2])";

async function resolveExecutable(python: string | undefined, extraEnv: Record<string, string>): Promise<{ executable: string; version: string }> {
  const candidate = python ?? findOnPath('python3');
  const advice = 'HumanEval execution needs Python >= 3.8: install it, put python3 on PATH or pass its path as the `python` option';
  if (candidate === undefined) throw new UsageError(`${advice} (no python3 on PATH)`);
  const r = await run(candidate, ['-I', '-c', PROBE], { ...process.env, ...extraEnv });
  if (r.code !== 0) throw new UsageError(`${advice} (${candidate} did not run: ${firstLine(r)})`);
  const [executable = '', version = ''] = r.stdout.trim().split('\n');
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 8)) throw new UsageError(`${advice} (${candidate} is Python ${version})`);
  const exe = executable.trim() !== '' ? executable.trim() : candidate;
  // The real binary must also start in the minimal environment programs get.
  const plain = await run(exe, ['-I', '-c', 'import resource'], programEnvironment(process.cwd(), extraEnv));
  if (plain.code !== 0) throw new UsageError(`${advice} (${exe} does not start without the user's environment: ${firstLine(plain)}; pass what it needs as the \`env\` option)`);
  return { executable: exe, version };
}

async function isolation(executable: string, mode: NetworkIsolation, extraEnv: Record<string, string>): Promise<Pick<Interpreter, 'prefix' | 'networkIsolated' | 'notes'>> {
  if (mode === 'off') return { prefix: [], networkIsolated: false, notes: ['network isolation is off (networkIsolation: "off")'] };
  const unshare = process.platform === 'linux' ? findOnPath('unshare') : undefined;
  let reason = process.platform === 'linux' ? 'unshare is not on PATH (util-linux)' : `network namespaces are Linux-only (this is ${process.platform})`;
  if (unshare !== undefined) {
    for (const flags of [['--user', '--net'], ['--net']]) {
      const prefix = [unshare, ...flags];
      const r = await run(prefix[0]!, [...prefix.slice(1), executable, '-I', '-c', 'pass'], programEnvironment(process.cwd(), extraEnv));
      if (r.code === 0) return { prefix, networkIsolated: true, notes: [] };
      reason = `unshare ${flags.join(' ')} failed: ${firstLine(r)}`;
    }
  }
  if (mode === 'require') throw new UsageError(`HumanEval execution: network isolation was required but is not available (${reason})`);
  return {
    prefix: [],
    networkIsolated: false,
    notes: [`programs run without network isolation: ${reason}; the guard's audit hook still refuses sockets to Python code, but it is not a sandbox`],
  };
}

const cache = new Map<string, Promise<Interpreter>>();

/** The interpreter and isolation programs run with (probed once per option set and PATH). */
export function resolveInterpreter(python: string | undefined, mode: NetworkIsolation, extraEnv: Record<string, string> = {}): Promise<Interpreter> {
  const key = JSON.stringify([python ?? null, mode, extraEnv, process.env['PATH'] ?? '']);
  let found = cache.get(key);
  if (found === undefined) {
    found = (async () => {
      const { executable, version } = await resolveExecutable(python, extraEnv);
      return { executable, version, ...(await isolation(executable, mode, extraEnv)) };
    })();
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}
