// The study's five findings checked against a sweep's results: for each, the claim, our numbers (mean and
// spread over seeds), a figure, and a verdict (holds / does not hold / inconclusive) with the reasons. The
// decision rules are written out in `why`, so a reader can check every verdict against the tables.
import { barChartSvg, lineChartSvg, type LineSeries } from '../util/svg.js';
import type { ResultRow } from '../sweep/results.js';
import { dataSpecKind, isSuperNIKind, type DataSpec } from '../data/spec.js';
import { BENCHMARK_METRICS } from '../eval/benchmark-train-evaluator.js';
import type { Benchmark } from '../eval/benchmark-run.js';
import { bestSetting, compare, formatStats, groupBySetting, memStats, settingLabel, stats, testStats, type SettingGroup, type Stats } from './stats.js';

export type Verdict = 'holds' | 'does not hold' | 'inconclusive';

export interface Figure {
  file: string;
  svg: string;
  caption: string;
}

export interface Finding {
  number: number;
  title: string;
  /** The study's claim (../STUDY.md). */
  claim: string;
  verdict: Verdict;
  why: string[];
  table: string[];
  figures: Figure[];
}

const PEFT_CLOSE = ['lora', 'adapter'];
/** The methods the study compares throughout: full finetuning and the two PEFT methods close to it. */
export const STUDY_COMPARED = ['full', 'lora', 'adapter'] as const;
const OTHER_PEFT = ['prompt', 'prefix', 'ia3', 'bitfit', 'dora'];
/** Scores at or below this (ROUGE-L) everywhere mean nothing transferable was learned. */
const NOTHING_LEARNED = 1;

const scored = (rows: ResultRow[]) => rows.filter((r) => r.testRougeL !== null);

/** Combines the verdicts of a finding's parts: any measured part failing fails it; all measured parts holding (at least one) holds it. */
function combine(parts: Verdict[]): Verdict {
  if (parts.includes('does not hold')) return 'does not hold';
  if (parts.length > 0 && parts.every((p) => p === 'holds')) return 'holds';
  return 'inconclusive';
}

