// The study's experiments as sweep specs (see docs/STUDY_REPRODUCTION.md for one command each), and `mini`,
// a miniature of all of them that runs on a CPU in minutes with the built-in tiny model and the shipped
// SuperNI tasks (assets/superni-mini; mini-ablations' diversity grid: assets/superni-categories). Grids and
// settings follow ../STUDY.md's table of the study's runs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SweepSpecError, type FlagValue, type GridSpec, type RunSettings, type SweepSpec } from './spec.js';

/** What a preset needs from the command line: the model(s) and data of a real run. */
export interface PresetInputs {
  models: string[];
  data?: string;
  splitDir?: string;
  /** open-instruct's data/eval folder: the tulu preset evaluates every run on the benchmarks it holds. */
  benchData?: string;
}

const STUDY_LRS = [1e-5, 5e-5, 1e-4, 5e-4, 1e-3];
const STUDY_SIZES = [8, 32, 64, 128, 256, 512];
const STUDY_SEEDS = [42, 127, 894];
const TASK_COUNTS = [8, 32, 64, 128, 256, 512, 707];

/** The study's SuperNI protocol (50 dev tasks, 8 dev evaluations, the best checkpoint tested, 4 epochs, effective batch 16). */
const STUDY_SUPERNI: RunSettings = {
  'dev-tasks': 50, 'eval-times': 8, test: true, epochs: 4, 'batch-size': 8, 'grad-accum': 2, 'save-steps': 200, 'save-total-limit': 2,
};

/** The LoRA / adapter / full-finetuning picks of the study's released code (scripts/hfai/hp_run.sh:280-285 runs the
 * memorization test on these; scripts/grid_search_3/grid_search_adapter_3.sh: adapter_size=256, LR=1e-4). */
const CHOSEN: Array<Record<string, FlagValue>> = [
  { method: 'lora', rank: 512, lr: 1e-4 },
  { method: 'adapter', 'adapter-size': 256, lr: 1e-4 },
  { method: 'full', lr: 1e-5 },
];

function superniInputs(preset: string, i: PresetInputs): RunSettings {
  const missing = [i.models.length === 0 ? '--model <hf dir>' : null, i.data === undefined ? '--data superni:<natural-instructions dir>' : null, i.splitDir === undefined ? '--split-dir <splits/default>' : null].filter(Boolean);
  if (missing.length > 0) throw new SweepSpecError(`--preset ${preset} needs ${missing.join(', ')}`);
  return { data: i.data!, 'split-dir': i.splitDir! };
}

const modelAxis = (i: PresetInputs): GridSpec['settings'] => ({ model: i.models.length === 1 ? i.models[0]! : i.models });

function lrGrid(i: PresetInputs): SweepSpec {
  const settings = { ...modelAxis(i), lr: STUDY_LRS, seed: 42 };
  return {
    name: 'lr-grid',
    description: 'Finding 1 and 2: every method over the learning-rate grid and its size grid (seed 42)',
    base: { ...STUDY_SUPERNI, ...superniInputs('lr-grid', i) },
    grids: [
      { name: 'lora', settings, variants: [{ method: 'lora', rank: STUDY_SIZES }] },
      { name: 'adapter', settings, variants: [{ method: 'adapter', 'adapter-size': STUDY_SIZES }] },
      { name: 'prefix', settings, variants: [{ method: 'prefix', 'virtual-tokens': 8, 'prefix-hidden': ['none', 256, 512, 1024] }, { method: 'prefix', 'virtual-tokens': [32, 128, 256, 512], 'prefix-hidden': 'none' }] },
      { name: 'prompt', settings, variants: [{ method: 'prompt', 'virtual-tokens': [8, 32, 128, 256] }] },
      { name: 'others', settings, variants: [{ method: 'ia3' }, { method: 'bitfit' }, { method: 'full' }] },
    ],
    memorization: null,
    benchmarks: {},
  };
}

/** One grid of the chosen LoRA / adapter / full-finetuning runs under the study's SuperNI protocol. */
function chosenMethods(name: string, description: string, i: PresetInputs, axes: GridSpec['settings'], memorization: RunSettings | null): SweepSpec {
  return {
    name,
    description,
    base: { ...STUDY_SUPERNI, ...superniInputs(name, i) },
    grids: [{ name, settings: { ...modelAxis(i), ...axes, seed: STUDY_SEEDS }, variants: CHOSEN }],
    memorization,
    benchmarks: {},
  };
}

