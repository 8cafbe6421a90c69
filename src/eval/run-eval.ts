// `peft-native eval` as a function: load the model (+ an adapter of any method, src/peft/methods.ts), run the SuperNI evaluation,
// write predictions.jsonl + metrics.json, print the table. Input problems are EvalOptionsError / AdapterError
// (usage errors, exit 2) raised before the model loads where possible.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { native } from '../native/binding.js';
import { DEVICE_CHOICES_TEXT, isDeviceName, resolveDevice } from '../native/device.js';
import { checkModelSpec, loadModel, modelDisplayName, type LoadedModel } from '../models/load.js';
import { trainedChatFormat } from './benchmark-runners/generation.js';
import { benchmarkOptionProblem, defaultMaxNewTokens, evaluateBenchmark, type BenchmarkOptions, type BenchmarkResult } from './benchmark-run.js';
import { PRECISIONS, checkDataSpec, type Precision } from '../train/options.js';
import { describeMethod, loadAdapter } from '../peft/methods.js';
import { formatDuration } from '../train/progress.js';
import { EVAL_SPLITS, evaluateSuperNI, type EvalSplit, type SuperNIEvalResult } from './superni-eval.js';
import { formatScoreTable } from './report.js';
import type { DataSelection } from '../data/sources.js';
import { timestamp } from '../train/timestamp.js';
import { BEST_WEIGHTS_DIR } from '../train/loop.js';
import { unwritableReason } from '../util/atomic-file.js';
import { isTrainMethod, methodSpec } from '../peft/methods.js';
import { RUN_CONFIG_FILE, RunConfigError, readRunConfig, type RunConfig } from '../train/run-config.js';
import { UsageError } from '../util/usage-error.js';
import { DEFAULT_MAX_NEW_TOKENS } from './generate.js';
import { maxPositions } from '../models/config.js';

export class EvalOptionsError extends UsageError {}

export interface EvalRunOptions {
  model?: string;
  adapter?: string;
  ignoreBaseName?: boolean;
  data?: string;
  splitDir?: string;
  split?: EvalSplit;
  tasks?: string[];
  maxInstances?: number;
  batchSize?: number;
  maxNewTokens?: number;
  maxSourceLength?: number;
  /** Seed of a built-in model's random initialization (training's --seed). */
  seed?: number;
  /** Training's --data-seed: dev carving and the memorization split's selection (default 42). */
  dataSeed?: number;
  instancesPerTask?: number;
  devTasks?: number;
  trainTasks?: number;
  /** A training run folder: its run_config.json gives the model, data, seed and the recorded task/instance
   * selection, and its adapter (when it holds one) is loaded unless `adapter` says otherwise. */
  run?: string;
  threads?: number;
  /** auto (default: the first CUDA device when there is one, else the CPU), cpu, cuda or cuda:N. */
  device?: string;
  /** fp32, or bf16 (bfloat16 autocast, the base stored in bfloat16); default: the run's training precision, else fp32. */
  precision?: Precision;
  /** Also the loss / perplexity of the first references (teacher forcing). */
  loss?: boolean;
  out?: string;
  overwrite?: boolean;
  quiet?: boolean;
  /** Where progress and the table go (default process.stderr / process.stdout). */
  log?: (line: string) => void;
  progressStream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
}

function checkPositive(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new EvalOptionsError(`${name} must be a positive integer, got ${v}`);
}

