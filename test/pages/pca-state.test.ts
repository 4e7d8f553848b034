/**
 * The PCA page's reducer and link (src/pages/pca/state.ts): a load per sample, projections per
 * slider move with the latest settings only (one in flight, moves meanwhile folded into one),
 * answers to replaced loads ignored, and the settings read from and written to the link.
 */
import { describe, expect, it } from 'vitest';
import {
  decodePcaLink,
  defaultSettings,
  encodePcaLink,
  epsilonFromSlider,
  initialState,
  reduce,
  sliderFromEpsilon,
  summary,
  type PcaState,
} from '../../src/pages/pca/state';
import type { LoadRequest, ProjectRequest } from '../../src/pages/pca/worker';
import { loaded, projected, run } from './pca-fixtures';

const load = { type: 'load', patches: 2000, seed: 1, gpu: true } as const;

/** The state after the first load has been answered and its first projection with it. */
function ready(): PcaState {
  const asked = run(load);
  const afterLoad = reduce(asked, loaded(asked.request as LoadRequest));
  return reduce(afterLoad, projected(afterLoad.request as ProjectRequest));
}

describe('PCA page state', () => {
  it('a load asks the worker once; its answer asks for the projection of the current sliders', () => {
    const asked = run(load);
    expect(asked.request).toEqual({ type: 'load', id: 1, patches: 2000, seed: 1, gpu: true });
    expect(asked).toMatchObject({ phase: 'loading', settings: { ...defaultSettings, patches: 2000 } });
    const withStatus = reduce(asked, { type: 'status', text: 'Eigendecomposition (float64)…' });
    expect(withStatus.status).toEqual({ kind: 'worker', text: 'Eigendecomposition (float64)…' });
    const afterLoad = reduce(withStatus, loaded(asked.request as LoadRequest));
    expect(afterLoad.request).toEqual({ type: 'project', loadId: 1, variance: 0.99, epsilon: 0.1 });
    expect(afterLoad).toMatchObject({ inFlight: true, status: { kind: 'loaded', patches: 2000, seconds: 2.5, device: 'gpu' } });
    expect(summary(afterLoad)).toMatchObject({ settled: false, k99: 113, k90: 36, device: 'gpu' });
    const done = reduce(afterLoad, projected(afterLoad.request as ProjectRequest));
    expect(done).toMatchObject({ phase: 'ready', inFlight: false, projections: 1 });
    expect(summary(done)).toMatchObject({ settled: true, k: 113, projectedVariance: 0.99, projectedEpsilon: 0.1, decompositions: 1 });
  });

  it('a slider move asks for a projection only; moves while one is computed become one request with the latest values', () => {
    const s = ready();
    const moved = reduce(s, { type: 'variance', value: 0.95 });
    expect(moved.request).toEqual({ type: 'project', loadId: 1, variance: 0.95, epsilon: 0.1 });
    let busy = moved;
    for (const value of [0.9, 0.85, 0.8]) busy = reduce(busy, { type: 'variance', value });
    busy = reduce(busy, { type: 'epsilon', value: 0 });
    // Nothing new sent while the first is in flight.
    expect(busy.request).toBe(moved.request);
    expect(busy).toMatchObject({ inFlight: true, pending: true });
    expect(summary(busy).settled).toBe(false);
    const answered = reduce(busy, projected(moved.request as ProjectRequest, 104));
    expect(answered.request).toEqual({ type: 'project', loadId: 1, variance: 0.8, epsilon: 0 });
    expect(answered).toMatchObject({ inFlight: true, pending: false, projections: 2 });
    const last = reduce(answered, projected(answered.request as ProjectRequest, 20));
    expect(summary(last)).toMatchObject({ settled: true, k: 20, projectedVariance: 0.8, projectedEpsilon: 0 });
    // The same value again is no move.
    expect(reduce(last, { type: 'variance', value: 0.8 })).toBe(last);
  });

  it('a move before the load is answered waits for it; a new sample drops the old answers', () => {
    const early = run(load, { type: 'epsilon', value: 1e-3 });
    expect(early.request).toMatchObject({ type: 'load' });
    const first = early.request as LoadRequest;
    const again = reduce(early, { ...load, seed: 7 });
    expect(again.request).toEqual({ type: 'load', id: 2, patches: 2000, seed: 7, gpu: true });
    // The first load's answer comes late: ignored.
    expect(reduce(again, loaded(first))).toBe(again);
    const afterLoad = reduce(again, loaded(again.request as LoadRequest));
    expect(afterLoad.request).toEqual({ type: 'project', loadId: 2, variance: 0.99, epsilon: 1e-3 });
    // A projection for load 1 is not this load's.
    expect(reduce(afterLoad, projected({ type: 'project', loadId: 1, variance: 0.99, epsilon: 1e-3 }))).toBe(afterLoad);
  });

  it('an error stops the page and says why; moves then ask nothing', () => {
    const failed = reduce(ready(), { type: 'error', message: 'the GPU failed', during: 'load' });
    expect(failed).toMatchObject({ phase: 'error', status: { kind: 'failed' }, error: 'the GPU failed', inFlight: false });
    expect(reduce(failed, { type: 'variance', value: 0.9 }).request).toBe(failed.request);
  });
});

describe('PCA page link and sliders', () => {
  it('the settings go into the link and come back', () => {
    const settings = { patches: 2000, seed: 3, variance: 0.95, epsilon: 0 };
    const query = encodePcaLink(settings);
    expect(query.toString()).toBe('patches=2000&seed=3&variance=0.95&epsilon=0');
    expect(decodePcaLink(`?${query}`)).toEqual({ settings, problems: [] });
    expect(decodePcaLink('')).toEqual({ settings: defaultSettings, problems: [] });
  });

  it('values a link gives that cannot be used are reported, the defaults in their place', () => {
    const { settings, problems } = decodePcaLink('?patches=100&seed=1.5&variance=1.5&epsilon=1e-12');
    expect(settings).toEqual(defaultSettings);
    expect(problems).toEqual([
      { field: 'patches', value: '100' },
      { field: 'seed', value: '1.5' },
      { field: 'variance', value: '1.5' },
      { field: 'epsilon', value: '1e-12' },
    ]);
    expect(decodePcaLink('?epsilon=abc&variance=').problems.map((p) => p.field)).toEqual(['variance', 'epsilon']);
  });

  it('the ε slider is log₁₀ ε, its leftmost position ε = 0', () => {
    expect(epsilonFromSlider(-8)).toBe(0);
    expect(epsilonFromSlider(-1)).toBeCloseTo(0.1, 12);
    expect(epsilonFromSlider(0)).toBe(1);
    expect(sliderFromEpsilon(0)).toBe(-8);
    expect(sliderFromEpsilon(0.1)).toBe(-1);
    expect(sliderFromEpsilon(1e-8)).toBe(-7.9);
    expect(sliderFromEpsilon(3e-5)).toBe(-4.5);
  });

  it('starts from the link\'s settings', () => {
    expect(initialState({ ...defaultSettings, epsilon: 0 }).settings.epsilon).toBe(0);
  });
});