const taskCount = (i: PresetInputs) =>
  chosenMethods('task-count', 'Finding 3: LoRA, adapters and full finetuning over the number of training tasks, 3 seeds (nested task subsets, the same for every seed)', i, { 'train-tasks': TASK_COUNTS }, null);

function modelSize(i: PresetInputs): SweepSpec {
  if (i.models.length < 2) throw new SweepSpecError('--preset model-size needs several models: give --model once per size');
  return chosenMethods('model-size', 'The model-size study: LoRA, adapters and full finetuning on each model, 3 seeds', i, {}, null);
}

/** The data ablations' axes (each preset: the chosen LoRA / adapter / full finetuning x the axis x 3 seeds). */
const ABLATION_SIZES = [8, 32, 100];
const ABLATION_TASK_COUNTS = [8, 32, 128, 512];
/** Categories for the diversity axis, at a fixed number of training tasks (SuperNI's default training split covers 60). */
const ABLATION_CATEGORIES = [2, 8, 32];
const ABLATION_DIVERSITY_TASKS = 64;
const INSTRUCTIONS = ['definition', 'definition+examples', 'corrupted'];

const ablateSize = (i: PresetInputs) =>
  chosenMethods('ablate-size', 'Ablation, dataset size: LoRA, adapters and full finetuning over the training instances per task, 3 seeds', i, { 'instances-per-task': ABLATION_SIZES }, null);
const ablateTasks = (i: PresetInputs) =>
  chosenMethods('ablate-tasks', 'Ablation, number of tasks: LoRA, adapters and full finetuning over the number of training tasks, 3 seeds', i, { 'train-tasks': ABLATION_TASK_COUNTS }, null);
const ablateDiversity = (i: PresetInputs) =>
  chosenMethods('ablate-diversity', `Ablation, task diversity: LoRA, adapters and full finetuning on ${ABLATION_DIVERSITY_TASKS} training tasks drawn from a growing number of task categories, 3 seeds`, i, { 'train-tasks': ABLATION_DIVERSITY_TASKS, 'train-categories': ABLATION_CATEGORIES }, null);
const ablateQuality = (i: PresetInputs) =>
  chosenMethods('ablate-quality', 'Ablation, instruction quality: LoRA, adapters and full finetuning trained with the definition, the definition and 2 positive examples, or a corrupted (word-shuffled) definition, 3 seeds', i, { instruction: INSTRUCTIONS }, null);

const memorization = (i: PresetInputs) =>
  chosenMethods('memorization', 'Finding 4: held-out instances of the training tasks against unseen tasks, LoRA vs adapters vs full finetuning, 3 seeds', i, {}, {});

/** open-instruct's data/eval folder names of the benchmarks the tulu preset evaluates, with their settings. */
const TULU_SUITE: Record<string, { folder: string; flags: RunSettings }> = {
  mmlu: { folder: 'mmlu', flags: { shots: 0 } },
  gsm8k: { folder: 'gsm', flags: { 'max-instances': 200 } },
  truthfulqa: { folder: 'truthfulqa', flags: {} },
};

/** The suite's benchmarks whose folder is in `root` (open-instruct's data/eval), each with the TÜLU chat format. */
function tuluSuite(root: string): SweepSpec['benchmarks'] {
  const present = Object.entries(TULU_SUITE).filter(([, b]) => existsSync(path.join(root, b.folder)));
  if (present.length === 0) throw new SweepSpecError(`--bench-data ${root} holds none of ${Object.values(TULU_SUITE).map((b) => b.folder).join(', ')} (open-instruct's data/eval layout)`);
  return Object.fromEntries(present.map(([name, b]) => [name, { 'bench-data': path.join(root, b.folder), 'chat-format': 'tulu', ...b.flags }]));
}

function tulu(i: PresetInputs): SweepSpec {
  if (i.models.length === 0 || i.data === undefined || !i.data.startsWith('tulu:')) throw new SweepSpecError('--preset tulu needs --model <hf dir> and --data tulu:<file.jsonl>');
  return {
    name: 'tulu',
    description: 'Finding 5: LoRA, adapters and full finetuning on TÜLU conversations, each evaluated on the open-instruction benchmarks of --bench-data',
    base: { data: i.data, epochs: 2, 'batch-size': 8, 'grad-accum': 2, 'save-steps': 200, 'save-total-limit': 2 },
    grids: [{ name: 'tulu', settings: { ...modelAxis(i), seed: 42 }, variants: CHOSEN }],
    memorization: null,
    benchmarks: i.benchData !== undefined ? tuluSuite(i.benchData) : {},
  };
}

