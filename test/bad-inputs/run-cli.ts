// The compiled CLI as a child process, asynchronously, at most `limit` at a time (the cases run concurrently; the
// machine has few cores and each child may use one thread).
import { spawn } from 'node:child_process';
import { cliPath } from '../helpers/cli.js';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Raw stderr bytes, to look for bytes that are not UTF-8. */
  stderrBytes: Buffer;
  ms: number;
}

export function pool(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** `node dist/cli/main.js ...args` in `cwd`; DEBUG cleared so stderr is what users see; killed after `timeoutMs`. */
export function runCliAsync(args: string[], cwd: string, timeoutMs = 120_000): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, DEBUG: '', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderrBytes = Buffer.concat(err);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: stderrBytes.toString('utf8'), stderrBytes, ms: Date.now() - started });
    });
  });
}
