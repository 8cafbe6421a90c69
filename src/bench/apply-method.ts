// Attaches a benchmarked method to a freshly loaded model, with the same native calls `train` uses.
import type { NativeModel } from '../native/binding.js';
import { parseTargetModules, toNativeLoraOptions, validateLoraOptions, type LoraOptions } from '../peft/lora.js';
import { BenchMethodError, intParam, type BenchMethod } from './method-spec.js';

export function applyBenchMethod(model: NativeModel, m: BenchMethod, seed: number): void {
  switch (m.name) {
    case 'full':
      model.enableFullFinetuning();
      return;
    case 'lora': {
      const r = intParam(m, 'r', 8);
      const lora: LoraOptions = {
        r,
        alpha: m.params['alpha'] !== undefined ? Number(m.params['alpha']) : r,
        dropout: 0,
        targets: parseTargetModules((m.params['targets'] ?? 'q_proj+v_proj').replace(/\+/g, ',')),
        useRslora: false,
        init: 'kaiming',
      };
      validateLoraOptions(lora);
      const applied = model.applyLora(toNativeLoraOptions(lora, seed));
      if (applied.targetedModules.length === 0) throw new BenchMethodError(`--methods entry "${m.label}": the LoRA targets match no module`);
      return;
    }
    default:
      throw new BenchMethodError(`--methods entry "${m.label}": method ${m.name} cannot be benchmarked`);
  }
}
