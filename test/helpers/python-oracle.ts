// Runs a Python oracle script (scripts/oracles/*.py) through the project's .venv: JSON lines in, JSON lines
// out. Tests that use it FAIL (they do not skip) when .venv/bin/python or its packages are missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const venvPython = path.join(repoRoot, '.venv/bin/python');

/** Sends each value as one JSON line to `script` on stdin and returns the parsed JSON lines it prints. */
export function runPythonOracle(script: string, inputs: readonly unknown[]): unknown[] {
  if (!existsSync(venvPython)) {
    throw new Error(
      `${venvPython} not found: this test compares with NLTK through a Python oracle. ` +
        'Create the venv and install nltk (.venv/bin/pip install nltk).',
    );
  }
  const scriptPath = path.join(repoRoot, script);
  let stdout: string;
  try {
    stdout = execFileSync(venvPython, [scriptPath], {
      input: inputs.map((value) => JSON.stringify(value)).join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`${script} failed (is nltk installed in .venv?):\n${stderr || (err as Error).message}`);
  }
  const lines = stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== inputs.length) throw new Error(`${script} returned ${lines.length} lines for ${inputs.length} inputs`);
  return lines.map((line) => JSON.parse(line) as unknown);
}
