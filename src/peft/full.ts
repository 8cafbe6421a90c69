// Full finetuning, the baseline the study measures every method against: every weight trains and the
// result is a whole HF checkpoint (saved by the train loop), not an adapter.
import type { MethodSpec } from './method-spec.js';

export type FullSettings = { method: 'full' };

export const FULL_METHOD: MethodSpec<FullSettings> = {
  name: 'full',
  title: 'full finetuning',
  cli: [],
  targetModules: false,
  resolve: () => ({ method: 'full' }),
  describe: () => 'full finetuning',
  apply: (model) => {
    model.enableFullFinetuning();
    return [];
  },
  bench: { keys: {}, options: () => ({ options: {} }) },
  // The study ran full finetuning under DeepSpeed (configs/deepspeed/zero_stage3_offload_ft_config.json): its
  // AdamW with eps 1e-8 (line 3) and "gradient_clipping": "auto" (line 38), which accelerate fills with 1.0.
  studyRecipe: { adamEps: 1e-8, maxGradNorm: 1 },
  capabilities: { trainsBase: true, packing: true, mergeable: false, hfPeftLayout: false, adaptsModules: false, places: ['weights'] },
};