/** assets/superni-mini of the package (two levels above this module in src/ and dist/). */
export function miniDataDir(): string {
  return fileURLToPath(new URL('../../assets/superni-mini/', import.meta.url));
}

/** assets/superni-categories of the package: SuperNI tasks of several categories, for mini-ablations' diversity grid. */
export function miniCategoriesDir(): string {
  return fileURLToPath(new URL('../../assets/superni-categories/', import.meta.url));
}

/**
 * Every experiment in miniature: the LR x size grid of LoRA and adapters, every other method, two training
 * task counts, the memorization test, 2 seeds; 30 runs of the built-in tiny model, and LoRA, adapters and full
 * finetuning of the built-in T5 (the study's model family): 36 runs (random weights, so the scores are
 * small: this checks the machinery end to end, not the study's numbers).
 */
function mini(i: PresetInputs): SweepSpec {
  if (i.models.length > 0 || i.data !== undefined || i.splitDir !== undefined) throw new SweepSpecError('--preset mini brings its own model and data; --model, --data and --split-dir cannot be given with it');
  const dir = miniDataDir();
  const seeds = [42, 127];
  return {
    name: 'mini',
    description: 'A miniature of the study: built-in tiny model and built-in T5, 9 training tasks (2 of them dev) and 3 test tasks of SuperNI, 2 seeds',
    base: {
      model: 'builtin:tiny', data: `superni:${dir}tasks`, 'split-dir': `${dir}splits`, 'dev-tasks': 2, 'train-tasks': 7, 'instances-per-task': 16,
      steps: 48, 'batch-size': 8, 'eval-times': 2, 'eval-max-instances': 6, 'max-new-tokens': 8, test: true, 'save-steps': 12, 'save-total-limit': 1,
    },
    grids: [
      {
        name: 'lr-size',
        settings: { lr: [2e-3, 1e-2], seed: seeds },
        variants: [{ method: 'lora', rank: [4, 16] }, { method: 'adapter', 'adapter-size': [16, 64] }],
      },
      {
        name: 'methods',
        settings: { seed: seeds },
        variants: [
          { method: 'ia3', lr: 1e-2 }, { method: 'prompt', 'virtual-tokens': 8, lr: 1e-2 }, { method: 'prefix', 'virtual-tokens': 8, lr: 5e-3 },
          { method: 'bitfit', lr: 1e-2 }, { method: 'full', lr: 1e-3 },
        ],
      },
      { name: 'task-count', settings: { 'train-tasks': [3, 7], seed: seeds }, variants: [{ method: 'lora', rank: 16, lr: 1e-2 }, { method: 'full', lr: 1e-3 }] },
      {
        name: 't5',
        settings: { model: 'builtin:t5-tiny', seed: seeds },
        variants: [{ method: 'lora', rank: 16, lr: 1e-2 }, { method: 'adapter', 'adapter-size': 64, lr: 1e-2 }, { method: 'full', lr: 1e-3 }],
      },
    ],
    memorization: { 'max-instances': 4, 'max-new-tokens': 8 },
    benchmarks: {},
  };
}

/** The task categories mini-ablations' diversity grid trains on, at MINI_DIVERSITY_TASKS training tasks each time. */
const MINI_DIVERSITY_CATEGORIES = [1, 2, 3];
const MINI_DIVERSITY_TASKS = 3;

/**
 * The four data ablations in miniature on shipped SuperNI tasks: LoRA, adapters and full finetuning of the
 * built-in tiny model, one seed, over instances per task {8, 32}, training tasks {3, 7} and the three instruction
 * kinds on assets/superni-mini (whose tasks are all in one category, "Misc."), and task categories {1, 2, 3} at 3
 * training tasks on assets/superni-categories (5 training tasks in 3 categories, its own dev and test task; with
 * the data seed, 42, the draw at K categories spans exactly K of them: see its README): 30 runs.
 */
