// The instruction-quality ablation (`--instruction`): which instruction the training prompts carry.
//
//   definition           the task's definition only (the study's prompt; the default)
//   definition+examples  the definition plus the task's positive examples: exactly --pos-examples 2
//                        (Tk-Instruct's prompt), so the two spellings give the same training prompts
//   corrupted            the definition with its words shuffled: a seeded permutation of its whitespace-separated
//                        words (seed: the data seed and the task name), the same for every run with that data seed.
//                        This is this project's corruption: the study names the ablation but gives no procedure.
//
// Only training prompts change: evaluation prompts (dev, test, memorization) are built from the clean task as
// the run's --pos-examples says (definition only by default), so every kind is scored on the same prompts.
import { deriveSeed, mulberry32, shuffleInPlace } from '../seeded-random.js';
import { pythonStrip } from './prompt.js';

export const INSTRUCTION_KINDS = ['definition', 'definition+examples', 'corrupted'] as const;
export type InstructionKind = (typeof INSTRUCTION_KINDS)[number];

/** The positive examples of `definition+examples` (the same prompts as --pos-examples 2). */
export const INSTRUCTION_POS_EXAMPLES = 2;

export function isInstructionKind(v: unknown): v is InstructionKind {
  return typeof v === 'string' && (INSTRUCTION_KINDS as readonly string[]).includes(v);
}

/**
 * The positive examples of training prompts for `kind`, given --pos-examples (`posExamples`, or undefined).
 * definition+examples sets them itself, so it refuses a --pos-examples other than its own.
 */
export function instructionPosExamples(kind: InstructionKind, posExamples: number | undefined): number | undefined {
  if (kind !== 'definition+examples') return posExamples;
  if (posExamples !== undefined && posExamples !== INSTRUCTION_POS_EXAMPLES) {
    throw new Error(`--instruction definition+examples is --pos-examples ${INSTRUCTION_POS_EXAMPLES}; it cannot be given with --pos-examples ${posExamples}`);
  }
  return INSTRUCTION_POS_EXAMPLES;
}

/** A definition with its words in a seeded shuffled order, different from the original where its words allow. */
export function corruptDefinition(definition: string, seed: number, taskName: string): string {
  const words = pythonStrip(definition).split(/\s+/).filter((w) => w !== '');
  const original = words.join(' ');
  const random = mulberry32(deriveSeed(seed, taskName, 'corrupted-definition'));
  let shuffled = original;
  // A permutation can give the words back in their order (certain for one word or all-equal words): draw again.
  for (let attempt = 0; attempt < 16 && shuffled === original; attempt++) shuffled = shuffleInPlace([...words], random).join(' ');
  return shuffled;
}
