/** The benchmark page's state: the request from the URL, the reducer, the JSON a visitor copies. */
import { describe, expect, it } from 'vitest';
import { checkCost } from '../../bench/config';
import { costCheckText, DEFAULT_SIZES, initialState, reduce, requestFromQuery, resultsJson } from '../../src/pages/bench/state';

describe('benchmark page state', () => {
  it('reads sizes, repetitions, iterations and the tuning budget from the URL, defaults otherwise', () => {
    expect(requestFromQuery(new URLSearchParams(''))).toEqual({ sizes: DEFAULT_SIZES, reps: 5, iterations: 20, tuneBudgetMs: 2000 });
    const r = requestFromQuery(new URLSearchParams('sizes=small:256x16x8,bad:0x1x1,large:300x32x12&reps=2&iters=0&tune=-3'));
    expect(r.sizes).toEqual([
      { name: 'small', examples: 256, visibleSize: 16, hiddenSize: 8 },
      { name: 'large', examples: 300, visibleSize: 32, hiddenSize: 12 },
    ]);
    expect(r).toMatchObject({ reps: 2, iterations: 0, tuneBudgetMs: 2000 });
  });

  it('collects rows and says what failed; the JSON holds every field', () => {
    let s = reduce(initialState, { type: 'kernels', kernels: { summary: 'unrolled 8×8, table default', kernels: 'unrolled 8×8', source: 'table' } });
    s = reduce(s, { type: 'evaluation', row: { size: 'small', examples: 4, visibleSize: 2, hiddenSize: 1, medianMs: 1.23456, firstMs: 2, samplesMs: [1.23456], gflops: 0.1, dispatches: 18, cost: 3, costCheck: checkCost(3, 3.0003) } });
    s = reduce(s, { type: 'error', message: 'device lost' });
    expect(s.status).toBe('failed');
    const json = JSON.parse(resultsJson(s, requestFromQuery(new URLSearchParams('')), 'test agent'));
    expect(json).toMatchObject({ status: 'failed', error: 'device lost', userAgent: 'test agent', kernels: { source: 'table' }, adapter: null, training: [] });
    expect(json.evaluations[0].medianMs).toBe(1.235);
    expect(json.evaluations[0].costCheck).toMatchObject({ cost: 3, referenceCost: 3.0003, ok: true });
  });

  it('says ok or mismatch with the relative error against the float64 cost, at bench/config.ts\'s tolerance', () => {
    expect(costCheckText(checkCost(1.00001, 1))).toBe('ok (1.0e-5)');
    expect(costCheckText(checkCost(1.002, 1))).toBe('mismatch (2.0e-3 > 1e-4)');
    expect(costCheckText(checkCost(Number.NaN, 1))).toMatch(/^mismatch/);
  });
});
