// Where a HumanEval completion ends, as open-instruct generates it (eval/codex_humaneval/run_eval.py
// @ d8a922becfadd6646033a69b6acd62a9937e7420, L55 and L76): the Codex paper's stop sequences "\nclass", "\ndef",
// "\n#", "\nif", "\nprint" (a later revision, @ 00ef71d0c0621e54ea76dab02ffc782b36f43573 L30, adds
// --additional_stop_sequence). vLLM cuts the text before the first stop string; the Hugging Face path
// (eval/utils.py generate_completions) cuts the tokens before the first position where a stop sequence starts.
// Both keep the text before the earliest occurrence of any stop sequence and drop the rest, the sequence included.
// Generation settings there: 512 new tokens at most, sampling with temperature 0.1 (--temperature) and top_p 0.95,
// 20 samples per problem (--unbiased_sampling_size_n).

export const STOP_SEQUENCES: readonly string[] = ['\nclass', '\ndef', '\n#', '\nif', '\nprint'];

/** The stop sequences of a run: the Codex five plus --additional_stop_sequence. */
export function stopSequences(additional: readonly string[] = []): string[] {
  return [...STOP_SEQUENCES, ...additional];
}

/** The completion up to (not including) the earliest occurrence of any stop sequence; empty ones are ignored. */
export function truncateAtStop(completion: string, stops: readonly string[] = STOP_SEQUENCES): string {
  let end = completion.length;
  for (const stop of stops) {
    if (stop === '') continue;
    const at = completion.indexOf(stop);
    if (at !== -1 && at < end) end = at;
  }
  return completion.slice(0, end);
}
