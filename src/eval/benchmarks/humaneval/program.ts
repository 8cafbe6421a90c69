// The program that decides whether a completion is correct, as human-eval builds it (open-instruct
// eval/codex_humaneval/execution.py @ 469cf2ded780e4202a9fcf217ee3eb8f91a3980e, L37-41): the problem's prompt, the
// completion, a newline, the test (which defines check(candidate)), a newline and "check(<entry_point>)". It passes
// when it runs to the end without an exception.
import type { HumanEvalProblem } from './load.js';

export function checkProgram(problem: Pick<HumanEvalProblem, 'prompt' | 'test' | 'entryPoint'>, completion: string): string {
  return `${problem.prompt}${completion}\n${problem.test}\ncheck(${problem.entryPoint})`;
}
