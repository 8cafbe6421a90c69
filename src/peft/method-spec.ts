// What a training method is, as one record: the contract every src/peft/<method>.ts fulfils with its
// exported MethodSpec, and the table in methods.ts lists. train, eval, bench, merge and the CLI read a
// method's flags, defaults, rules and file layout from its record and never branch on its name.
import type { NativeModel, NativeModelConfig } from '../native/binding.js';
import type { AdapterFolder } from './adapter-files.js';
import type { AdapterActivation, AdapterInit, AdapterPlacement } from './bottleneck.js';
import type { BitfitInit } from './bitfit.js';
import type { LoraInit, LoraTargets } from './lora.js';

/** The method-specific training options (camelCase, as the CLI flags: rank -> --rank). */
export interface MethodTrainOptions {
  /** LoRA/DoRA rank, alpha (default = rank), dropout, rsLoRA scaling and initialization. */
  rank?: number;
  alpha?: number;
  dropout?: number;
  rslora?: boolean;
  loraInit?: LoraInit;
  /** IA3: modules whose input is scaled (default down_proj). */
  feedforwardModules?: string[];
  /** Bottleneck adapters: houlsby (default, the study) or pfeiffer. */
  adapterPlacement?: AdapterPlacement;
  /** Bottleneck width (default 64); exclusive with reductionFactor. */
  adapterSize?: number;
  /** Bottleneck width = hidden size / this. */
  reductionFactor?: number;
  adapterActivation?: AdapterActivation;
  adapterInit?: AdapterInit;
  /** Prompt / prefix tuning: number of virtual tokens (default prompt 32, prefix 8). */
  virtualTokens?: number;
  promptInit?: 'random' | 'vocab';
  /** Prefix tuning: reparameterization MLP hidden size (default 512), or null for none. */
  prefixHiddenSize?: number | null;
  /** BitFit: a new bias starts at zeros (default) or normal(0, 1) (the study's released code). */
  bitfitInit?: BitfitInit;
}

/** An option key a method may own: its MethodTrainOptions keys and the shared --target-modules. */
export type MethodFlag = keyof MethodTrainOptions | 'targetModules';

/** A train flag a method owns, as the CLI offers it: `--rank <r>` for key `rank`. */
export interface MethodFlagSpec {
  key: keyof MethodTrainOptions;
  /** The flag's name when it is not the key's dashed form (prefixHiddenSize is --prefix-hidden). */
  flag?: string;
  /** Commander's value placeholder ('<n>'); absent for a switch. */
  value?: string;
  /** What it means for this method; methods that share a flag each add their part to its help. */
  help: string;
  choices?: readonly string[];
  /** Text -> value; FlagValueError (src/util/flag-values.ts) with a one-line reason. */
  parse?: (text: string) => unknown;
  /** The option's value from the parsed one, where they differ (commander keeps no null: 'none' -> null). */
  option?: (parsed: unknown) => unknown;
  /** A flag of the same method it cannot be given with. */
  conflicts?: keyof MethodTrainOptions;
}

/** LoRA/DoRA defaults a built-in model preset brings (src/models/builtin.ts). */
export interface LoraDefaults {
  rank?: number;
  alpha?: number;
  dropout?: number;
  targetModules?: readonly string[];
}

/** What `--recipe study` sets for a method (docs/RECIPES.md), where the user left the option unset. */
export interface StudyRecipeOptions extends MethodTrainOptions {
  targetModules?: string;
  adamEps?: number;
  maxGradNorm?: number;
}

/** Where a saved run's trained weights go and what else is written beside them. */
export interface SaveAdapterContext {
  baseModelNameOrPath: string;
  config: NativeModelConfig;
  extraFiles?: Array<[string, string]>;
}

/** Reading a method's saved adapter folder back: peft_type, options from its config, then its tensors. */
export interface AdapterReader<S> {
  /** adapter_config.json's peft_type. */
  peftType: string;
  /** The settings the folder's config describes; AdapterError naming the file and field otherwise. */
  settingsFromConfig(folder: AdapterFolder, config: NativeModelConfig): S;
  /** Copies the folder's tensors into a model that has the method applied with those settings. */
  loadWeights(model: NativeModel, folder: AdapterFolder, baseHint: string): Promise<void>;
}

/** One `bench --methods` entry's keys (`lora:r=8:targets=all-linear`), as train options. */
export interface BenchEntry {
  /** Key -> meaning, for --help and errors. */
  keys: Readonly<Record<string, string>>;
  /** The entry's values as train options; `int`/`num` parse a key as a positive integer / number. */
  options(params: Readonly<Record<string, string>>, int: (key: string) => number | undefined, num: (key: string) => number | undefined): { options: MethodTrainOptions; targets?: LoraTargets };
}

/**
 * Where a method's trained parameters live. Two methods combine (src/peft/combined.ts) only where they live in
 * different places: a linear layer holds one adapter, a row one set of virtual tokens.
 */
export type MethodPlace = 'linear layers' | 'biases' | 'sublayer outputs' | 'virtual tokens' | 'weights';

export interface MethodSpec<S extends { method: string }> {
  /** The --method value. */
  name: S['method'];
  /** How messages name it ("LoRA", "full finetuning"). */
  title: string;
  /** The flags it owns (any other method's flag given with it is an error), and whether it takes --target-modules. */
  cli: readonly MethodFlagSpec[];
  targetModules: boolean;
  /** Its settings from train options, with defaults and validation; LoraOptionsError with one line otherwise. */
  resolve(o: MethodTrainOptions, targets: LoraTargets | undefined, loraDefaults: LoraDefaults): S;
  /** One line for logs. */
  describe(s: S): string;
  /** Applies it to a native model (freezing the base unless it trains the base); returns the modules it changed. */
  apply(model: NativeModel, s: S, config: NativeModelConfig, seed: number): string[];
  /**
   * The settings in the module names of `config`'s architecture (src/models/module-names.ts: q_proj means q on
   * T5); absent where the method names no modules. applyMethod and saveAdapter apply it, so recorded options
   * stay as the user wrote them.
   */
  forModel?(s: S, config: NativeModelConfig): S;
  /** The targets whose matching the caller reports (a target that matched nothing), when it has any. */
  targets?(s: S): LoraTargets | null;
  /** Saves the trained parameters as an adapter folder; absent where the result is a whole checkpoint. */
  save?(model: NativeModel, dir: string, s: S, ctx: SaveAdapterContext): Promise<string[]>;
  /** Loading a saved adapter; absent where there is none. DoRA shares LoRA's (use_dora in the config). */
  reader?: AdapterReader<S>;
  bench: BenchEntry;
  /** Its `--recipe study` settings (docs/RECIPES.md cites the released code for each). */
  studyRecipe: StudyRecipeOptions;
  capabilities: {
    /** Trains every base weight: the run's result is a checkpoint, and it takes full finetuning's learning rate. */
    trainsBase: boolean;
    /** Takes packed batches (several sequences per row). */
    packing: boolean;
    /** Folds into the base weights (`peft-native merge`). */
    mergeable: boolean;
    /** Its adapter folder is HF PEFT's layout (PeftModel.from_pretrained loads it). */
    hfPeftLayout: boolean;
    /** Attaches to existing modules: matching none is an error in a benchmark. */
    adaptsModules: boolean;
    /** Where its trained parameters live (MethodPlace). */
    places: readonly MethodPlace[];
  };
}