/** Validates everything that can be checked without loading the model. */
export async function checkEvalOptions(o: EvalRunOptions): Promise<void> {
  const split = o.split ?? 'test';
  if (!EVAL_SPLITS.includes(split)) throw new EvalOptionsError(`--split must be one of ${EVAL_SPLITS.join(', ')}, got ${split}`);
  for (const [name, v] of [
    ['--max-instances', o.maxInstances],
    ['--batch-size', o.batchSize],
    ['--max-new-tokens', o.maxNewTokens],
    ['--max-source-length', o.maxSourceLength],
    ['--instances-per-task', o.instancesPerTask],
    ['--train-tasks', o.trainTasks],
    ['--threads', o.threads],
  ] as const) {
    checkPositive(name, v);
  }
  if (o.devTasks !== undefined && (!Number.isInteger(o.devTasks) || o.devTasks < 0)) throw new EvalOptionsError(`--dev-tasks must be an integer >= 0, got ${o.devTasks}`);
  if (o.precision !== undefined && !PRECISIONS.includes(o.precision)) throw new EvalOptionsError(`unknown --precision "${String(o.precision)}" (expected ${PRECISIONS.join(' or ')})`);
  if (o.device !== undefined && !isDeviceName(o.device)) throw new EvalOptionsError(`unknown --device "${o.device}" (expected ${DEVICE_CHOICES_TEXT})`);
  checkDataSpec(o.data ?? 'builtin');
  if (o.splitDir !== undefined && !existsSync(o.splitDir)) throw new EvalOptionsError(`--split-dir ${o.splitDir} does not exist`);
  if (o.adapter !== undefined && !(existsSync(o.adapter) && statSync(o.adapter).isDirectory())) {
    throw new EvalOptionsError(`--adapter ${o.adapter} is not a folder (give an adapter folder: adapter_config.json + adapter_model.safetensors)`);
  }
  if (o.out !== undefined && existsSync(o.out) && !statSync(o.out).isDirectory()) throw new EvalOptionsError(`--out ${o.out} is a file, not a folder`);
  if (o.out !== undefined && existsSync(o.out) && !o.overwrite && readdirSync(o.out).some((f) => f === 'predictions.jsonl' || f === 'metrics.json')) {
    throw new EvalOptionsError(`--out ${o.out} already holds an evaluation (predictions.jsonl / metrics.json); choose another folder or pass --overwrite`);
  }
  await checkModelSpec(o.model ?? 'builtin:tiny');
}

/** Live progress on a terminal, a line per 10% otherwise. */
function progressPrinter(stream: { write(s: string): unknown; isTTY?: boolean }, started: number) {
  let lastDecile = -1;
  return (done: number, total: number) => {
    const elapsed = (Date.now() - started) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const line = `generating ${done}/${total}  ${(done / Math.max(elapsed, 1e-9)).toFixed(1)} inst/s  ${formatDuration(elapsed)} elapsed  ETA ${formatDuration(eta)}`;
    if (stream.isTTY) {
      stream.write(`\r${line}\x1b[K${done === total ? '\n' : ''}`);
    } else {
      const decile = Math.floor((10 * done) / total);
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(line + '\n');
      }
    }
  };
}

interface RunRecord {
  model: string;
  data: string;
  seed: number;
  dataSeed: number;
  selection: DataSelection;
  adapter?: string;
  precision: Precision;
  /** The run's --chat-template (conversation data), or null. */
  chatTemplate: string | null;
}

/** What `--run <dir>` takes from a training run folder. */
async function readRunRecord(dir: string): Promise<RunRecord> {
  let raw: RunConfig;
  try {
    raw = await readRunConfig(dir);
  } catch (err) {
    if (err instanceof RunConfigError) throw new EvalOptionsError(`--run ${err.message}`);
    throw err;
  }
  const file = path.join(dir, RUN_CONFIG_FILE);
  const { model, data, seed, dataSeed, method, precision, chatTemplate } = raw.options;
  const selection = (raw.data as { selection?: DataSelection } | undefined)?.selection;
  if (typeof model !== 'string' || typeof data !== 'string' || typeof seed !== 'number' || typeof selection?.tasks !== 'object') {
    throw new EvalOptionsError(`${file}: options.model, options.data, options.seed and data.selection are required (written by peft-native train)`);
  }
  // The weights the run's own test evaluation used: the best checkpoint's (<run>/best) when it saved them, else the final ones.
  const weights = existsSync(path.join(dir, BEST_WEIGHTS_DIR)) ? path.join(dir, BEST_WEIGHTS_DIR) : dir;
  // A method that trains the base saved a whole checkpoint: that is the model. Others saved an adapter for the run's model.
  const trained = isTrainMethod(method) && methodSpec(method).capabilities.trainsBase ? { model: weights } : existsSync(path.join(weights, 'adapter_config.json')) ? { model, adapter: weights } : { model };
  // Runs made before --data-seed chose their data with `seed`; the recorded selection is what counts either way.
  return { ...trained, data, seed, dataSeed: typeof dataSeed === 'number' ? dataSeed : seed, selection, precision, chatTemplate: typeof chatTemplate === 'string' ? chatTemplate : null };
}

