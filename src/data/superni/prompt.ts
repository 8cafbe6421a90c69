// The SuperNI / Tk-Instruct prompt, character for character as the official encoder builds it:
// allenai/tk-instruct `src/ni_collator.py`, DataCollatorForNI.__call__ (the same code ships in
// allenai/natural-instructions' baselines). The study (STUDY.md "SuperNI protocol") uses the definition
// only; Tk-Instruct used the definition plus 2 positive examples.
//
//   task_name  = "{Task}. "                                   (only with addTaskName)
//   definition = "Definition: {Definition[0].strip()}" + "." if it does not end in punctuation, + "\n\n"
//   pos. ex. k = " Positive Example {k} -\n"
//                "Input: {input.strip()}" + "." rule + "\n"
//                " Output: {output.strip()}" + "." rule + "\n"
//                [" Explanation: {explanation.strip()}" + "." rule + "\n"]   (only with addExplanation)
//                "\n"
//   neg. ex. k = the same with " Negative Example {k} -\n"
//   task_input = "Now complete the following example -\n"
//                "Input: {input.strip()}" + "." rule + "\n"
//                "Output: "
//   source     = task_name + definition + "".join(pos) + "".join(neg) + task_input
//
// The "." rule appends a period when the text so far ends in a character outside Python's
// string.punctuation (so also when the stripped input is empty: the text then ends in a space). The leading
// spaces of " Positive Example", " Output:" and " Explanation:" are in the original and are kept.
// Examples are added in order while the source still fits: the original checks
// len(tokenize(definition + " ".join(pos_examples) + new_example + task_input)) <= max_source_length
// (note the " ".join in the check versus "".join in the result, and that the task name is not counted);
// `fits` reproduces that check when given (it may be asynchronous, as tokenizing is), and the first
// example that does not fit ends the list.

/** Python's string.punctuation. */
export const PYTHON_PUNCTUATION: ReadonlySet<string> = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** Python str.isspace() characters, so strip() trims exactly what Python's str.strip() trims. */
export const PY_WHITESPACE: ReadonlySet<string> = new Set([
  '\t', '\n', '\v', '\f', '\r', '\x1c', '\x1d', '\x1e', '\x1f', ' ', '\x85', '\xa0', '\u1680',
  '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
  '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
]);

/** Python's str.strip() with no arguments. */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.has(text[start]!)) start++;
  while (end > start && PY_WHITESPACE.has(text[end - 1]!)) end--;
  return text.slice(start, end);
}

/** Appends "." unless `text` already ends in ASCII punctuation (the ni_collator rule). */
export function withPeriod(text: string): string {
  const last = text[text.length - 1];
  return last !== undefined && PYTHON_PUNCTUATION.has(last) ? text : text + '.';
}

export interface PromptOptions {
  /** Start with "{task name}. " (default false). */
  addTaskName?: boolean;
  /** Include "Definition: ..." (default true). */
  addDefinition?: boolean;
  /** Positive examples to include, in file order (default 0, the study's setting). */
  posExamples?: number;
  /** Negative examples to include, in file order (default 0). */
  negExamples?: number;
  /** Add each example's explanation when it has one (default false). */
  addExplanation?: boolean;
  /** The original's length check for adding an example; when absent every requested example is added. */
  fits?: (text: string) => boolean | Promise<boolean>;
}

/** The parts of a task the prompt uses. */
export interface PromptTask {
  name: string;
  definition: string;
  positiveExamples: ReadonlyArray<{ input: string; output: string; explanation?: string }>;
  negativeExamples: ReadonlyArray<{ input: string; output: string; explanation?: string }>;
}

function exampleBlock(kind: 'Positive' | 'Negative', k: number, ex: { input: string; output: string; explanation?: string }, addExplanation: boolean): string {
  let s = ` ${kind} Example ${k} -\n`;
  s = withPeriod(s + `Input: ${pythonStrip(ex.input)}`) + '\n';
  s = withPeriod(s + ` Output: ${pythonStrip(ex.output)}`) + '\n';
  if (addExplanation && ex.explanation !== undefined) s = withPeriod(s + ` Explanation: ${pythonStrip(ex.explanation)}`) + '\n';
  return s + '\n';
}

/** The source text for one instance input (everything the model sees before the target). */
export async function buildSuperNIPrompt(task: PromptTask, input: string, options: PromptOptions = {}): Promise<string> {
  return (await buildSuperNIPromptDetailed(task, input, options)).prompt;
}

/** The prompt and how many demonstration examples made it in (fewer than asked when `fits` stopped them). */
export async function buildSuperNIPromptDetailed(
  task: PromptTask,
  input: string,
  options: PromptOptions = {},
): Promise<{ prompt: string; positiveExamples: number; negativeExamples: number }> {
  const addDefinition = options.addDefinition ?? true;
  const addExplanation = options.addExplanation ?? false;
  const fits = options.fits ?? (() => true);

  const taskInput = withPeriod(`Now complete the following example -\nInput: ${pythonStrip(input)}`) + '\nOutput: ';
  const taskName = options.addTaskName ? `${task.name}. ` : '';
  const definition = addDefinition ? withPeriod(`Definition: ${pythonStrip(task.definition)}`) + '\n\n' : '';

  const pos: string[] = [];
  for (const [idx, ex] of task.positiveExamples.slice(0, options.posExamples ?? 0).entries()) {
    const block = exampleBlock('Positive', idx + 1, ex, addExplanation);
    if (!(await fits(definition + pos.join(' ') + block + taskInput))) break;
    pos.push(block);
  }
  const neg: string[] = [];
  for (const [idx, ex] of task.negativeExamples.slice(0, options.negExamples ?? 0).entries()) {
    const block = exampleBlock('Negative', idx + 1, ex, addExplanation);
    if (!(await fits(definition + pos.join(' ') + neg.join(' ') + block + taskInput))) break;
    neg.push(block);
  }
  return { prompt: taskName + definition + pos.join('') + neg.join('') + taskInput, positiveExamples: pos.length, negativeExamples: neg.length };
}
