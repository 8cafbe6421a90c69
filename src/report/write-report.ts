// `peft-native report <sweep dir>`: <sweep>/report/report.md (the study's findings, each with our numbers and a
// verdict) and its SVG figures, from the sweep's results table (results.jsonl, rebuilt from the run folders so
// the report is current even for a sweep still running or stopped).
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { writeFileAtomically } from '../util/atomic-file.js';
import { readSweepPlan } from '../sweep/sweep-folder.js';
import { SweepSpecError } from '../sweep/spec.js';
import { resultRow, writeResults, type ResultRow } from '../sweep/results.js';
import { runDir } from '../sweep/scheduler.js';
import { findings, isSuperNIRow, type Figure, type Finding } from './findings.js';
import { ablations, type Ablation } from './ablations.js';

export const REPORT_DIR = 'report';
export const REPORT_FILE = 'report.md';

export interface ReportResult {
  file: string;
  figures: string[];
  findings: Finding[];
  ablations: Ablation[];
}

function statusCounts(rows: ResultRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
}

function renderFinding(f: Finding, figureDir: string): string[] {
  return [
    `### Finding ${f.number}: ${f.title}`,
    '',
    `**The study:** ${f.claim}`,
    '',
    `**Verdict here: ${f.verdict}.**`,
    '',
    ...f.why.map((w) => `- ${w}`),
    '',
    ...(f.table.length > 0 ? [...f.table, ''] : []),
    ...figureLines(f.figures, figureDir),
  ];
}

function figureLines(figures: Figure[], figureDir: string): string[] {
  return figures.flatMap((fig) => [`![${fig.caption}](${figureDir}/${fig.file})`, '', `*${fig.caption}.*`, '']);
}

function renderAblation(a: Ablation, figureDir: string): string[] {
  return [
    `### Ablation: ${a.axis.title}`,
    '',
    'The PEFT-vs-full gap at each value: full finetuning\'s test ROUGE-L minus LoRA\'s and minus the adapter\'s, each method at its best setting there (mean over seeds; positive: full finetuning ahead).',
    '',
    ...a.table,
    '',
    ...figureLines(a.figures, figureDir),
  ];
}

export async function writeReport(sweepDir: string): Promise<ReportResult> {
  const plan = readSweepPlan(sweepDir);
  if (!plan) throw new SweepSpecError(`${sweepDir}: no sweep.json (give a folder written by peft-native sweep)`);
  const rows = plan.runs.map((run) => resultRow(run, runDir(sweepDir, run)));
  await writeResults(sweepDir, rows, { peft_native_sweep: JSON.stringify({ name: plan.spec.name, runs: plan.runs.length }) });
  const out = path.join(sweepDir, REPORT_DIR);
  const figureDir = 'figures';
  await rm(path.join(out, figureDir), { recursive: true, force: true });
  const models = [...new Set(rows.map((r) => r.model))];
  const lines = [
    `# ${plan.spec.name}: the study's findings against this sweep`,
    '',
    plan.spec.description ? `${plan.spec.description}.` : '',
    '',
    `Runs: ${rows.length} (${statusCounts(rows)}). Scores are ROUGE-L x100 as the official SuperNI evaluation computes it, on the best dev checkpoint of each run; ` +
      '"mean ± sd (n seeds)" over the runs that differ only in seed. Diverged runs are scored like the others; failed runs are left out (see results.jsonl).',
    '',
    'The study: "Parameter Efficient Instruction Tuning: An Empirical Study" (arXiv 2411.16775).',
    '',
  ];
  const all: Finding[] = [];
  const allAblations: Ablation[] = [];
  const figures: string[] = [];
  const writeFigures = async (list: Figure[]) => {
    for (const fig of list) {
      await writeFileAtomically(path.join(out, figureDir, fig.file), fig.svg);
      figures.push(path.join(out, figureDir, fig.file));
    }
  };
  for (const model of models) {
    const prefix = models.length > 1 ? `${models.indexOf(model) + 1}-` : '';
    const fs = findings(rows.filter((r) => r.model === model), prefix);
    all.push(...fs);
    lines.push(`## Model ${model}`, '', '| finding | verdict |', '|---|---|', ...fs.map((f) => `| ${f.number}. ${f.title} | ${f.verdict} |`), '');
    for (const f of fs) {
      lines.push(...renderFinding(f, figureDir));
      await writeFigures(f.figures);
    }
    const abl = ablations(rows.filter((r) => r.model === model && isSuperNIRow(r)), prefix);
    allAblations.push(...abl);
    for (const a of abl) {
      lines.push(...renderAblation(a, figureDir));
      await writeFigures(a.figures);
    }
  }
  const file = path.join(out, REPORT_FILE);
  await writeFileAtomically(file, lines.join('\n').replace(/\n{3,}/g, '\n\n'));
  return { file, figures, findings: all, ablations: allAblations };
}
