// The whole bad-input corpus, in README order.
import type { BadInputCase } from './case.js';
import { adapterCases } from './cases-adapter.js';
import { configCases } from './cases-config.js';
import { flagCases } from './cases-flags.js';
import { outputCases } from './cases-output.js';
import { resumeCases } from './cases-resume.js';
import { safetensorsCases } from './cases-safetensors.js';
import { superniCases } from './cases-superni.js';
import { tokenIdCases } from './cases-token-ids.js';
import { tokenizerCases } from './cases-tokenizer.js';
import { tuluCases } from './cases-tulu.js';
import { unicodeCases } from './cases-unicode.js';

export type { BadInputCase } from './case.js';

export const badInputCases: BadInputCase[] = [
  ...safetensorsCases,
  ...configCases,
  ...tokenizerCases,
  ...superniCases,
  ...tuluCases,
  ...flagCases,
  ...adapterCases,
  ...resumeCases,
  ...outputCases,
  ...unicodeCases,
  ...tokenIdCases,
];
