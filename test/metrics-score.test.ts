// scoreInstance and aggregateScores on small cases whose values are worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { aggregateScores, scoreInstance, SUPERNI_TEST_CATEGORIES, taskCategory, type ScoredInstance } from '../src/eval/metrics/score.js';

describe('scoreInstance', () => {
  it('maximizes each metric over the references on its own', () => {
    // prediction tokens [x, y].
    // ref 1 [x, y, z, w]: LCS 2, P = 2/2, R = 2/4 -> F = 2*1*0.5/1.5 = 2/3; unigram overlap 2 -> also 2/3.
    // ref 2 [y, x]: LCS 1, P = R = 1/2 -> F = 1/2; unigram overlap 2, P = R = 1 -> F = 1.
    // No reference normalizes to "x y": exact match 0.
    const scores = scoreInstance('x y', ['x y z w', 'y x']);
    expect(scores.rougeL).toBeCloseTo(2 / 3, 15);
    expect(scores.rouge1).toBe(1);
    expect(scores.exactMatch).toBe(0);
  });

  it('scores exact match after lowercasing and removing punctuation, keeping articles', () => {
    expect(scoreInstance('The Cat.', ['the cat']).exactMatch).toBe(1);
    expect(scoreInstance('cat', ['the cat']).exactMatch).toBe(0);
  });

  it('scores an empty prediction 0, except exact match against a reference that normalizes to nothing', () => {
    expect(scoreInstance('', ['Paris'])).toEqual({ exactMatch: 0, rougeL: 0, rouge1: 0 });
    // normalize_answer('...') == '' == normalize_answer(''): the official script counts this as a match.
    expect(scoreInstance('', ['...'])).toEqual({ exactMatch: 1, rougeL: 0, rouge1: 0 });
  });

  it('rejects an instance without references', () => {
    expect(() => scoreInstance('x', [])).toThrow(/at least one reference/);
  });
});

describe('aggregateScores', () => {
  const row = (task: string, category: string | null, exactMatch: number, rougeL: number, rouge1: number): ScoredInstance => ({
    task,
    category,
    scores: { exactMatch, rougeL, rouge1 },
  });
  const rows = [
    row('task_b', 'Title Generation', 1, 1, 1),
    row('task_a', 'Word Analogy', 0, 0.5, 0.75),
    row('task_b', 'Title Generation', 0, 0.25, 0.5),
    row('task_a', 'Word Analogy', 1, 0.25, 0.25),
    row('task_c', null, 0, 0, 0),
  ];

  it('averages overall, per task and per category, x 100', () => {
    const result = aggregateScores(rows);
    // overall: EM 2/5 = 40; ROUGE-L (1 + .5 + .25 + .25 + 0)/5 = 2/5 = 40; ROUGE-1 (1 + .75 + .5 + .25 + 0)/5 = 2.5/5 = 50.
    expect(result.overall).toEqual({ exactMatch: 40, rougeL: 40, rouge1: 50, count: 5 });
    // task_a: EM 1/2 = 50, ROUGE-L .75/2 = 37.5, ROUGE-1 1/2 = 50. task_b: EM 50, ROUGE-L 1.25/2 = 62.5, ROUGE-1 1.5/2 = 75.
    expect(result.perTask).toEqual({
      task_a: { exactMatch: 50, rougeL: 37.5, rouge1: 50, count: 2 },
      task_b: { exactMatch: 50, rougeL: 62.5, rouge1: 75, count: 2 },
      task_c: { exactMatch: 0, rougeL: 0, rouge1: 0, count: 1 },
    });
    // Categories: the same groups as task_a / task_b; task_c has no category and is left out.
    expect(result.perCategory).toEqual({
      'Title Generation': { exactMatch: 50, rougeL: 62.5, rouge1: 75, count: 2 },
      'Word Analogy': { exactMatch: 50, rougeL: 37.5, rouge1: 50, count: 2 },
    });
    expect(Object.keys(result.perTask)).toEqual(['task_a', 'task_b', 'task_c']);
  });

  it('rejects an empty list', () => {
    expect(() => aggregateScores([])).toThrow(/no scored instances/);
  });
});

describe('categories', () => {
  it("takes a task's first category, as the official reference file does", () => {
    expect(taskCategory({ categories: ['Title Generation', 'Misc.'] })).toBe('Title Generation');
    expect(taskCategory({ categories: [] })).toBeNull();
  });

  it('lists the 12 test categories, 6 scored by exact match and 6 by ROUGE-L', () => {
    expect(new Set(SUPERNI_TEST_CATEGORIES.map((c) => c.name)).size).toBe(12);
    expect(SUPERNI_TEST_CATEGORIES.filter((c) => c.metric === 'exactMatch')).toHaveLength(6);
  });
});
