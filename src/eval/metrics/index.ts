// The official SuperNI metrics: exact match, ROUGE-L and ROUGE-1 (rouge_score with NLTK's Porter stemmer).
export { porterStem } from './porter-stemmer.js';
export { rougeTokenize, rougeL, rouge1, rougeLFromTokens, rouge1FromTokens, lcsLength, fMeasure } from './rouge.js';
export { normalizeAnswer, exactMatch } from './exact-match.js';
export {
  scoreInstance,
  aggregateScores,
  taskCategory,
  SUPERNI_TEST_CATEGORIES,
  type InstanceScores,
  type MeanScores,
  type ScoredInstance,
  type AggregateScores,
  type HeadlineMetric,
} from './score.js';
