// A self-contained SVG of a bench run: one horizontal bar per method in two panels, tokens/s and peak
// memory, with the values written on the bars. Opens in any browser; no scripts, no external fonts.
import { escapeXml as esc } from '../util/svg.js';

export interface ChartRow {
  label: string;
  tokensPerSec: number;
  peakMemoryBytes: number;
}


function panel(title: string, rows: ChartRow[], value: (r: ChartRow) => number, format: (v: number) => string, top: number, color: string): string {
  const labelWidth = 170;
  const barWidth = 420;
  const rowHeight = 26;
  const max = Math.max(...rows.map(value), 1e-9);
  const parts = [`<text x="10" y="${top + 16}" font-size="14" font-weight="bold">${esc(title)}</text>`];
  rows.forEach((r, i) => {
    const y = top + 28 + i * rowHeight;
    const w = Math.max(1, (value(r) / max) * barWidth);
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" font-size="12" text-anchor="end">${esc(r.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${color}"/>`,
      `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}" font-size="12">${esc(format(value(r)))}</text>`,
    );
  });
  return parts.join('\n');
}

/** Panel height for `n` rows (title + bars). */
const panelHeight = (n: number) => 40 + n * 26;

/** `memoryKind` names what peakMemoryBytes measures ("peak RSS", "peak CUDA allocated"). */
export function benchChartSvg(title: string, subtitle: string, memoryKind: string, rows: ChartRow[]): string {
  if (rows.length === 0) throw new Error('benchChartSvg: no rows');
  const width = 720;
  const top = 50;
  const height = top + 2 * panelHeight(rows.length) + 10;
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="40" font-size="11" fill="#555">${esc(subtitle)}</text>`,
    panel('Training throughput (tokens/s, higher is better)', rows, (r) => r.tokensPerSec, (v) => v.toFixed(1), top, '#3b7dd8'),
    panel(`Memory: ${memoryKind} (lower is better)`, rows, (r) => r.peakMemoryBytes, mb, top + panelHeight(rows.length), '#d8823b'),
    '</svg>',
    '',
  ].join('\n');
}
