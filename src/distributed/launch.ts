// `peft-native train --nproc N`: starts N local worker processes of the same command with torchrun's environment
// (src/distributed/env.ts), rank 0's output passed through, the others' errors prefixed with their rank. The
// first worker to fail stops the rest, and its exit code is the launcher's.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createServer } from 'node:net';

export interface LaunchOptions {
  nproc: number;
  /** The worker's command line after the node executable: the CLI entry, `train`, its flags (no --nproc). */
  workerArgs: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Extra environment for every worker. */
  env?: NodeJS.ProcessEnv;
}

/** A TCP port free on this machine now (rank 0's rendezvous binds it right after). */
export async function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Cores per worker: all cores split evenly, at least one. */
export function defaultThreadsPerWorker(nproc: number): number {
  return Math.max(1, Math.floor(availableParallelism() / nproc));
}

/** Prefixes each line of a worker's stream with its rank. */
function prefixLines(prefix: string, out: NodeJS.WritableStream): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix}${line}\n`);
  };
}

/** Runs the workers to the end; resolves to the exit code of the run (0, or the first failing worker's). */
export async function launchWorkers(o: LaunchOptions): Promise<number> {
  const port = await freeLocalPort();
  const children: ChildProcess[] = [];
  let failed: number | null = null;
  const exits = Array.from({ length: o.nproc }, (_, rank) => {
    const child = spawn(process.execPath, o.workerArgs, {
      env: {
        ...process.env,
        ...o.env,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(o.nproc),
        LOCAL_WORLD_SIZE: String(o.nproc),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
      },
      stdio: ['ignore', rank === 0 ? 'pipe' : 'ignore', 'pipe'],
    });
    children.push(child);
    if (rank === 0) {
      child.stdout!.on('data', (d: Buffer) => o.stdout.write(d));
      child.stderr!.on('data', (d: Buffer) => o.stderr.write(d));
    } else {
      child.stderr!.on('data', prefixLines(`[rank ${rank}] `, o.stderr));
    }
    return new Promise<number>((resolve) => {
      child.on('close', (code, signal) => {
        const status = code ?? (signal === 'SIGINT' ? 130 : 1);
        if (status !== 0 && failed === null) {
          failed = status;
          // The others would only fail at their next collective: stop them now.
          for (const other of children) if (other !== child && other.exitCode === null) other.kill('SIGTERM');
        }
        resolve(status);
      });
    });
  });
  // Ctrl-C reaches the workers from the terminal; a signal sent to the launcher alone is passed on.
  const forward = (signal: NodeJS.Signals) => () => {
    for (const child of children) if (child.exitCode === null) child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    await Promise.all(exits);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  return failed ?? 0;
}