function markdownTable(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function finding1(rows: ResultRow[], groups: SettingGroup[], prefix: string): Finding {
  const methods = [...new Set(groups.map((g) => g.method))];
  const best = new Map(methods.map((m) => [m, bestSetting(groups, m)] as const));
  const table = markdownTable(
    ['method', 'best setting', 'test ROUGE-L', 'settings tried'],
    methods.map((m) => [m, best.get(m) ? settingLabel(best.get(m)!.group) : '–', formatStats(best.get(m)?.stats ?? null), String(groups.filter((g) => g.method === m).length)]),
  );
  const why: string[] = [];
  const full = best.get('full');
  const close = PEFT_CLOSE.filter((m) => best.get(m));
  const others = OTHER_PEFT.filter((m) => best.get(m));
  const top = Math.max(0, ...scored(rows).map((r) => r.testRougeL!));
  let verdict: Verdict;
  if (!full || close.length === 0) {
    verdict = 'inconclusive';
    why.push(`needs scored runs of full finetuning and of LoRA or adapters (has: ${methods.filter((m) => best.get(m)).join(', ') || 'none'})`);
  } else if (top <= NOTHING_LEARNED) {
    verdict = 'inconclusive';
    why.push(`every test ROUGE-L is at most ${NOTHING_LEARNED}: no run learned anything that transfers to the unseen test tasks, so the methods cannot be ranked`);
  } else {
    const parts: Verdict[] = [];
    // "Close": not clearly below full finetuning (compare(): ranges over seeds, or more than 1 point with one seed), or within 10% of it.
    const near = (s: Stats) => compare(s, full.stats) !== 'below' || s.mean >= 0.9 * full.stats.mean;
    for (const m of close) {
      const s = best.get(m)!.stats;
      const ok = near(s);
      parts.push(ok ? 'holds' : 'does not hold');
      why.push(`${m} at its best (${settingLabel(best.get(m)!.group)}) scores ${s.mean.toFixed(1)} against full finetuning's ${full.stats.mean.toFixed(1)}: ${ok ? 'close (not clearly below, or within 10%)' : 'clearly below'}`);
    }
    const floor = Math.min(...close.map((m) => best.get(m)!.stats.mean));
    for (const m of others) {
      const s = best.get(m)!.stats;
      const below = !near(s) && s.mean < floor;
      parts.push(below ? 'holds' : 'does not hold');
      why.push(`${m} at its best scores ${s.mean.toFixed(1)}: ${below ? 'not close to full finetuning, below LoRA/adapters' : 'as close to full finetuning as LoRA/adapters (the claim says only those two get close)'}`);
    }
    for (const m of close) {
      const b = best.get(m)!.group;
      const sizes = [...new Set(groups.filter((g) => g.method === m && g.lr === b.lr && g.size !== null).map((g) => g.size!))];
      if (sizes.length < 2) continue;
      const largest = Math.max(...sizes);
      const atLargest = groups.find((g) => g.method === m && g.lr === b.lr && g.size === largest && g.trainTasks === b.trainTasks);
      const s = atLargest ? testStats(atLargest.rows) : null;
      const ok = b.size === largest || (s !== null && compare(s, best.get(m)!.stats) !== 'below');
      parts.push(ok ? 'holds' : 'does not hold');
      why.push(`${m} at lr ${b.lr}: the largest size tried (${largest}) ${ok ? 'is (or ties with) the best' : `is clearly below the best size ${b.size}`}`);
    }
    verdict = combine(parts);
  }
  const figures: Figure[] = [];
  for (const m of [...PEFT_CLOSE, 'prompt', 'prefix']) {
    const mine = groups.filter((g) => g.method === m && g.size !== null);
    const lrs = [...new Set(mine.map((g) => g.lr))].sort((a, b) => (a ?? 0) - (b ?? 0));
    const series: LineSeries[] = lrs.map((lr) => ({
      label: `lr ${lr}`,
      points: mine.filter((g) => g.lr === lr).flatMap((g) => {
        const s = testStats(g.rows);
        return s ? [{ x: g.size!, y: s.mean, lo: s.min, hi: s.max }] : [];
      }),
    })).filter((s) => s.points.length > 0);
    if (series.length === 0 || new Set(mine.map((g) => g.size)).size < 2) continue;
    figures.push({
      file: `${prefix}finding1-${m}.svg`,
      svg: lineChartSvg({ title: `${m}: test ROUGE-L vs ${m === 'lora' ? 'rank' : m === 'adapter' ? 'adapter size' : 'virtual tokens'}`, xLabel: m === 'lora' ? 'rank' : 'size', yLabel: 'test ROUGE-L', series, logX: true }),
      caption: `${m}: test ROUGE-L (mean over seeds, bars: min-max) against the ${m === 'lora' ? 'rank' : 'size'}, one line per learning rate`,
    });
  }
  const bars = methods.filter((m) => best.get(m));
  if (bars.length > 0) {
    figures.push({
      file: `${prefix}finding1-best.svg`,
      svg: barChartSvg({ title: 'Best test ROUGE-L per method', subtitle: 'each method at its best setting, mean over seeds', seriesLabels: ['test ROUGE-L'], groups: bars.map((m) => ({ label: m, values: [best.get(m)!.stats.mean] })), format: (v) => v.toFixed(1) }),
      caption: 'Each method at its best setting (mean test ROUGE-L over seeds)',
    });
  }
  return { number: 1, title: 'Which methods get close to full finetuning', claim: 'Only LoRA and bottleneck adapters get close to full finetuning, and only with an appropriate learning rate, the largest LoRA rank / adapter size allowed, and diverse training tasks.', verdict, why, table, figures };
}

function finding2(groups: SettingGroup[], prefix: string): Finding {
  const mine = groups.filter((g) => PEFT_CLOSE.includes(g.method));
  const bestMean = new Map(PEFT_CLOSE.map((m) => [m, bestSetting(groups, m)?.stats.mean ?? 0] as const));
  const collapsed = (r: ResultRow) => r.status === 'diverged' || (bestMean.get(r.method)! > NOTHING_LEARNED && r.testRougeL !== null && r.testRougeL < 0.5 * bestMean.get(r.method)!);
  const table = markdownTable(
    ['setting', 'runs', 'diverged', 'collapsed (diverged, or test < half the method\'s best)'],
    mine.map((g) => [settingLabel(g), String(g.rows.length), String(g.rows.filter((r) => r.status === 'diverged').length), String(g.rows.filter(collapsed).length)]),
  );
  const why: string[] = [];
  let verdict: Verdict;
  const parts: Verdict[] = [];
  for (const m of PEFT_CLOSE) {
    const gs = mine.filter((g) => g.method === m);
    const lrs = [...new Set(gs.map((g) => g.lr).filter((x): x is number => x !== null))];
    const sizes = [...new Set(gs.map((g) => g.size).filter((x): x is number => x !== null))];
    if (lrs.length < 2 && sizes.length < 2) continue;
    const high = (g: SettingGroup) => (lrs.length > 1 && g.lr === Math.max(...lrs)) || (sizes.length > 1 && g.size === Math.max(...sizes));
    const rate = (list: SettingGroup[]) => {
      const runs = list.flatMap((g) => g.rows);
      return { runs: runs.length, bad: runs.filter(collapsed).length };
    };
    const hi = rate(gs.filter(high));
    const lo = rate(gs.filter((g) => !high(g)));
    const total = hi.bad + lo.bad;
    const text = `${m}: ${hi.bad}/${hi.runs} runs collapsed at the highest learning rate or size, ${lo.bad}/${lo.runs} elsewhere`;
    if (total === 0 && bestMean.get(m)! <= NOTHING_LEARNED) {
      parts.push('inconclusive');
      why.push(`${text}: none diverged, and with every test ROUGE-L at most ${NOTHING_LEARNED} a collapse in score cannot be seen`);
    } else if (total === 0) {
      parts.push('does not hold');
      why.push(`${text}: no run collapsed`);
    } else if (hi.runs > 0 && lo.runs > 0 && hi.bad / hi.runs > lo.bad / lo.runs) {
      parts.push('holds');
      why.push(`${text}: collapses concentrate at high learning rate / size`);
    } else {
      parts.push('does not hold');
      why.push(`${text}: collapses are not more frequent at high learning rate / size`);
    }
  }
  if (parts.length === 0) {
    verdict = 'inconclusive';
    why.push('needs LoRA or adapter runs over at least two learning rates or sizes');
  } else verdict = combine(parts);
  const figures: Figure[] = mine.length > 0
    ? [{
        file: `${prefix}finding2-collapse.svg`,
        svg: barChartSvg({ title: 'Diverged and collapsed runs per setting', seriesLabels: ['runs', 'diverged', 'collapsed'], groups: mine.map((g) => ({ label: settingLabel(g), values: [g.rows.length, g.rows.filter((r) => r.status === 'diverged').length, g.rows.filter(collapsed).length] })), format: (v) => String(v), labelWidth: 230 }),
        caption: 'LoRA and adapter settings: runs, diverged runs and collapsed runs',
      }]
    : [];
  return { number: 2, title: 'Instability outside that setting', claim: 'Outside that setting LoRA and adapters train unstably (runs collapse at high rank or high learning rate).', verdict, why, table, figures };
}

function finding3(groups: SettingGroup[], prefix: string): Finding {
  const why: string[] = [];
  const parts: Verdict[] = [];
  const table: string[] = [];
  const figures: Figure[] = [];
  // (a) score against the number of training tasks: settings that differ only in N (the family with the best
  // score at its largest N, among those tried at two or more N).
  const perN = (method: string) => {
    const families = new Map<string, SettingGroup[]>();
    for (const g of groups.filter((x) => x.method === method && x.trainTasks !== null && testStats(x.rows) !== null)) {
      const key = JSON.stringify(withoutN(JSON.parse(g.key) as Record<string, unknown>));
      families.set(key, [...(families.get(key) ?? []), g]);
    }
    const curves = [...families.values()]
      .filter((f) => f.length >= 2)
      .map((f) => f.map((g) => ({ n: g.trainTasks!, stats: testStats(g.rows)! })).sort((a, b) => a.n - b.n));
    curves.sort((a, b) => b[b.length - 1]!.stats.mean - a[a.length - 1]!.stats.mean);
    return curves[0] ?? [];
  };
  const curves = new Map(['lora', 'adapter', 'full'].map((m) => [m, perN(m)] as const));
  const lora = curves.get('lora')!;
  const full = curves.get('full')!;
  if (lora.length >= 2 && full.length >= 2) {
    table.push(...markdownTable(['training tasks', ...[...curves.keys()].map((m) => `${m} test ROUGE-L`)], [...new Set([...curves.values()].flat().map((p) => p.n))].sort((a, b) => a - b).map((n) => [String(n), ...[...curves.values()].map((c) => formatStats(c.find((p) => p.n === n)?.stats ?? null))])));
    const gap = (n: number) => (full.find((p) => p.n === n)?.stats.mean ?? NaN) - (lora.find((p) => p.n === n)?.stats.mean ?? NaN);
    const ns = lora.map((p) => p.n).filter((n) => full.some((p) => p.n === n));
    const top = Math.max(...[...lora, ...full].map((p) => p.stats.max));
    if (ns.length < 2) why.push('task counts: LoRA and full finetuning share fewer than two task counts');
    else if (top <= NOTHING_LEARNED) why.push(`task counts: every test ROUGE-L is at most ${NOTHING_LEARNED}; nothing to compare`);
    else {
      const small = gap(ns[0]!);
      const large = gap(ns[ns.length - 1]!);
      const ok = small > large + 0.5;
      parts.push(ok ? 'holds' : 'does not hold');
      why.push(`task counts: full finetuning leads LoRA by ${small.toFixed(1)} points with ${ns[0]} tasks and by ${large.toFixed(1)} with ${ns[ns.length - 1]}: ${ok ? 'LoRA needs more tasks to catch up' : 'LoRA does not gain more from more tasks'}`);
    }
    figures.push({
      file: `${prefix}finding3-tasks.svg`,
      svg: lineChartSvg({ title: 'Test ROUGE-L vs number of training tasks', xLabel: 'training tasks', yLabel: 'test ROUGE-L', logX: true, series: [...curves.entries()].filter(([, c]) => c.length > 0).map(([m, c]) => ({ label: m, points: c.map((p) => ({ x: p.n, y: p.stats.mean, lo: p.stats.min, hi: p.stats.max })) })) }),
      caption: 'Each method at its best setting, over the number of training tasks (mean over seeds, bars: min-max)',
    });
  } else why.push('task counts: needs LoRA and full finetuning runs at two or more numbers of training tasks');
  // (b) learning speed: the dev curve of each method's best setting, as a fraction of its best dev score.
  const devCurve = (method: string) => {
    const best = bestSetting(groups, method);
    if (!best) return null;
    const steps = [...new Set(best.group.rows.flatMap((r) => r.devSteps))].sort((a, b) => a - b);
    const points = steps.map((step) => ({ x: step, y: stats(best.group.rows.flatMap((r) => { const i = r.devSteps.indexOf(step); return i >= 0 ? [r.devRougeL[i]!] : []; }))!.mean }));
    return points.length > 0 ? points : null;
  };
  const dev = new Map(['lora', 'adapter', 'full'].map((m) => [m, devCurve(m)] as const));
  const loraDev = dev.get('lora');
  const fullDev = dev.get('full');
  if (loraDev && fullDev && loraDev.length >= 2 && fullDev.length >= 2) {
    const peak = (c: Array<{ y: number }>) => Math.max(...c.map((p) => p.y));
    if (peak(loraDev) <= NOTHING_LEARNED || peak(fullDev) <= NOTHING_LEARNED) why.push(`learning speed: a dev curve stays at or below ${NOTHING_LEARNED} ROUGE-L; nothing to compare`);
    else {
      const early = (c: Array<{ y: number }>) => c[0]!.y / peak(c);
      const ok = early(loraDev) < early(fullDev) - 0.05;
      parts.push(ok ? 'holds' : 'does not hold');
      why.push(`learning speed: at the first dev evaluation LoRA has ${(100 * early(loraDev)).toFixed(0)}% of its best dev score, full finetuning ${(100 * early(fullDev)).toFixed(0)}%: ${ok ? 'LoRA learns more slowly' : 'LoRA does not learn more slowly'}`);
    }
  } else why.push('learning speed: needs dev curves (--eval-times 2 or more) of LoRA and full finetuning');
  const devSeries = [...dev.entries()].filter(([, c]) => c !== null).map(([m, c]) => ({ label: m, points: c! }));
  if (devSeries.length > 0) {
    figures.push({ file: `${prefix}finding3-dev.svg`, svg: lineChartSvg({ title: 'Dev ROUGE-L vs training step', xLabel: 'step', yLabel: 'dev ROUGE-L', series: devSeries }), caption: 'The dev curve of each method\'s best setting (mean over seeds)' });
  }
  return { number: 3, title: 'Task diversity and learning speed', claim: 'LoRA needs more training tasks to generalize to unseen tasks, and learns more slowly.', verdict: combine(parts), why, table, figures };
}

function withoutN(o: Record<string, unknown>): Record<string, unknown> {
  const { 'train-tasks': _n, ...rest } = o;
  return rest;
}

function finding4(groups: SettingGroup[], prefix: string): Finding {
  const methods = [...new Set(groups.map((g) => g.method))];
  // Each method at its best setting by test score (ties, e.g. all zero: by memorization score), among settings
  // with memorization scores.
  const pick = (m: string) => {
    const candidates = groups
      .filter((g) => g.method === m && memStats(g.rows) !== null)
      .map((group) => ({ group, mem: memStats(group.rows)!, test: testStats(group.rows) }));
    candidates.sort((a, b) => (b.test?.mean ?? -1) - (a.test?.mean ?? -1) || b.mem.mean - a.mem.mean);
    return candidates[0] ?? null;
  };
  const picks = new Map(methods.map((m) => [m, pick(m)] as const));
  const present = methods.filter((m) => picks.get(m));
  const table = markdownTable(['method', 'setting', 'memorization ROUGE-L (held-out instances of training tasks)', 'unseen tasks (test) ROUGE-L'], present.map((m) => { const p = picks.get(m)!; return [m, settingLabel(p.group), formatStats(p.mem), formatStats(p.test)]; }));
  const why: string[] = [];
  const parts: Verdict[] = [];
  const lora = picks.get('lora');
  if (!lora) why.push('needs LoRA runs with the memorization evaluation (a sweep spec with "memorization")');
  // The claim is read against full finetuning, the baseline of every finding; adapters are shown beside it.
  for (const other of ['full', 'adapter']) {
    const o = picks.get(other);
    if (!lora || !o) continue;
    const reference = other === 'adapter' ? ' (for reference; the verdict compares with full finetuning)' : '';
    if (Math.max(lora.mem.max, o.mem.max) <= NOTHING_LEARNED) {
      why.push(`LoRA vs ${other}: both at most ${NOTHING_LEARNED} ROUGE-L on the held-out instances; nothing to compare${reference}`);
      continue;
    }
    const c = compare(lora.mem, o.mem);
    if (other === 'full') parts.push(c === 'below' ? 'holds' : c === 'above' ? 'does not hold' : 'inconclusive');
    why.push(`LoRA ${lora.mem.mean.toFixed(1)} vs ${other} ${o.mem.mean.toFixed(1)} on held-out instances of the training tasks: ${c === 'below' ? 'LoRA lower' : c === 'above' ? 'LoRA higher' : 'not told apart (seed ranges overlap, or less than 1 point apart)'}${reference}`);
  }
  if (lora && !picks.get('full')) why.push('needs full finetuning runs with the memorization evaluation beside LoRA');
  const figures: Figure[] = present.length > 0
    ? [{
        file: `${prefix}finding4-memorization.svg`,
        svg: barChartSvg({ title: 'Memorization vs unseen tasks', subtitle: 'ROUGE-L, mean over seeds', seriesLabels: ['held-out instances of training tasks', 'unseen test tasks'], groups: present.map((m) => ({ label: m, values: [picks.get(m)!.mem.mean, picks.get(m)!.test?.mean ?? null] })), format: (v) => v.toFixed(1) }),
        caption: 'Each method at its best setting by test ROUGE-L (ties: by memorization): held-out instances of its training tasks against the unseen test tasks',
      }]
    : [];
  return { number: 4, title: 'Memorization of training tasks', claim: 'LoRA memorizes training tasks less well (scores lower on held-out instances of training tasks).', verdict: combine(parts), why, table, figures };
}

/** The kind of data a row trained on (runs without a data setting trained on the built-in SuperNI tasks). */
function dataKindOf(r: ResultRow): DataSpec['kind'] {
  return dataSpecKind(String((JSON.parse(r.settings) as Record<string, unknown>).data ?? 'builtin'));
}

/** Whether a row trained on SuperNI-format data (the findings 1-4 and the ablations read only those). */
export const isSuperNIRow = (r: ResultRow): boolean => isSuperNIKind(dataKindOf(r));

/** The benchmarks that measure complex reasoning, coding and long-form generation (finding 5's claim); MMLU and
 * TruthfulQA are reported beside them. */
const FINDING5_BENCHMARKS = ['gsm8k', 'bbh', 'humaneval', 'alpaca_eval'];

/** The metric a benchmark is compared by: its first headline metric (benchmark-train-evaluator.ts), else its first. */
function benchmarkMetric(name: string, scores: Record<string, number>): string | undefined {
  return BENCHMARK_METRICS[name as Benchmark]?.find((m) => m in scores) ?? Object.keys(scores).sort()[0];
}

function finding5(rows: ResultRow[]): Finding {
  const claim = 'In open instruction tuning (TÜLU), both fall short of full finetuning on complex reasoning, coding and long-form generation; LoRA is stronger than adapters there.';
  const tulu = rows.filter((r) => dataKindOf(r) === 'tulu' && (r.status === 'completed' || r.status === 'diverged'));
  // method -> benchmark -> the comparison metric's values over the method's runs.
  const values = new Map<string, Map<string, { metric: string; xs: number[] }>>();
  for (const r of tulu) {
    const bench = r.benchmarks ? (JSON.parse(r.benchmarks) as Record<string, Record<string, number>>) : {};
    for (const [name, scores] of Object.entries(bench)) {
      const metric = benchmarkMetric(name, scores);
      if (metric === undefined) continue;
      const byBench = values.get(r.method) ?? new Map<string, { metric: string; xs: number[] }>();
      const entry = byBench.get(name) ?? { metric, xs: [] };
      entry.xs.push(scores[metric]!);
      byBench.set(name, entry);
      values.set(r.method, byBench);
    }
  }
  const benchmarks = [...new Set([...values.values()].flatMap((m) => [...m.keys()]))].sort();
  if (tulu.length === 0 || benchmarks.length === 0) {
    const why = tulu.length === 0
      ? ['the sweep has no TÜLU runs (run `sweep --preset tulu --bench-data <data/eval>`)']
      : [`the sweep trained ${tulu.length} run(s) on TÜLU data but evaluated none on an open-instruction benchmark (give the tulu preset --bench-data <data/eval>)`];
    return { number: 5, title: 'Open instruction tuning', claim, verdict: 'inconclusive', why, table: [], figures: [] };
  }
  const meanOf = (method: string, bench: string): number | null => {
    const e = values.get(method)?.get(bench);
    return e && e.xs.length > 0 ? e.xs.reduce((a, b) => a + b, 0) / e.xs.length : null;
  };
  const metricOf = (bench: string) => [...values.values()].map((m) => m.get(bench)?.metric).find((m) => m !== undefined)!;
  const methods = STUDY_COMPARED.filter((m) => values.has(m));
  const table = markdownTable(
    ['method', ...benchmarks.map((b) => `${b} (${metricOf(b)})`)],
    methods.map((m) => [m, ...benchmarks.map((b) => (meanOf(m, b) === null ? '–' : `${meanOf(m, b)!.toFixed(3)} (n=${values.get(m)!.get(b)!.xs.length})`))]),
  );
  const why: string[] = [];
  const parts: Verdict[] = [];
  const complex = benchmarks.filter((b) => FINDING5_BENCHMARKS.includes(b));
  if (complex.length === 0) why.push(`none of the claim's benchmarks (${FINDING5_BENCHMARKS.join(', ')}) was run; ${benchmarks.join(', ')} are shown for reference`);
  for (const b of complex) {
    const full = meanOf('full', b);
    const lora = meanOf('lora', b);
    const adapter = meanOf('adapter', b);
    if (full === null || lora === null || adapter === null) {
      why.push(`${b}: not every method was scored (full ${full ?? '–'}, lora ${lora ?? '–'}, adapter ${adapter ?? '–'})`);
      parts.push('inconclusive');
      continue;
    }
    const behind = lora < full && adapter < full;
    const loraAhead = lora > adapter;
    why.push(`${b}: full ${full.toFixed(3)}, lora ${lora.toFixed(3)}, adapter ${adapter.toFixed(3)}: both PEFT methods ${behind ? 'fall short of' : 'do not both fall short of'} full finetuning, and LoRA ${loraAhead ? 'is' : 'is not'} stronger than adapters`);
    parts.push(behind && loraAhead ? 'holds' : 'does not hold');
  }
  return { number: 5, title: 'Open instruction tuning', claim, verdict: combine(parts), why, table, figures: [] };
}

/** The five findings over one model's runs; `prefix` keeps figure files of several models apart. */
export function findings(rows: ResultRow[], prefix = ''): Finding[] {
  const superni = rows.filter(isSuperNIRow);
  const groups = groupBySetting(superni.filter((r) => r.status !== 'failed' && r.status !== 'pending' && r.status !== 'interrupted'));
  return [finding1(superni, groups, prefix), finding2(groups, prefix), finding3(groups, prefix), finding4(groups, prefix), finding5(rows)];
}
