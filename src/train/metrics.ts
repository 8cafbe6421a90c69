// Per-step training metrics as JSON lines in <run>/metrics.jsonl (one object per optimizer step), readable
// with `pandas.read_json(path, lines=True)`, polars, duckdb or jq.
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface StepMetrics {
  /** 1-based optimizer step. */
  step: number;
  /** 0-based epoch. */
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  targetTokens: number;
  tokensPerSec: number;
  elapsedSec: number;
  [key: string]: number | string | boolean | null;
}

export const METRICS_FILE = 'metrics.jsonl';

/** Non-finite numbers are not JSON; they are written as strings ("NaN", "Infinity") so nothing is lost. */
function jsonSafe(value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

export class MetricsWriter {
  private fd: number | null;
  readonly file: string;

  /** Opens `<runDir>/metrics.jsonl` for appending (creates the folder). */
  constructor(runDir: string, fileName = METRICS_FILE) {
    mkdirSync(runDir, { recursive: true });
    this.file = path.join(runDir, fileName);
    this.fd = openSync(this.file, 'a');
  }

  /** Appends one line; written through immediately so a crash keeps every finished step. */
  append(record: StepMetrics | Record<string, unknown>): void {
    if (this.fd === null) throw new Error(`metrics file ${this.file} is closed`);
    writeSync(this.fd, JSON.stringify(record, (_k, v: unknown) => jsonSafe(v)) + '\n');
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

/** Reads a metrics.jsonl back (non-finite numbers restored). */
export function readMetrics(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) =>
      JSON.parse(l, (_k, v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as Record<string, unknown>,
    );
}
