// The names of a block's linear modules in each architecture (as HF and PEFT name them), and the PEFT task type
// of its adapters. Targets are written in the Llama family's names by default (q_proj,v_proj; all-linear lists
// them); on T5 each such name means its T5 counterpart, so the study's defaults and recipes hold for both.
import type { NativeModelConfig } from '../native/binding.js';

/** The linear modules of a Llama-family block, by PEFT name. */
export const LLAMA_LINEAR_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

/** Llama-family name -> T5 name (attention projections of self- and cross-attention, the FFN's linears). */
const T5_NAME_OF: Record<string, string> = { q_proj: 'q', k_proj: 'k', v_proj: 'v', o_proj: 'o', gate_proj: 'wi_0', up_proj: 'wi_1', down_proj: 'wo' };

/** Every linear module name of the architecture's blocks (what all-linear means there). */
export function linearModuleNames(config: NativeModelConfig): string[] {
  if (config.modelType !== 't5') return [...LLAMA_LINEAR_MODULES];
  return config.gatedActivation ? ['q', 'k', 'v', 'o', 'wi_0', 'wi_1', 'wo'] : ['q', 'k', 'v', 'o', 'wi', 'wo'];
}

/**
 * A module name as `config`'s architecture spells it: a Llama-family name becomes its T5 counterpart on T5
 * (gate_proj / up_proj are the gated FFN's wi_0 / wi_1, and both are wi in an ungated one); any other name
 * is kept.
 */
export function moduleNameFor(config: NativeModelConfig, name: string): string {
  if (config.modelType !== 't5') return name;
  const t5 = T5_NAME_OF[name];
  if (t5 === undefined) return name;
  return !config.gatedActivation && (t5 === 'wi_0' || t5 === 'wi_1') ? 'wi' : t5;
}

/** Module names in `config`'s spelling, without duplicates, in their order. */
export function moduleNamesFor(config: NativeModelConfig, names: readonly string[]): string[] {
  return [...new Set(names.map((n) => moduleNameFor(config, n)))];
}

/** PEFT's task_type of an adapter for this model. */
export function peftTaskType(config: NativeModelConfig): 'CAUSAL_LM' | 'SEQ_2_SEQ_LM' {
  return config.modelType === 't5' ? 'SEQ_2_SEQ_LM' : 'CAUSAL_LM';
}