/** The options with what `--run` records filled in, and its record (undefined without --run). */
async function withRunRecord(options: EvalRunOptions): Promise<{ o: EvalRunOptions; record: RunRecord | undefined }> {
  const record = options.run !== undefined ? await readRunRecord(options.run) : undefined;
  const o: EvalRunOptions = record
    ? { ...options, model: options.model ?? record.model, data: options.data ?? record.data, seed: options.seed ?? record.seed, dataSeed: options.dataSeed ?? record.dataSeed, adapter: options.adapter ?? record.adapter, precision: options.precision ?? record.precision }
    : options;
  return { o, record };
}

/** --out (or its default), checked writable before anything loads. */
async function writableOut(o: EvalRunOptions, name: string): Promise<string> {
  const out = o.out ?? path.join('runs', `${timestamp(new Date())}-eval-${name}`);
  const unwritable = await unwritableReason(out);
  if (unwritable !== null) throw new EvalOptionsError(`--out ${out} cannot be written (${unwritable}); nothing was evaluated`);
  return out;
}

function sayer(o: EvalRunOptions): (line: string) => void {
  return o.quiet ? () => {} : (o.log ?? ((line: string) => process.stderr.write(line + '\n')));
}

/** The model of an evaluation: loaded, with its adapter, in the evaluation's precision, on its device. */
async function loadEvalModel(o: EvalRunOptions, say: (line: string) => void, what: string): Promise<LoadedModel> {
  const modelSpec = o.model ?? 'builtin:tiny';
  const addon = native();
  if (o.threads !== undefined) addon.setNumThreads(o.threads);
  const device = resolveDevice(o.device ?? 'auto');
  say(`peft-native eval: ${modelSpec}${o.adapter ? ` + adapter ${o.adapter}` : ''} on ${what}`);
  const loaded = await loadModel(modelSpec, { seed: o.seed ?? 42 });
  if (o.adapter !== undefined) {
    const settings = await loadAdapter(loaded.model, o.adapter, { modelName: modelDisplayName(loaded.source), ignoreBaseName: o.ignoreBaseName });
    say(`  adapter: ${describeMethod(settings)}`);
  }
  // Evaluation in the training precision; a bfloat16 base is also what moves to the device.
  const precision = o.precision ?? 'fp32';
  loaded.model.setPrecision({ compute: precision, base: precision });
  await loaded.model.moveTo(device);
  say(`  device: ${device}${precision === 'bf16' ? ', bf16' : ''}`);
  return loaded;
}

/** The evaluated model's name for AlpacaEval's generator: the run's or the adapter's folder, else the model's
 * (a built-in "builtin:tiny" as "builtin-tiny", since the name goes into a file name). */
function evaluatedModelName(o: EvalRunOptions, loaded: LoadedModel): string {
  if (o.run !== undefined) return path.basename(path.resolve(o.run));
  if (o.adapter !== undefined) return path.basename(path.resolve(o.adapter));
  return modelDisplayName(loaded.source).replace(/:/g, '-');
}

/** A decoder's prompt and new tokens share its positions: a --max-new-tokens (or default) that leaves no room is a usage error. */
function checkNewTokens(o: EvalRunOptions & Pick<BenchmarkOptions, 'benchmark'>, loaded: LoadedModel): void {
  const maxNewTokens = o.maxNewTokens ?? defaultMaxNewTokens(o.benchmark);
  const positions = maxPositions(loaded.config);
  if (maxNewTokens !== undefined && maxNewTokens >= positions) {
    throw new EvalOptionsError(`--max-new-tokens ${maxNewTokens}${o.maxNewTokens === undefined ? ` (the ${o.benchmark} default)` : ''} leaves no room for a prompt: ${modelDisplayName(loaded.source)} has ${positions} positions (max_position_embeddings)`);
  }
}

