#!/usr/bin/env node
// Training-step benchmark: HF transformers/peft (Python) vs peft-native (Node + libtorch).
//
//   node scripts/bench/compare-train-step.mjs [--config scripts/bench/configs/llama-small.json]
//       [--batch 4] [--seq 256] [--target-len 0 (T5: seq / 8)] [--steps 10] [--warmup 2] [--threads N] [--rounds 3]
//       [--methods lora,full] [--python .venv/bin/python] [--json-out results.json]
//       [--seed 0] [--rank 8] [--alpha 16] [--target-modules q_proj,v_proj] [--lr 1e-4]
//       [--device cpu|cuda|cuda:N] [--precision fp32|bf16] [--base-dtype fp32|bf16 (default: the precision)]
//       [--labels superni|all]
//
// --labels superni (the default) trains the last 15% of each row, the prompt masked, as instruction data does;
// all trains every token. --base-dtype: how LoRA's frozen base is stored (HF: the model in bfloat16 with PEFT's
// float32 adapters, under autocast); full finetuning keeps float32 master weights in both tools.
//
// Memory compared: peak RSS on the CPU; on CUDA the allocator's peak allocated bytes (each tool's own
// counter: torch.cuda.max_memory_allocated / peft-native's cudaMemory), with peak reserved alongside.
//
// For each method, runs `rounds` rounds; each round runs both tools, each in its own
// fresh process, alternating which goes first. Both scripts take the same flags and print
// one JSON line:
//   {"tool":"hf"|"peft-native","method":...,"stepTimesMs":[...],"tokensPerStep":n,
//    "peakRssMb":n,"trainable":n,"total":n,...}
// Prints a Markdown summary on stdout (child stderr is passed through to stderr).
// No dependencies.

import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const HF_SCRIPT = path.join(here, 'hf_train_step.py');
const NATIVE_SCRIPT = path.join(here, 'native-train-step.mjs');

const DEFAULTS = {
  config: path.join(here, 'configs', 'llama-small.json'),
  batch: '4',
  seq: '256',
  'target-len': '0',
  steps: '10',
  warmup: '2',
  threads: String(typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length),
  rounds: '3',
  methods: 'lora,full',
  python: path.join(repoRoot, '.venv', 'bin', 'python'),
  'json-out': '',
  seed: '0',
  rank: '8',
  alpha: '16',
  'target-modules': 'q_proj,v_proj',
  lr: '1e-4',
  device: 'cpu',
  precision: 'fp32',
  'base-dtype': '',
  labels: 'superni',
};
// flags forwarded verbatim to both step scripts
const FORWARDED = ['config', 'batch', 'seq', 'target-len', 'steps', 'warmup', 'threads', 'seed', 'rank', 'alpha', 'target-modules', 'lr', 'device', 'precision', 'base-dtype', 'labels'];

function usage(msg) {
  if (msg) process.stderr.write(`compare-train-step: ${msg}\n`);
  process.stderr.write(
    'usage: node scripts/bench/compare-train-step.mjs ' +
      Object.keys(DEFAULTS)
        .map((k) => `[--${k} ${DEFAULTS[k] || 'FILE'}]`)
        .join(' ') +
      '\n',
  );
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const opts = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') usage();
    if (!a.startsWith('--')) usage(`unexpected argument '${a}'`);
    let key = a.slice(2);
    let val;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      val = key.slice(eq + 1);
      key = key.slice(0, eq);
    } else {
      val = argv[++i];
    }
    if (!(key in DEFAULTS)) usage(`unknown flag --${key}`);
    if (val === undefined) usage(`--${key} needs a value`);
    opts[key] = val;
  }
  for (const k of ['batch', 'seq', 'steps', 'threads', 'rounds', 'rank']) {
    if (!/^[1-9]\d*$/.test(opts[k])) usage(`--${k} must be a positive integer (got '${opts[k]}')`);
  }
  if (!/^\d+$/.test(opts.warmup)) usage(`--warmup must be a non-negative integer (got '${opts.warmup}')`);
  opts.methodList = opts.methods.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of opts.methodList) if (m !== 'lora' && m !== 'full') usage(`unknown method '${m}'`);
  if (!/^(cpu|cuda(:\d+)?)$/.test(opts.device)) usage(`--device must be cpu, cuda or cuda:N (got '${opts.device}')`);
  if (opts.precision !== 'fp32' && opts.precision !== 'bf16') usage(`--precision must be fp32 or bf16 (got '${opts.precision}')`);
  if (opts['base-dtype'] === '') opts['base-dtype'] = opts.precision;
  if (!['fp32', 'bf16'].includes(opts['base-dtype'])) usage(`--base-dtype must be fp32 or bf16 (got '${opts['base-dtype']}')`);
  if (opts['base-dtype'] === 'bf16' && opts.precision !== 'bf16') usage('--base-dtype bf16 needs --precision bf16');
  if (opts.labels !== 'superni' && opts.labels !== 'all') usage(`--labels must be superni or all (got '${opts.labels}')`);
  opts.config = path.resolve(opts.config);
  return opts;
}