function miniAblations(i: PresetInputs): SweepSpec {
  if (i.models.length > 0 || i.data !== undefined || i.splitDir !== undefined) throw new SweepSpecError('--preset mini-ablations brings its own model and data; --model, --data and --split-dir cannot be given with it');
  const dir = miniDataDir();
  const categories = miniCategoriesDir();
  const settings = { seed: 42 };
  const variants: GridSpec['variants'] = [{ method: 'lora', rank: 16, lr: 1e-2 }, { method: 'adapter', 'adapter-size': 64, lr: 1e-2 }, { method: 'full', lr: 1e-3 }];
  // The diversity grid's own tasks. Its split's dev_tasks.txt names the one dev task (the base's --dev-tasks 2
  // would ask for more than it lists), so no dev task is carved out of the training list: the category draw sees
  // all 5 training tasks.
  const diversityData = { data: `superni:${categories}tasks`, 'split-dir': `${categories}splits`, 'dev-tasks': 1 };
  return {
    name: 'mini-ablations',
    description: 'The data ablations in miniature: built-in tiny model; 9 training tasks (2 of them dev) and 3 test tasks of SuperNI (one category) for size, task count and instruction; 5 training tasks of 3 categories, 1 dev and 1 test task for diversity; LoRA / adapters / full finetuning over each axis, 1 seed',
    base: {
      model: 'builtin:tiny', data: `superni:${dir}tasks`, 'split-dir': `${dir}splits`, 'dev-tasks': 2,
      steps: 32, 'batch-size': 8, 'eval-times': 2, 'eval-max-instances': 6, 'max-new-tokens': 8, test: true, 'save-steps': 16, 'save-total-limit': 1,
    },
    grids: [
      { name: 'size', settings: { ...settings, 'instances-per-task': [8, 32] }, variants },
      { name: 'tasks', settings: { ...settings, 'train-tasks': [3, 7], 'instances-per-task': 16 }, variants },
      { name: 'diversity', settings: { ...settings, ...diversityData, 'train-categories': MINI_DIVERSITY_CATEGORIES, 'train-tasks': MINI_DIVERSITY_TASKS, 'instances-per-task': 16 }, variants },
      { name: 'quality', settings: { ...settings, instruction: INSTRUCTIONS }, variants },
    ],
    memorization: null,
    benchmarks: {},
  };
}

export const SWEEP_PRESETS: Record<string, { summary: string; make: (i: PresetInputs) => SweepSpec }> = {
  mini: { summary: 'every experiment in miniature on the built-in tiny model and T5, and shipped SuperNI tasks (CPU, minutes)', make: mini },
  'lr-grid': { summary: 'every method x learning rate x size (findings 1, 2); needs --model, --data, --split-dir', make: lrGrid },
  'task-count': { summary: 'LoRA/adapter/full x N training tasks x 3 seeds (finding 3); needs --model, --data, --split-dir', make: taskCount },
  'model-size': { summary: 'LoRA/adapter/full x models x 3 seeds; --model once per size, --data, --split-dir', make: modelSize },
  memorization: { summary: 'LoRA/adapter/full x 3 seeds with the memorization test (finding 4); needs --model, --data, --split-dir', make: memorization },
  'ablate-size': { summary: 'LoRA/adapter/full x instances per task {8, 32, 100} x 3 seeds (dataset-size ablation); needs --model, --data, --split-dir', make: ablateSize },
  'ablate-tasks': { summary: 'LoRA/adapter/full x training tasks {8, 32, 128, 512} x 3 seeds (number-of-tasks ablation); needs --model, --data, --split-dir', make: ablateTasks },
  'ablate-diversity': { summary: 'LoRA/adapter/full x task categories {2, 8, 32} at 64 training tasks x 3 seeds (task-diversity ablation); needs --model, --data, --split-dir', make: ablateDiversity },
  'ablate-quality': { summary: 'LoRA/adapter/full x instruction {definition, definition+examples, corrupted} x 3 seeds (instruction-quality ablation); needs --model, --data, --split-dir', make: ablateQuality },
  'mini-ablations': { summary: 'the four data ablations in miniature on the built-in tiny model and shipped SuperNI tasks (CPU, minutes)', make: miniAblations },
  tulu: { summary: 'LoRA/adapter/full on TÜLU data, each scored on the benchmarks of --bench-data (MMLU, GSM8K, TruthfulQA; finding 5); needs --model, --data tulu:<file>', make: tulu },
};

export function presetSpec(name: string, inputs: PresetInputs): SweepSpec {
  const preset = SWEEP_PRESETS[name];
  if (!preset) throw new SweepSpecError(`unknown preset "${name}" (expected ${Object.keys(SWEEP_PRESETS).join(', ')})`);
  return preset.make(inputs);
}
