// The report's ablation sections: for each data ablation axis the results vary (instances per task, training
// tasks, task categories, instruction kind), the PEFT-vs-full gap at each value of the axis: full finetuning's
// best-setting test ROUGE-L minus LoRA's and minus the adapter's (each the mean over seeds of the method's best
// setting among the runs at that value), as a table and a line chart.
//
// Which runs: those that set the axis, split into families by the other axes' values (a sweep of several
// ablations keeps each grid's runs apart); the family with the most values of the axis is shown (ties: the first
// seen). Failed, pending and interrupted runs are left out, as in the findings.
import { lineChartSvg, type LineSeries } from '../util/svg.js';
import type { ResultRow } from '../sweep/results.js';
import { INSTRUCTION_KINDS } from '../data/superni/instruction.js';
import { bestSetting, formatStats, groupBySetting, type Stats } from './stats.js';
import { STUDY_COMPARED, type Figure } from './findings.js';

type AxisKey = 'instancesPerTask' | 'trainTasks' | 'trainCategories' | 'instruction';

export interface AblationAxis {
  key: AxisKey;
  /** The section's name: "Ablation: <title>". */
  title: string;
  xLabel: string;
  file: string;
  logX: boolean;
  /** Categorical values in plotting order (placed at 1, 2, ...); numeric axes plot their values. */
  order?: readonly string[];
}

export const ABLATION_AXES: AblationAxis[] = [
  { key: 'instancesPerTask', title: 'dataset size', xLabel: 'training instances per task', file: 'ablation-size', logX: true },
  { key: 'trainTasks', title: 'number of training tasks', xLabel: 'training tasks', file: 'ablation-tasks', logX: true },
  { key: 'trainCategories', title: 'task diversity', xLabel: 'task categories of the training tasks', file: 'ablation-diversity', logX: false },
  { key: 'instruction', title: 'instruction quality', xLabel: 'training instruction', file: 'ablation-quality', logX: false, order: INSTRUCTION_KINDS },
];

const METHODS = STUDY_COMPARED;

export interface AblationPoint {
  value: number | string;
  best: Record<(typeof METHODS)[number], Stats | null>;
  /** full minus LoRA / minus adapter (best-setting means), null when a side has no scored run. */
  gapLora: number | null;
  gapAdapter: number | null;
}

export interface Ablation {
  axis: AblationAxis;
  points: AblationPoint[];
  table: string[];
  figures: Figure[];
}

const others = (axis: AxisKey, r: ResultRow) => JSON.stringify(ABLATION_AXES.filter((a) => a.key !== axis).map((a) => r[a.key] ?? null));

/** The runs of the axis's largest family (see the file comment), or [] when the axis is not set. */
function axisRows(axis: AxisKey, rows: ResultRow[]): ResultRow[] {
  const families = new Map<string, ResultRow[]>();
  for (const r of rows.filter((x) => x[axis] !== null && x[axis] !== undefined)) families.set(others(axis, r), [...(families.get(others(axis, r)) ?? []), r]);
  const size = (f: ResultRow[]) => new Set(f.map((r) => r[axis])).size;
  return [...families.values()].reduce<ResultRow[]>((best, f) => (size(f) > size(best) ? f : best), []);
}

function sortValues(axis: AblationAxis, values: Array<number | string>): Array<number | string> {
  const rank = (v: number | string) => (axis.order ? (axis.order.indexOf(String(v)) + axis.order.length + 1) % (axis.order.length + 1) : Number(v));
  return [...values].sort((a, b) => rank(a) - rank(b) || String(a).localeCompare(String(b)));
}

const fmtGap = (g: number | null) => (g === null ? '–' : `${g >= 0 ? '+' : ''}${g.toFixed(1)}`);

/** One axis's gaps, or null when the results do not vary it (fewer than two values). */
export function ablation(axis: AblationAxis, rows: ResultRow[], prefix = ''): Ablation | null {
  const mine = axisRows(axis.key, rows.filter((r) => r.status !== 'failed' && r.status !== 'pending' && r.status !== 'interrupted'));
  const values = sortValues(axis, [...new Set(mine.map((r) => r[axis.key] as number | string))]);
  if (values.length < 2) return null;
  const points: AblationPoint[] = values.map((value) => {
    const groups = groupBySetting(mine.filter((r) => r[axis.key] === value));
    const best = Object.fromEntries(METHODS.map((m) => [m, bestSetting(groups, m)?.stats ?? null])) as AblationPoint['best'];
    const gap = (m: 'lora' | 'adapter') => (best.full && best[m] ? best.full.mean - best[m]!.mean : null);
    return { value, best, gapLora: gap('lora'), gapAdapter: gap('adapter') };
  });
  const table = [
    `| ${axis.xLabel} | full test ROUGE-L | LoRA | adapter | gap full − LoRA | gap full − adapter |`,
    '|---|---|---|---|---|---|',
    ...points.map((p) => `| ${p.value} | ${formatStats(p.best.full)} | ${formatStats(p.best.lora)} | ${formatStats(p.best.adapter)} | ${fmtGap(p.gapLora)} | ${fmtGap(p.gapAdapter)} |`),
  ];
  const x = (v: number | string) => (axis.order ? axis.order.indexOf(String(v)) + 1 : Number(v));
  const series: LineSeries[] = (
    [
      ['full − LoRA', (p: AblationPoint) => p.gapLora],
      ['full − adapter', (p: AblationPoint) => p.gapAdapter],
    ] as const
  )
    .map(([label, gap]) => ({ label, points: points.flatMap((p) => (gap(p) === null ? [] : [{ x: x(p.value), y: gap(p)! }])) }))
    .filter((s) => s.points.length > 0);
  const figures: Figure[] = series.length > 0
    ? [{
        file: `${prefix}${axis.file}.svg`,
        svg: lineChartSvg({
          title: `PEFT-vs-full gap vs ${axis.title}`,
          xLabel: axis.xLabel,
          yLabel: 'full minus PEFT test ROUGE-L',
          series,
          logX: axis.logX,
          ...(axis.order ? { xTickLabel: (v: number) => axis.order![v - 1] ?? String(v) } : {}),
        }),
        caption: `Full finetuning's best test ROUGE-L minus LoRA's and minus the adapter's (each method at its best setting, mean over seeds), per ${axis.xLabel}`,
      }]
    : [];
  return { axis, points, table, figures };
}

/** Every axis the results vary. */
export function ablations(rows: ResultRow[], prefix = ''): Ablation[] {
  return ABLATION_AXES.map((a) => ablation(a, rows, prefix)).filter((a): a is Ablation => a !== null);
}
