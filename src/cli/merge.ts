// `peft-native merge`: folds a LoRA / DoRA / IA3 adapter into its base model and writes an HF checkpoint.
import { Command } from 'commander';
import { mergeAdapter } from '../peft/merge.js';
import { describeMethod } from '../peft/methods.js';
import { parseNumberFlag } from './train.js';

interface MergeFlags {
  model: string;
  adapter: string;
  out: string;
  maxShardSize?: number;
}

export function mergeCommand(): Command {
  return new Command('merge')
    .description('Merge a LoRA, DoRA or IA3 adapter into its base model; writes an HF checkpoint (config.json + safetensors + tokenizer files).')
    .requiredOption('--model <dir>', 'the base HF model folder the adapter was trained on')
    .requiredOption('--adapter <dir>', 'adapter folder (adapter_config.json + adapter_model.safetensors), from peft-native or HF PEFT')
    .requiredOption('--out <dir>', 'output folder for the merged checkpoint')
    .option('--max-shard-size <MB>', 'largest weight shard in MB (default 5000, as transformers)', parseNumberFlag('max shard size', (n) => n > 0, 'a positive number'))
    .addHelpText('after', '\nExample:\n  $ peft-native merge --model ./Llama-3.2-1B --adapter runs/lora-r64 --out ./Llama-3.2-1B-merged\n')
    .action(async (f: MergeFlags) => {
      const result = await mergeAdapter({
        model: f.model,
        adapter: f.adapter,
        out: f.out,
        ...(f.maxShardSize !== undefined ? { maxShardBytes: Math.round(f.maxShardSize * 1e6) } : {}),
      });
      process.stdout.write(`merged ${describeMethod(result.settings)} into ${result.mergedModules.length} modules; checkpoint written to ${f.out} (${result.files.length} files)\n`);
    });
}
