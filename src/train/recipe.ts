// `--recipe study`: the training settings the study's released code actually ran with, where they differ from
// peft-native's clean defaults (which follow the paper's text). Each line cites the released code
// (hepengfe/parameter_efficient_instruction_tuning, branch validation_ni_adapterpeft): peft_trainer.py (T),
// prompt_tuning.py (P), scripts/hfai/hp_run.sh (H), src/peft/tuners/adapter.py (A), and the DeepSpeed config
// configs/deepspeed/zero_stage3_offload_ft_config.json (DS) that full finetuning ran under. docs/RECIPES.md
// lists every point with the quoted lines, including those that need no change here and the ones not offered.
// Flags given explicitly always win over a recipe.
import { methodSpec, type TrainMethod } from '../peft/methods.js';
import type { TrainOptions } from './options.js';

export const RECIPES = ['default', 'study'] as const;
export type Recipe = (typeof RECIPES)[number];

/** The options a recipe sets for `method` (applied where the caller left them unset). */
export function recipeDefaults(recipe: Recipe, method: TrainMethod, given: TrainOptions): Partial<TrainOptions> {
  if (recipe === 'default') return {};
  return {
    // H:270 passes --num_train_epochs 4 (P:312-313's default is 2).
    ...(given.steps === undefined && given.epochs === undefined ? { epochs: 4 } : {}),
    // PEFT runs: transformers.optimization.AdamW with its default eps 1e-6 (T:249-254, the eps line is commented
    // out), and the loop never clips (T:904-909, accelerate DDP). Full finetuning ran under DeepSpeed: its
    // record's studyRecipe says what that changes (DS:3, DS:38).
    adamEps: 1e-6,
    maxGradNorm: 0,
    // One parameter group: weight decay on every trainable parameter, biases and norms included (T:250, T:296).
    weightDecayParams: 'all',
    // Encoder-decoders: T's load_data_collator builds DataCollatorForNI with label_pad_token_id=self.tokenizer.pad_token_id,
    // so a target's padding is trained to predict the pad token.
    labelPadding: 'pad',
    // The method's own points (adapter: A:337-339, A:422-423; BitFit: T:678-698), in its record.
    ...methodSpec(method).studyRecipe,
  };
}
