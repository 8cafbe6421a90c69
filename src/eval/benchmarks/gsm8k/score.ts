// Scoring a GSM8K generation as open-instruct does (eval/gsm/run_eval.py @c93a41e L124-137): remove thousands
// commas, take the last number (re.findall(r"[-+]?\d*\.\d+|\d+", output)[-1]; the whole output when there is
// none), and compare with the target by exact match ignoring case and punctuation (so "-3" matches "3" and "1.5"
// matches "15", as there). The score is the fraction matched, in [0, 1].
import { exactMatchScore } from '../common/exact-match.js';
import { removeThousandsCommas } from './load.js';

// Python's \d is Unicode Nd; findall tries the decimal form first at each position.
const NUMBER = /[-+]?\p{Nd}*\.\p{Nd}+|\p{Nd}+/gu;

export function extractAnswer(output: string): string {
  const text = removeThousandsCommas(output);
  const numbers = text.match(NUMBER);
  return numbers ? numbers[numbers.length - 1]! : text;
}

/** { exact_match } over predictions (extractAnswer's) and targets (GsmInstance.answer). */
export function metrics(predictions: readonly string[], targets: readonly string[]): Record<string, number> {
  return { exact_match: exactMatchScore(predictions, targets) };
}
