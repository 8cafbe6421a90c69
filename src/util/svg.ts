// Self-contained SVG charts (no scripts, no external fonts; open in any browser or Markdown viewer): a line
// chart with optional error bars and a grouped horizontal bar chart. Used by the bench and report commands.

export const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = ['#3b7dd8', '#d8823b', '#3ba55d', '#c23b3b', '#8e5cc2', '#7f7f7f', '#c2a53b', '#3bb8c2'];

export interface LinePoint {
  x: number;
  y: number;
  /** Error bar (e.g. min and max over seeds). */
  lo?: number;
  hi?: number;
}

export interface LineSeries {
  label: string;
  points: LinePoint[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Logarithmic x axis (sizes, learning rates, task counts). */
  logX?: boolean;
  /** The label of each x tick (default: the number), e.g. names of categories placed at 1, 2, 3. */
  xTickLabel?: (x: number) => string;
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(3))));

export function lineChartSvg(o: LineChartOptions): string {
  const width = 640;
  const height = 380;
  const m = { left: 60, right: 170, top: 40, bottom: 50 };
  const pts = o.series.flatMap((s) => s.points);
  const xs = [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
  const tx = (x: number) => (o.logX ? Math.log10(x) : x);
  const xMin = xs.length ? tx(xs[0]!) : 0;
  const xMax = xs.length ? tx(xs[xs.length - 1]!) : 1;
  const yValues = pts.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]);
  const yMax = Math.max(1, ...yValues) * 1.05;
  const yMin = Math.min(0, ...yValues);
  const px = (x: number) => m.left + (xMax === xMin ? 0.5 : (tx(x) - xMin) / (xMax - xMin)) * (width - m.left - m.right);
  const py = (y: number) => height - m.bottom - ((y - yMin) / (yMax - yMin)) * (height - m.top - m.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m.left}" y="22" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`,
    `<line x1="${m.left}" y1="${height - m.bottom}" x2="${width - m.right}" y2="${height - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="#333"/>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`,
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`,
  ];
  for (const x of xs) parts.push(`<text x="${px(x).toFixed(1)}" y="${height - m.bottom + 16}" text-anchor="middle">${escapeXml((o.xTickLabel ?? fmt)(x))}</text>`);
  for (const y of niceTicks(yMin, yMax, 5)) {
    parts.push(
      `<line x1="${m.left}" y1="${py(y).toFixed(1)}" x2="${width - m.right}" y2="${py(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${m.left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${escapeXml(fmt(y))}</text>`,
    );
  }
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    if (sorted.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of sorted) {
      if (p.lo !== undefined && p.hi !== undefined && p.hi > p.lo) {
        parts.push(`<line x1="${px(p.x).toFixed(1)}" y1="${py(p.lo).toFixed(1)}" x2="${px(p.x).toFixed(1)}" y2="${py(p.hi).toFixed(1)}" stroke="${color}"/>`);
      }
      parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = m.top + 10 + i * 16;
    parts.push(`<rect x="${width - m.right + 12}" y="${ly - 8}" width="10" height="10" fill="${color}"/>`, `<text x="${width - m.right + 26}" y="${ly + 1}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

export interface BarGroup {
  label: string;
  /** One value per series (null: no bar). */
  values: Array<number | null>;
}

/** Horizontal bars: one group per row, one bar per series in it, the value written beside each bar. */
export function barChartSvg(o: { title: string; subtitle?: string; seriesLabels: string[]; groups: BarGroup[]; format?: (v: number) => string; labelWidth?: number }): string {
  const labelWidth = o.labelWidth ?? 190;
  const barWidth = 380;
  const barHeight = 14;
  const groupHeight = o.seriesLabels.length * (barHeight + 2) + 10;
  const top = o.subtitle ? 56 : 44;
  const width = labelWidth + barWidth + 90;
  const height = top + o.groups.length * groupHeight + 16 + o.seriesLabels.length * 16;
  const max = Math.max(1e-9, ...o.groups.flatMap((g) => g.values.filter((v): v is number => v !== null)));
  const format = o.format ?? ((v: number) => String(Number(v.toPrecision(3))));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`,
  ];
  if (o.subtitle) parts.push(`<text x="10" y="40" fill="#555">${escapeXml(o.subtitle)}</text>`);
  o.groups.forEach((g, gi) => {
    const y0 = top + gi * groupHeight;
    parts.push(`<text x="${labelWidth - 8}" y="${y0 + (groupHeight - 10) / 2 + 4}" text-anchor="end">${escapeXml(g.label)}</text>`);
    g.values.forEach((v, si) => {
      if (v === null) return;
      const y = y0 + si * (barHeight + 2);
      const w = Math.max(1, (v / max) * barWidth);
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLORS[si % COLORS.length]}"/>`,
        `<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + barHeight - 3}">${escapeXml(format(v))}</text>`,
      );
    });
  });
  const legendTop = top + o.groups.length * groupHeight + 8;
  o.seriesLabels.forEach((label, i) => {
    parts.push(`<rect x="${labelWidth}" y="${legendTop + i * 16}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`, `<text x="${labelWidth + 14}" y="${legendTop + i * 16 + 9}">${escapeXml(label)}</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
