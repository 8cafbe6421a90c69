// `peft-native bench`: every method in its own fresh process (worker-main.ts), one after another, then
// a table, bench.json and bench.svg. MFU is against a peak FLOP/s that is either named (--peak-tflops)
// or measured here with a GEMM in the run's precision on the same libtorch and thread count.
import { spawn } from 'node:child_process';
import { mkdir, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../native/binding.js';
import { resolveDevice } from '../native/device.js';
import { parseBenchMethods, type BenchMethod } from './method-spec.js';
import { benchChartSvg } from './svg-chart.js';
import type { BenchSettings, BenchWorkerJob, BenchWorkerResult } from './worker.js';

export interface BenchOptions extends Omit<BenchSettings, 'device'> {
  /** auto, cpu, cuda or cuda:N. */
  device: string;
  methods: string;
  /** Named peak in TFLOP/s; measured when absent. */
  peakTflops: number | null;
  out: string;
  log: (line: string) => void;
}

export interface BenchPeak {
  flopsPerSecond: number;
  source: string;
}

/** The settings (seed and learning rate included, for reproduction), where it ran, the peak, the results. */
export interface BenchReport extends Omit<BenchSettings, 'threads'> {
  threads: number;
  torchVersion: string;
  peak: BenchPeak;
  results: Array<BenchWorkerResult & { mfu: number }>;
  createdAt: string;
}

/** dist/bench/worker-main.js of this package (also when the caller runs from the TypeScript sources). */
function workerScript(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return path.join(root, 'dist', 'bench', 'worker-main.js');
}

function runWorker(job: BenchWorkerJob, log: (line: string) => void): Promise<BenchWorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [workerScript(), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      stderrTail = (stderrTail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(`  ${line}`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) return resolve(JSON.parse(last) as BenchWorkerResult);
      const reason = stderrTail.trim().split('\n').filter((l) => l.startsWith('error:')).pop() ?? stderrTail.trim().split('\n').pop() ?? '';
      reject(new Error(`bench of ${job.method.label} failed (exit ${code}): ${reason.replace(/^error: /, '')}`));
    });
  });
}

async function measurePeak(precision: 'fp32' | 'bf16', device: string, log: (line: string) => void): Promise<BenchPeak> {
  // Large enough to saturate the device: 2048^3 on a CPU, 8192^3 on a GPU.
  const size = device === 'cpu' ? 2048 : 8192;
  const dtype = precision === 'bf16' ? 'bfloat16' : 'float32';
  // The best of several short trials: a peak is what the GEMM can reach, so a trial slowed by another
  // process on the machine must not lower it (that would inflate MFU).
  let best = 0;
  for (let trial = 0; trial < 5; trial++) {
    const t = await native().bench.matmulThroughput({ size, repeats: device === 'cpu' ? 4 : 10, dtype, device });
    best = Math.max(best, t.flopsPerSecond);
  }
  const where = device === 'cpu' ? `${native().info().threads} threads` : device;
  log(`peak: ${dtype} GEMM ${size}x${size} reaches ${(best / 1e9).toFixed(1)} GFLOP/s on ${where} (best of 5 trials)`);
  return { flopsPerSecond: best, source: `measured: ${dtype} GEMM ${size}^3, best of 5 trials, libtorch, ${where}` };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const methods: BenchMethod[] = parseBenchMethods(o.methods);
  const addon = native();
  if (o.threads !== null) addon.setNumThreads(o.threads);
  const info = addon.info();
  const device = resolveDevice(o.device);
  const peak: BenchPeak =
    o.peakTflops !== null ? { flopsPerSecond: o.peakTflops * 1e12, source: `named: ${o.peakTflops} TFLOP/s` } : await measurePeak(o.precision, device, o.log);

  const threads = o.threads ?? info.threads;
  const settings: BenchSettings = {
    model: o.model,
    batchSize: o.batchSize,
    seqLen: o.seqLen,
    steps: o.steps,
    warmup: o.warmup,
    threads,
    seed: o.seed,
    lr: o.lr,
    precision: o.precision,
    device,
    labels: o.labels,
    ...(o.baseDtype !== undefined ? { baseDtype: o.baseDtype } : {}),
    ...(o.data !== undefined ? { data: o.data } : {}),
  };
  const results: BenchReport['results'] = [];
  for (const method of methods) {
    o.log(`${method.label}: fresh process, ${o.warmup} warmup + ${o.steps} timed steps of ${o.data !== undefined ? `${o.batchSize} examples of ${o.data} (at most ${o.seqLen} tokens each)` : `${o.batchSize} x ${o.seqLen} tokens`}`);
    const r = await runWorker({ ...settings, method }, o.log);
    results.push({ ...r, mfu: r.achievedFlopsPerSecond / peak.flopsPerSecond });
  }

  const report: BenchReport = {
    ...settings,
    threads,
    torchVersion: info.torchVersion,
    peak,
    results,
    createdAt: new Date().toISOString(),
  };
  await mkdir(o.out, { recursive: true });
  await writeAtomically(path.join(o.out, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
  const where = device === 'cpu' ? `CPU, ${report.threads} threads` : device;
  const shape = o.data !== undefined ? `batches of ${o.batchSize} from ${o.data}` : `batch ${o.batchSize} x ${o.seqLen} (${o.labels === 'all' ? 'every token trained' : 'SuperNI-shaped labels'})`;
  const subtitle = `${o.model}, ${shape}, ${where}, ${o.precision}${o.precision === 'bf16' ? ` (base ${o.baseDtype ?? 'bf16'})` : ''}, libtorch ${info.torchVersion}, median of ${o.steps} steps`;
  const memory = device === 'cpu' ? 'peak RSS' : 'peak CUDA allocated';
  const svg = benchChartSvg('peft-native bench', subtitle, memory, results.map((r) => ({ label: r.label, tokensPerSec: r.tokensPerSec, peakMemoryBytes: peakMemoryOf(r) })));
  await writeAtomically(path.join(o.out, 'bench.svg'), svg);
  return report;
}

/** The memory a method is charged with: the CUDA allocator's peak on a GPU, the process's peak RSS on the CPU. */
function peakMemoryOf(r: BenchWorkerResult): number {
  return r.peakCudaAllocatedBytes ?? r.peakRssBytes;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The terminal table of a report. */
export function formatBenchTable(report: BenchReport): string {
  const cuda = report.device !== 'cpu';
  const header = ['method', 'step ms (p10-p90)', 'tokens/s', ...(cuda ? ['CUDA peak alloc / reserved', 'peak RSS'] : ['peak RSS']), 'trainable', 'GFLOP/token', 'MFU'];
  const rows = report.results.map((r) => [
    r.label,
    `${r.time.medianMs.toFixed(1)} (${r.time.p10Ms.toFixed(1)}-${r.time.p90Ms.toFixed(1)})`,
    r.tokensPerSec.toFixed(1),
    ...(cuda ? [`${mib(r.peakCudaAllocatedBytes ?? 0)} / ${mib(r.peakCudaReservedBytes ?? 0)}`] : []),
    mib(r.peakRssBytes),
    r.trainableParameters.toLocaleString('en-US'),
    (r.flopsPerToken / 1e9).toFixed(3),
    `${(100 * r.mfu).toFixed(1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), `MFU against ${report.peak.source}`].join('\n');
}
