// AlpacaEval as open-instruct's eval/alpaca_farm/run_eval.py runs it, up to the judge: each instruction (wrapped
// with --chat-format), greedy generation stopping only at EOS, and the model outputs file that
// `alpaca_eval evaluate --model_outputs <file>` judges. The judge (GPT-4) does not run here, so there are no scores.
import path from 'node:path';
import type { NativeModel } from '../../native/binding.js';
import type { TextTokenizer } from '../../tokenizer/types.js';
import { isEncoderDecoder, maxPositions } from '../../models/config.js';
import { alpacaEval } from '../benchmarks/index.js';
import { encodePrompts, generateTexts } from '../generate.js';
import { truncationNotes, UNCAPPED_PROMPT_TOKENS, wrapOf } from './generation.js';
import type { BenchmarkRunner } from './types.js';

/** open-instruct's --max_new_tokens default. */
const OPEN_INSTRUCT_MAX_NEW_TOKENS = 8192;

/** The default new tokens: open-instruct's 8192, or for a decoder whatever its positions leave after the longest prompt. */
async function roomAfterPrompts(model: NativeModel, tokenizer: TextTokenizer, prompts: string[]): Promise<number> {
  const config = model.config();
  if (isEncoderDecoder(config)) return OPEN_INSTRUCT_MAX_NEW_TOKENS;
  const positions = maxPositions(config);
  const addBos = (tokenizer as { addBos?: unknown }).addBos === true;
  const encoded = await encodePrompts(prompts, tokenizer, { addBos, maxPromptTokens: positions });
  const longest = Math.max(0, ...encoded.map((e) => e.ids.length));
  // The last new token is never fed back, so prompt + new tokens may reach positions + 1; keep at least one.
  return Math.max(1, Math.min(OPEN_INSTRUCT_MAX_NEW_TOKENS, positions - longest + 1, positions - 1));
}

export const alpacaEvalRunner: BenchmarkRunner = {
  settings: ['batchSize', 'maxNewTokens'],
  async run(model, tokenizer, o) {
    const all = await alpacaEval.load(o.dir);
    const instances = o.maxInstances !== undefined ? all.slice(0, o.maxInstances) : all;
    const wrap = wrapOf(o.chatFormat, tokenizer);
    const prompts = alpacaEval.buildPrompts(instances, wrap ? { wrap } : {});
    const maxNewTokens = o.maxNewTokens ?? (await roomAfterPrompts(model, tokenizer, prompts));
    const generations = await generateTexts(model, tokenizer, prompts, {
      maxNewTokens,
      batchSize: o.batchSize ?? 16,
      maxPromptTokens: UNCAPPED_PROMPT_TOKENS,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const outputs = generations.map((g) => g.text);
    const generator = alpacaEval.generatorName(o.modelName ?? 'model');
    const predictions = instances.map((inst, i) => ({ index: inst.index, dataset: inst.dataset, instruction: inst.instruction, output: outputs[i], stoppedAtEos: generations[i]!.stoppedAtEos, ...(generations[i]!.promptTruncated ? { promptTruncated: true } : {}) }));
    const file = alpacaEval.outputFileName(generator);
    return {
      metrics: {},
      predictions,
      settings: { maxNewTokens, generator },
      notes: [`no judge runs here: score the outputs with \`alpaca_eval evaluate --model_outputs ${o.out !== undefined ? path.resolve(o.out, file) : file}\` (AlpacaEval's GPT-4 judge, outside peft-native)`, ...truncationNotes(generations)],
      extraFile: { name: file, write: (target) => alpacaEval.writeModelOutputs(target, instances, outputs, generator) },
    };
  },
};
