// HumanEval as open-instruct's eval/codex_humaneval/run_eval.py runs it: --samples completions per problem (default
// 20) sampled with temperature 0.1 and top_p 0.95, at most 512 new tokens, each cut before the first stop sequence
// ("\nclass", "\ndef", "\n#", "\nif", "\nprint"), run against the problem's tests (executeSamples: model-written
// code, so only with allowCodeExecution), and pass@k for k in 1, 5, 10 up to the number of samples.
// Generation stops only at EOS: the native generator stops at single tokens, not at the multi-token stop strings,
// so each row runs to EOS or the token limit and the completion is cut afterwards.
import type { TextTokenizer } from '../../tokenizer/types.js';
import { UsageError } from '../../util/usage-error.js';
import { humaneval } from '../benchmarks/index.js';
import { resolveInterpreter } from '../benchmarks/humaneval/interpreter.js';
import { generateTexts, type Generation } from '../generate.js';
import { truncationNotes, UNCAPPED_PROMPT_TOKENS, wrapOf } from './generation.js';
import type { BenchmarkRunner } from './types.js';

const MAX_NEW_TOKENS = 512;
const PASS_AT_KS = [1, 5, 10];

/** The one-line refusal when code execution was not allowed (the CLI's exit code 2). */
export const HUMANEVAL_REFUSAL =
  'HumanEval runs the Python code the model writes on this machine (each sample in its own process with time and memory limits, which is not a sandbox); pass --allow-code-execution to run it, best in a container or VM without credentials';

/**
 * The completion's text as decoded after the prompt's last token: tokenizers whose decoder drops the leading space
 * of a text (SentencePiece's Metaspace) would otherwise lose one space of the first line's indentation.
 * open-instruct gets the same by decoding prompt + completion and removing the decoded prompt.
 */
async function completionTexts(tokenizer: TextTokenizer, prompts: readonly string[], generations: readonly Generation[], perPrompt: number): Promise<string[]> {
  const encoded = await tokenizer.encodeBatch([...prompts]);
  return generations.map((g, i) => {
    const anchor = encoded[Math.floor(i / perPrompt)]!.slice(-1);
    const head = tokenizer.decode(anchor, { skipSpecialTokens: true });
    const full = tokenizer.decode([...anchor, ...g.tokens], { skipSpecialTokens: true });
    return anchor.length > 0 && full.startsWith(head) ? full.slice(head.length) : g.text;
  });
}

export const humanevalRunner: BenchmarkRunner = {
  settings: ['batchSize', 'maxNewTokens', 'samples', 'temperature', 'topP', 'samplingSeed', 'allowCodeExecution'],
  maxNewTokens: MAX_NEW_TOKENS,
  async run(model, tokenizer, o) {
    if (o.allowCodeExecution !== true) throw new UsageError(HUMANEVAL_REFUSAL);
    // A missing or too old python3 fails here, before the (long) generation; executeSamples reuses the probe.
    await resolveInterpreter(undefined, 'auto');
    const problems = humaneval.select(await humaneval.load(o.dir), o.maxInstances !== undefined ? { maxNumExamples: o.maxInstances } : {});
    const wrap = wrapOf(o.chatFormat, tokenizer);
    const prompts = humaneval.buildPrompts(problems, wrap ? { wrap } : {});
    const sampling = { samples: o.samples ?? 20, temperature: o.temperature ?? 0.1, topP: o.topP ?? 0.95, samplingSeed: o.samplingSeed ?? 42, maxNewTokens: o.maxNewTokens ?? MAX_NEW_TOKENS };
    // Each prompt `samples` times in a row: every copy is its own row with its own generator (continuous batching
    // seeds it from the seed and the row's index; T5's fixed batches draw each row from the batch's generator), so
    // the copies draw different completions.
    const rows = prompts.flatMap((p) => new Array<string>(sampling.samples).fill(p));
    const generations = await generateTexts(model, tokenizer, rows, {
      maxNewTokens: sampling.maxNewTokens,
      batchSize: o.batchSize ?? 16,
      temperature: sampling.temperature,
      topP: sampling.topP,
      seed: sampling.samplingSeed,
      maxPromptTokens: UNCAPPED_PROMPT_TOKENS,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const outputs = await completionTexts(tokenizer, prompts, generations, sampling.samples);
    const samples = outputs.map((output, i) => ({ taskId: problems[Math.floor(i / sampling.samples)]!.taskId, completion: humaneval.truncateAtStop(output) }));
    const executed = await humaneval.executeSamples(problems, samples, { allowCodeExecution: true });
    const ks = PASS_AT_KS.filter((k) => k <= sampling.samples);
    const predictions = executed.results.map((r, i) => ({
      task_id: r.taskId,
      sample: r.completionId,
      output: outputs[i],
      completion: samples[i]!.completion,
      passed: r.passed,
      status: r.status,
      result: r.result,
      ...(r.error !== undefined ? { error: r.error } : {}),
    }));
    return {
      metrics: humaneval.metrics(executed.results, ks),
      predictions,
      instances: problems.length,
      settings: { ...sampling, stopSequences: humaneval.STOP_SEQUENCES },
      details: { execution: { python: executed.python, pythonVersion: executed.pythonVersion, networkIsolated: executed.networkIsolated } },
      notes: [...executed.notes, ...truncationNotes(generations)],
    };
  },
};
