/** The patches page's words (src/pages/patches/views.ts) for its facts; e2e/patches.spec.ts reads the page in a browser. */
import { describe, expect, it } from 'vitest';
import { BORDER } from '../../src/display/network';
import { initialState, reduce } from '../../src/pages/patches/state';
import { describeHovered, describeSample, statusBadge } from '../../src/pages/patches/views';
import { fields, image, run, sampled } from './patches-fixtures';

describe('patches page words', () => {
  it('the badge: loading, sampling, the worker’s words, the sample, a failure', () => {
    expect(statusBadge(initialState.status)).toEqual({ kind: 'running', text: 'loading…' });
    const requested = run({ type: 'sample', fields });
    expect(statusBadge(requested.status)).toEqual({ kind: 'running', text: 'sampling…' });
    expect(statusBadge(reduce(requested, { type: 'status', text: 'Loading and whitening the natural images…' }).status)).toEqual({
      kind: 'running',
      text: 'Loading and whitening the natural images…',
    });
    expect(statusBadge(reduce(requested, sampled()).status)).toEqual({ kind: 'pass', text: '200 of 10,000 · 1.2 s' });
    expect(statusBadge(reduce(requested, { type: 'error', message: 'x' }).status)).toEqual({ kind: 'fail', text: 'failed' });
  });

  it('the heading and paragraph of a sample', () => {
    expect(describeSample(sampled())).toEqual({
      title: '200 random patches of 8×8',
      summary:
        '10,000 patches sampled with seed 1; after normalization their values span [0.1, 0.9] with mean 0.456. ' +
        'Each tile is drawn as display_network does: the mean of all removed, each scaled by its own largest |value|.',
    });
  });

  it('where the hovered patch was cut, or why that is not known', () => {
    const s = run({ type: 'images', images: [image('barbara'), image('boat')], fromCache: false }, sampled());
    const { width, height } = s.sampled!.picture;
    const hovered = reduce(s, { type: 'hover', x: (BORDER + 9 * 3 + 4) / width, y: (BORDER + 9 * 2 + 4) / height });
    expect(hovered.hovered).toBe(37);
    expect(describeHovered(hovered)).toBe('Patch 38 (no. 113 of the sample): image 2 (boat), rows 37–44, columns 74–81.');
    expect(describeHovered(reduce(hovered, { type: 'leave' }))).toBe('');
    const unknown = run(sampled(1, false), { type: 'hover', x: 0.01, y: 0.02 });
    expect(describeHovered(unknown)).toBe('Patch 1 (no. 2 of the sample).');
    expect(describeHovered(reduce(unknown, { type: 'leave' }))).toBe('Where the patches were cut could not be worked out for this sampler.');
    expect(describeHovered(initialState)).toBe('');
  });
});
