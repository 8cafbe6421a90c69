// Which questions and demonstrations open-instruct's TyDiQA run uses (eval/tydiqa/run_eval.py @c93a41e): random.seed(42)
// (L43); with --max_num_examples_per_lang, per language random.sample(questions of the language, max) when it has
// more, the languages' questions then following one another (L61-69); with --n_shot > 0, per language
// random.sample(train questions of the language, n_shot) (L90-92). open-instruct walks the languages in Python
// set order, which changes from run to run (string hashing is randomized); here they go in sorted order.
import { DataError } from '../../../data/errors.js';
import { PythonRandom } from '../../../data/python-random.js';
import { pythonSample } from '../common/python-sample.js';
import type { TydiqaExample } from './load.js';

export interface TydiqaSelectOptions {
  maxNumExamplesPerLang?: number;
  /** --n_shot (default 1). */
  nShot?: number;
  seed?: number;
}

export interface TydiqaSelection {
  instances: TydiqaExample[];
  /** The demonstrations of each language (empty lists for zero-shot). */
  shots: Map<string, TydiqaExample[]>;
}

export function select(dev: readonly TydiqaExample[], train: readonly TydiqaExample[] | null, options: TydiqaSelectOptions = {}): TydiqaSelection {
  const nShot = options.nShot ?? 1;
  const rng = new PythonRandom(options.seed ?? 42);
  const langs = [...new Set(dev.map((e) => e.lang))].sort();
  const max = options.maxNumExamplesPerLang;
  let instances = [...dev];
  if (max) {
    instances = langs.flatMap((lang) => {
      const ofLang = dev.filter((e) => e.lang === lang);
      return ofLang.length > max ? pythonSample(rng, ofLang, max) : ofLang;
    });
  }
  const shots = new Map<string, TydiqaExample[]>(langs.map((lang) => [lang, []]));
  if (nShot > 0) {
    if (train === null) throw new Error('demonstrations need the TyDiQA train file (load with nShot > 0)');
    for (const lang of langs) {
      const pool = train.filter((e) => e.lang === lang);
      if (pool.length < nShot) throw new DataError(`the TyDiQA train file has ${pool.length} ${lang} question(s); ${nShot} demonstration(s) need ${nShot}`);
      shots.set(lang, pythonSample(rng, pool, nShot));
    }
  }
  return { instances, shots };
}
