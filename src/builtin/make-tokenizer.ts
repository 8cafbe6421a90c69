// How the shipped built-in tokenizer (assets/builtin/) is made: a byte-level BPE trained on the built-in
// tasks' prompts (as the SuperNI prompt builder formats them) and outputs. `scripts/make-builtin-tokenizer.mjs`
// writes these files; a test checks that the committed ones equal a fresh build.
import { byteLevelTokenizerJson, trainByteLevelBpe } from '../tokenizer/bpe-trainer.js';
import { buildSuperNIPrompt } from '../data/superni/prompt.js';
import { parseSuperNITask } from '../data/superni/task.js';
import { generateBuiltinTaskFiles } from './tasks.js';

export const BUILTIN_VOCAB_SIZE = 1024;
/** Llama's layout: <unk> 0, <s> 1 (BOS), </s> 2 (EOS), plus <pad> 3. */
export const BUILTIN_SPECIAL_TOKENS = ['<unk>', '<s>', '</s>', '<pad>'] as const;

/** Training text: every instance's study prompt and output, and each task's few-shot prompt once. */
export async function builtinTokenizerCorpus(): Promise<string[]> {
  const texts: string[] = [];
  for (const [name, raw] of generateBuiltinTaskFiles()) {
    const task = parseSuperNITask(raw, name, 'builtin');
    for (const inst of task.instances) texts.push(await buildSuperNIPrompt(task, inst.input), ...inst.output);
    const first = task.instances[0]!;
    texts.push(await buildSuperNIPrompt(task, first.input, { posExamples: 2, negExamples: 2, addExplanation: true, addTaskName: true }));
  }
  return texts;
}

/** The contents of assets/builtin/tokenizer.json and tokenizer_config.json. */
export async function buildBuiltinTokenizerFiles(): Promise<{ tokenizerJson: string; tokenizerConfigJson: string }> {
  const specials = [...BUILTIN_SPECIAL_TOKENS];
  const trained = trainByteLevelBpe(await builtinTokenizerCorpus(), { vocabSize: BUILTIN_VOCAB_SIZE, specialTokens: specials, minFrequency: 2 });
  const tokenizer = byteLevelTokenizerJson(trained, { specialTokens: specials, bosToken: '<s>' });
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const [id, content] of specials.entries()) {
    addedTokensDecoder[String(id)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  }
  const config = {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: addedTokensDecoder,
    bos_token: '<s>',
    clean_up_tokenization_spaces: false,
    eos_token: '</s>',
    model_max_length: 2048,
    pad_token: '<pad>',
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: '<unk>',
  };
  return { tokenizerJson: JSON.stringify(tokenizer, null, 2) + '\n', tokenizerConfigJson: JSON.stringify(config, null, 2) + '\n' };
}