/** A path as given, or a bare command name looked up on PATH; null when there is none. */
function resolveExecutable(name) {
  if (name.includes(path.sep)) return existsSync(name) ? name : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function runChild(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => (out += d));
    child.on('error', (e) => reject(new Error(`failed to start ${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      const wallMs = Date.now() - t0;
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${signal ?? code}\nstdout:\n${out.slice(-2000)}`));
        return;
      }
      const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
      let parsed;
      for (let i = lines.length - 1; i >= 0 && !parsed; i--) {
        try {
          const j = JSON.parse(lines[i]);
          if (j && typeof j === 'object' && 'tool' in j) parsed = j;
        } catch {
          /* not JSON */
        }
      }
      if (!parsed) {
        reject(new Error(`${cmd} ${args.join(' ')}: no JSON result line on stdout:\n${out.slice(-2000)}`));
        return;
      }
      if (lines.length !== 1) process.stderr.write(`compare-train-step: warning: ${lines.length} stdout lines from ${cmd}, expected 1\n`);
      for (const k of ['stepTimesMs', 'tokensPerStep', 'peakRssMb']) {
        if (!(k in parsed)) {
          reject(new Error(`${cmd}: result has no '${k}': ${JSON.stringify(parsed)}`));
          return;
        }
      }
      resolve({ ...parsed, wallMs });
    });
  });
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

