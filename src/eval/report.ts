// The evaluation table for people: overall, then each category (the 12 SuperNI test categories come with
// the metric Tk-Instruct reports for them), in fixed-width columns.
import { SUPERNI_TEST_CATEGORIES, type MeanScores } from './metrics/index.js';

function row(name: string, m: MeanScores, width: number, headline?: string): string {
  const cells = [m.exactMatch, m.rougeL, m.rouge1].map((v) => v.toFixed(2).padStart(8));
  return `${name.padEnd(width)} ${String(m.count).padStart(6)} ${cells.join(' ')}${headline ? `  (${headline})` : ''}`;
}

/** Lines of the table: header, overall, categories (sorted by name). */
export function formatScoreTable(overall: MeanScores, perCategory: Record<string, MeanScores>): string[] {
  const names = Object.keys(perCategory);
  const width = Math.max(8, ...names.map((n) => n.length));
  const lines = [`${'group'.padEnd(width)} ${'n'.padStart(6)} ${'EM'.padStart(8)} ${'ROUGE-L'.padStart(8)} ${'ROUGE-1'.padStart(8)}`];
  lines.push(row('overall', overall, width));
  for (const name of names) {
    const metric = SUPERNI_TEST_CATEGORIES.find((c) => c.name === name)?.metric;
    lines.push(row(name, perCategory[name]!, width, metric === undefined ? undefined : metric === 'exactMatch' ? 'EM' : 'ROUGE-L'));
  }
  return lines;
}