/** `eval --benchmark`: an open-instruction benchmark (src/eval/benchmark-run.ts) on the model (+ adapter, or a --run's weights). */
export async function runBenchmarkEvaluation(options: EvalRunOptions & Omit<BenchmarkOptions, 'out' | 'metadata'>): Promise<BenchmarkResult> {
  const { o, record } = await withRunRecord(options);
  await checkEvalOptions(o);
  // A run's model sees its benchmark prompts in the chat format it was trained in, unless told otherwise.
  if (options.chatFormat === undefined && record) options = { ...options, chatFormat: trainedChatFormat(record.data, record.chatTemplate) };
  const problem = benchmarkOptionProblem(options);
  if (problem !== undefined) throw new EvalOptionsError(problem);
  if (!(existsSync(options.dir) && statSync(options.dir).isDirectory())) throw new EvalOptionsError(`--bench-data ${options.dir} is not a folder (give the benchmark's folder, e.g. data/eval/${options.benchmark})`);
  const out = await writableOut(o, options.benchmark);
  const say = sayer(o);
  const loaded = await loadEvalModel(o, say, `${options.benchmark} (${options.dir})`);
  checkNewTokens(options, loaded);
  const started = Date.now();
  const result = await evaluateBenchmark(loaded.model, loaded.tokenizer, {
    ...options,
    modelName: options.modelName ?? evaluatedModelName(o, loaded),
    ...(o.quiet || options.onProgress ? {} : { onProgress: progressPrinter(o.progressStream ?? process.stderr, started) }),
    out,
    metadata: { model: modelDisplayName(loaded.source), adapter: o.adapter === undefined ? null : path.resolve(o.adapter) },
  });
  for (const note of result.notes) say(`  note: ${note}`);
  if (!o.quiet) {
    const print = o.log ?? ((line: string) => process.stdout.write(line + '\n'));
    for (const [name, value] of Object.entries(result.metrics).filter(([k]) => !k.includes('/') || k.startsWith('average/'))) print(`${name}: ${value.toFixed(4)}`);
    const files = [result.files!.predictions, ...(result.files!.outputs !== undefined ? [result.files!.outputs] : []), result.files!.metrics];
    print(`${result.instances} instances, ${formatDuration((Date.now() - started) / 1000)}; written ${files.slice(0, -1).join(', ')} and ${files.at(-1)!}`);
  }
  return result;
}

export async function runEvaluation(options: EvalRunOptions): Promise<SuperNIEvalResult> {
  const { o, record } = await withRunRecord(options);
  await checkEvalOptions(o);
  const split = o.split ?? 'test';
  const data = o.data ?? 'builtin';
  const out = await writableOut(o, split);
  const say = sayer(o);
  const loaded = await loadEvalModel(o, say, `${data} (${split})`);
  // A decoder's prompt and new tokens share its positions (src/eval/generate.ts); say so before loading any data.
  const positions = maxPositions(loaded.config);
  const maxNewTokens = o.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (maxNewTokens >= positions) {
    throw new EvalOptionsError(`--max-new-tokens ${maxNewTokens} leaves no room for a prompt: ${modelDisplayName(loaded.source)} has ${positions} positions (max_position_embeddings)`);
  }
  const started = Date.now();
  const result = await evaluateSuperNI(loaded.model, loaded.tokenizer, {
    data,
    split,
    splitDir: o.splitDir,
    tasks: o.tasks,
    maxInstances: o.maxInstances,
    batchSize: o.batchSize,
    maxNewTokens: o.maxNewTokens,
    maxSourceLength: o.maxSourceLength,
    dataSeed: o.dataSeed,
    instancesPerTask: o.instancesPerTask,
    devTasks: o.devTasks,
    trainTasks: o.trainTasks,
    selection: record?.selection,
    loss: o.loss,
    out,
    metadata: { model: modelDisplayName(loaded.source), adapter: o.adapter === undefined ? null : path.resolve(o.adapter) },
    onProgress: o.quiet ? undefined : progressPrinter(o.progressStream ?? process.stderr, started),
  });
  for (const note of result.notes) say(`  note: ${note}`);
  if (!o.quiet) {
    const print = o.log ?? ((line: string) => process.stdout.write(line + '\n'));
    for (const line of formatScoreTable(result.overall, result.perCategory)) print(line);
    if (result.loss) print(`reference loss ${result.loss.meanLoss.toFixed(4)}, perplexity ${result.loss.perplexity.toFixed(2)} (${result.loss.targetTokens} target tokens)`);
    print(`${result.instances} instances, ${Object.keys(result.perTask).length} tasks, ${formatDuration((Date.now() - started) / 1000)}; written ${result.files!.predictions} and ${result.files!.metrics}`);
  }
  return result;
}
