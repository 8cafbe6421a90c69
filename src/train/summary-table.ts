// The table printed at the end of a run: what a person checks first (status, steps, loss, speed, best
// checkpoint, divergence, where things were saved). Plain text, so it reads the same in a log file.
import { formatDuration, formatRate } from './progress.js';

export interface SummaryTableInput {
  status: string;
  steps: number;
  totalSteps: number;
  epochs: number;
  firstLoss: number | null;
  lastLoss: number | null;
  meanFirst10: number | null;
  meanLast10: number | null;
  realTokens: number;
  tokensPerSec: number;
  elapsedSec: number;
  resumedFrom: number | null;
  best: { step: number; metric: string; value: number } | null;
  divergence: { step: number; message: string } | null;
  divergedSteps: number;
  saved: string | null;
  out: string;
}

function loss(x: number | null): string {
  return x === null ? '-' : Number.isFinite(x) ? x.toFixed(4) : String(x);
}

function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** Rows of [label, value]. */
export function summaryRows(s: SummaryTableInput): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['status', s.status],
    ['steps', `${s.steps} / ${s.totalSteps} (${s.epochs} epoch${s.epochs === 1 ? '' : 's'})${s.resumedFrom !== null ? `, resumed at step ${s.resumedFrom}` : ''}`],
    ['loss', `${loss(s.firstLoss)} -> ${loss(s.lastLoss)}`],
    ['mean loss', `first 10 steps ${loss(s.meanFirst10)}, last 10 ${loss(s.meanLast10)}`],
    ['tokens', `${count(s.realTokens)} (${formatRate(s.tokensPerSec)} tok/s)`],
    ['time', formatDuration(s.elapsedSec)],
  ];
  if (s.best) rows.push(['best checkpoint', `step ${s.best.step} (${s.best.metric} ${s.best.value.toFixed(4)})`]);
  if (s.divergence) rows.push(['diverged', `${s.divergence.message}${s.divergedSteps > 1 ? ` (${s.divergedSteps} steps flagged)` : ''}`]);
  rows.push(['saved', s.saved ?? 'nothing'], ['run folder', s.out]);
  return rows;
}

/** The table as lines (no trailing newline). */
export function formatSummaryTable(s: SummaryTableInput): string {
  const rows = summaryRows(s);
  const width = Math.max(...rows.map(([k]) => k.length));
  const body = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  const rule = '-'.repeat(Math.min(78, Math.max(...body.map((l) => l.length))));
  return ['run summary', rule, ...body, rule].join('\n');
}