function summarize(runs) {
  const perRunMedians = runs.map((r) => median(r.stepTimesMs));
  const med = median(perRunMedians);
  const tokensPerStep = runs[0].tokensPerStep;
  return {
    runs: runs.length,
    medianStepMs: med,
    minRunMedianMs: Math.min(...perRunMedians),
    maxRunMedianMs: Math.max(...perRunMedians),
    perRunMediansMs: perRunMedians,
    tokensPerSec: tokensPerStep / (med / 1000),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    // What the tables compare: peak RSS on the CPU, the CUDA allocator's peak allocated bytes on a GPU.
    peakMemoryMb: Math.max(...runs.map((r) => r.peakCudaAllocatedMb ?? r.peakRssMb)),
    peakCudaReservedMb: runs[0].peakCudaReservedMb == null ? null : Math.max(...runs.map((r) => r.peakCudaReservedMb)),
    trainable: runs[0].trainable,
    total: runs[0].total,
    tokensPerStep,
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));

  if (!existsSync(NATIVE_SCRIPT)) {
    process.stderr.write(
      `compare-train-step: ${path.relative(repoRoot, NATIVE_SCRIPT)} is missing.\n` +
        'It is the peft-native side of this benchmark (same flags, one JSON line with "tool":"peft-native");\n' +
        'add it (and build the native addon: npm run build) before running the comparison.\n',
    );
    process.exit(1);
  }
  const python = resolveExecutable(opts.python);
  if (!python) {
    process.stderr.write(`compare-train-step: python interpreter '${opts.python}' not found (use --python)\n`);
    process.exit(1);
  }
  opts.python = python;
  if (!existsSync(opts.config)) {
    process.stderr.write(`compare-train-step: config '${opts.config}' not found\n`);
    process.exit(1);
  }

  const env = { ...process.env, OMP_NUM_THREADS: opts.threads, MKL_NUM_THREADS: opts.threads };
  const tools = {
    hf: (flags) => [opts.python, [HF_SCRIPT, ...flags]],
    'peft-native': (flags) => [process.execPath, [NATIVE_SCRIPT, ...flags]],
  };
  const toolNames = Object.keys(tools);
  const rounds = Number(opts.rounds);
  const results = []; // raw JSON results

  for (const method of opts.methodList) {
    const flags = ['--method', method];
    for (const k of FORWARDED) flags.push(`--${k}`, String(opts[k]));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? toolNames : [...toolNames].reverse();
      for (const tool of order) {
        const [cmd, args] = tools[tool](flags);
        process.stderr.write(`\ncompare-train-step: [${method} round ${r + 1}/${rounds}] ${tool}\n`);
        const res = await runChild(cmd, args, env);
        if (res.tool !== tool) process.stderr.write(`compare-train-step: warning: expected tool '${tool}', got '${res.tool}'\n`);
        if (res.method !== undefined && res.method !== method) throw new Error(`${tool} reported method '${res.method}', expected '${method}'`);
        res.tool = tool;
        res.method = method;
        res.round = r;
        results.push(res);
        process.stderr.write(
          `compare-train-step: ${tool}/${method}: median ${fmt(median(res.stepTimesMs))} ms/step, peak RSS ${fmt(res.peakRssMb)} MB` +
            (res.peakCudaAllocatedMb != null ? `, CUDA peak allocated ${fmt(res.peakCudaAllocatedMb)} MB` : '') +
            '\n',
        );
      }
    }
  }

  const summary = {};
  for (const tool of toolNames) {
    summary[tool] = {};
    for (const method of opts.methodList) {
      const runs = results.filter((r) => r.tool === tool && r.method === method);
      if (runs.length) summary[tool][method] = summarize(runs);
    }
  }

  const hfInfo = results.find((r) => r.tool === 'hf') ?? {};
  const lines = [];
  lines.push('## Training-step benchmark: peft-native vs HF transformers/peft');
  lines.push('');
  lines.push(
    `config \`${path.relative(repoRoot, opts.config) || opts.config}\`, batch ${opts.batch} x seq ${opts.seq} ` +
      `(${Number(opts.batch) * Number(opts.seq)} tokens/step), ${opts.steps} timed steps after ${opts.warmup} warmup, ` +
      `${opts.threads} threads, ${rounds} rounds (fresh process per run), LoRA r=${opts.rank} alpha=${opts.alpha} ` +
      `on ${opts['target-modules']}, AdamW lr ${opts.lr}, grad clip 1.0, ${opts.precision}` +
      (opts.precision === 'bf16' ? ` (LoRA base ${opts['base-dtype']})` : '') +
      `, ${opts.labels === 'superni' ? 'SuperNI-shaped labels (last 15% of each row trained)' : 'every token trained'}, device ${opts.device}. ` +
      `HF: torch ${hfInfo.torch ?? '?'}, transformers ${hfInfo.transformers ?? '?'}, peft ${hfInfo.peft ?? '?'}` +
      (hfInfo.attnImplementation ? ` (${hfInfo.attnImplementation} attention)` : '') +
      `; host ${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} logical CPUs).`,
  );
  lines.push('');
  const memory = opts.device === 'cpu' ? 'peak RSS' : 'CUDA peak allocated';
  lines.push(`| tool | method | median step (ms) | spread of run medians (ms) | tokens/s | ${memory} (MB) | trainable params | total params |`);
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const tool of toolNames) {
    for (const method of opts.methodList) {
      const s = summary[tool][method];
      if (!s) continue;
      lines.push(
        `| ${tool} | ${method} | ${fmt(s.medianStepMs)} | ${fmt(s.minRunMedianMs)} - ${fmt(s.maxRunMedianMs)} | ` +
          `${fmt(s.tokensPerSec)} | ${fmt(s.peakMemoryMb)} | ${fmtInt(s.trainable)} | ${fmtInt(s.total)} |`,
      );
    }
  }
  lines.push('');
  lines.push(`| method | tokens/s peft-native / hf | ${memory} peft-native / hf |`);
  lines.push('|---|---:|---:|');
  for (const method of opts.methodList) {
    const n = summary['peft-native'][method];
    const h = summary.hf[method];
    lines.push(`| ${method} | ${ratio(n?.tokensPerSec, h?.tokensPerSec)} | ${ratio(n?.peakMemoryMb, h?.peakMemoryMb)} |`);
  }
  if (opts.methodList.includes('lora') && opts.methodList.includes('full')) {
    lines.push('');
    lines.push(`| tool | tokens/s lora / full | ${memory} lora / full | trainable lora / full |`);
    lines.push('|---|---:|---:|---:|');
    for (const tool of toolNames) {
      const l = summary[tool].lora;
      const f = summary[tool].full;
      lines.push(
        `| ${tool} | ${ratio(l?.tokensPerSec, f?.tokensPerSec)} | ${ratio(l?.peakMemoryMb, f?.peakMemoryMb)} | ` +
          `${l && f ? ((100 * l.trainable) / f.trainable).toFixed(3) + '%' : 'n/a'} |`,
      );
    }
  }
  lines.push('');
  process.stdout.write(lines.join('\n'));

  if (opts['json-out']) {
    const { methodList, ...settings } = opts;
    writeFileSync(
      opts['json-out'],
      JSON.stringify({ settings: { ...settings, methods: methodList }, host: { cpus: os.cpus().length, model: os.cpus()[0]?.model }, results, summary }, null, 2) + '\n',
    );
    process.stderr.write(`compare-train-step: raw results written to ${opts['json-out']}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`compare-train-step: ${e.message}\n`);
  process.exit(1);
});
