// `peft-native report <sweep dir>`: the findings page of a sweep (Markdown + SVG figures).
import { Command } from 'commander';
import { writeReport } from '../report/write-report.js';

export function reportCommand(): Command {
  return new Command('report')
    .description("Write a sweep's findings page: each of the study's findings with our numbers (mean and spread over seeds), a figure and a verdict (holds / does not hold / inconclusive).")
    .argument('<sweep dir>', 'a folder written by peft-native sweep')
    .option('--verbose', 'show stack traces on errors')
    .addHelpText('after', '\nWrites <sweep dir>/report/report.md and report/figures/*.svg, and refreshes results.jsonl / results.arrow.\n')
    .action(async (dir: string) => {
      const result = await writeReport(dir);
      for (const f of result.findings) process.stdout.write(`finding ${f.number} (${f.title}): ${f.verdict}\n`);
      for (const a of result.ablations) process.stdout.write(`ablation (${a.axis.title}): ${a.points.length} values\n`);
      process.stdout.write(`report: ${result.file} (${result.figures.length} figures)\n`);
    });
}
