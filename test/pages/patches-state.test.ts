/**
 * The patches page's reducer (src/pages/patches/state.ts): the requests the page's controls
 * make, the worker's messages, and the patch under the mouse. The state holds facts; their
 * words are test/pages/patches-views.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BORDER } from '../../src/display/network';
import { initialState, patchAt, reduce, sampleRequest, summary } from '../../src/pages/patches/state';
import { fields, grid, image, run, sampled } from './patches-fixtures';

describe('patches page state', () => {
  it('"Sample" asks for the first 200, "Show 200 others" for the next, each as a new request', () => {
    const first = run({ type: 'sample', fields });
    expect(first).toMatchObject({ state: 'loading', showSeed: 1, status: { kind: 'sampling' } });
    expect(first.request).toEqual({ type: 'sample', patches: 10_000, patchSize: 8, seed: 1, showSeed: 1, shown: 200 });
    const again = reduce(reduce(first, { type: 'reshuffle', fields }), { type: 'reshuffle', fields: { ...fields, seed: '7' } });
    expect(again.request).toMatchObject({ seed: 7, showSeed: 3 });
    const restarted = reduce(again, { type: 'sample', fields });
    expect(restarted.request).not.toBe(first.request);
    expect(restarted.request).toEqual(first.request);
  });

  it('what is typed becomes a request the worker can serve', () => {
    expect(sampleRequest({ patches: '50', patchSize: '1', seed: '2.6' }, 1)).toMatchObject({ patches: 200, patchSize: 2, seed: 3 });
    expect(sampleRequest({ patches: '', patchSize: 'x', seed: '' }, 4)).toMatchObject({ patches: 10_000, patchSize: 8, seed: 0, showSeed: 4 });
  });

  it("the worker's status, images and sample make the page ready", () => {
    let s = run({ type: 'sample', fields }, { type: 'status', text: 'Loading and whitening the natural images…' });
    expect(s.status).toEqual({ kind: 'worker', text: 'Loading and whitening the natural images…' });
    s = reduce(s, { type: 'images', images: [image('barbara'), image('boat')], fromCache: false });
    expect(summary(s)).toMatchObject({ state: 'loading', images: 2, shown: 0, positionsKnown: false });
    s = reduce(s, sampled());
    expect(s.status).toEqual({ kind: 'sampled', shown: 200, patches: 10_000, seconds: 1.234 });
    expect(summary(s)).toEqual({ state: 'ready', shown: 200, images: 2, imagesFrom: 'prepared', positionsKnown: true, error: '' });
    expect(summary(reduce(s, { type: 'images', images: s.images, fromCache: true })).imagesFrom).toBe('cache');
    // The next request keeps the picture until its answer comes.
    const next = reduce(s, { type: 'reshuffle', fields });
    expect(next).toMatchObject({ state: 'loading', sampled: s.sampled });
  });

  it('the mouse picks a patch of the grid', () => {
    expect(reduce(initialState, { type: 'hover', x: 0.5, y: 0.5 })).toBe(initialState);
    const s = run({ type: 'images', images: [image('barbara'), image('boat')], fromCache: false }, sampled());
    const { width, height } = s.sampled!.picture;
    const at = (col: number, row: number) => ({ type: 'hover', x: (BORDER + 9 * col + 4) / width, y: (BORDER + 9 * row + 4) / height }) as const;
    expect(patchAt(s.sampled!, at(0, 0).x, at(0, 0).y)).toBe(0);
    expect(grid).toEqual({ columns: 17, rows: 12 });
    expect(patchAt(s.sampled!, at(3, 2).x, at(3, 2).y)).toBe(37);
    expect(patchAt(s.sampled!, at(16, 11).x, at(16, 11).y)).toBe(-1); // past the 200th
    expect(patchAt(s.sampled!, 0, 0)).toBe(-1);
    expect(patchAt(s.sampled!, 1, 0.5)).toBe(-1);

    const hovered = reduce(s, at(3, 2));
    expect(hovered.hovered).toBe(37);
    expect(reduce(hovered, at(3, 2))).toBe(hovered);
    const left = reduce(hovered, { type: 'leave' });
    expect(left.hovered).toBe(-1);
    expect(reduce(left, { type: 'leave' })).toBe(left);
    // A new sample forgets the hovered patch.
    expect(reduce(hovered, sampled(2)).hovered).toBe(-1);
  });

  it('without the places of the cuts a patch is still picked; a failure is shown and kept', () => {
    const unknown = run(sampled(1, false), { type: 'hover', x: 0.01, y: 0.02 });
    expect(summary(unknown).positionsKnown).toBe(false);
    expect(unknown.hovered).toBe(0);

    const failed = run({ type: 'sample', fields }, { type: 'error', message: 'the worker failed: x' });
    expect(failed).toMatchObject({ state: 'error', status: { kind: 'failed' }, error: 'the worker failed: x' });
    expect(summary(failed).error).toBe('the worker failed: x');
  });
});
