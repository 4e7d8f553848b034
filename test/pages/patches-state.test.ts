/**
 * The patches page's reducer (src/pages/patches/state.ts): the requests the page's controls
 * make, the worker's messages, and the patch under the mouse.
 */
import { describe, expect, it } from 'vitest';
import { BORDER, gridLayout } from '../../src/display/network';
import {
  describeHovered,
  describeSample,
  initialState,
  patchAt,
  reduce,
  sampleRequest,
  summary,
  type Message,
  type PatchesState,
  type Sampled,
} from '../../src/pages/patches/state';
import type { ImagePicture } from '../../src/pages/patches/worker';

const run = (...messages: Message[]) => messages.reduce<PatchesState>(reduce, initialState);
const fields = { patches: '10000', patchSize: '8', seed: '1' };

const image = (name: string): ImagePicture => ({ name, width: 256, height: 256, gray: new Uint8ClampedArray(256 * 256) });

/** 200 patches of 8×8 in the grid displayPatches lays them out in (17 × 12), each 8 pixels and a border. */
const grid = gridLayout(200);
function sampled(showSeed = 1, known = true): Sampled {
  const indices = Array.from({ length: 200 }, (_, i) => 3 * i + showSeed);
  return {
    type: 'sampled',
    request: sampleRequest(fields, showSeed),
    picture: { width: BORDER + grid.columns * 9, height: BORDER + grid.rows * 9, values: new Float32Array(0) },
    shown: known ? indices.map((index, i) => ({ index, image: i % 2, top: i, left: 2 * i })) : undefined,
    indices,
    range: { min: 0.1, max: 0.9, mean: 0.4561 },
    seconds: 1.234,
  };
}

describe('patches page state', () => {
  it('"Sample" asks for the first 200, "Show 200 others" for the next, each as a new request', () => {
    const first = run({ type: 'sample', fields });
    expect(first).toMatchObject({ state: 'loading', showSeed: 1, status: { kind: 'running', text: 'sampling…' } });
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
    expect(s.status).toEqual({ kind: 'running', text: 'Loading and whitening the natural images…' });
    s = reduce(s, { type: 'images', images: [image('barbara'), image('boat')] });
    expect(summary(s)).toMatchObject({ state: 'loading', images: 2, shown: 0, positionsKnown: false });
    s = reduce(s, sampled());
    expect(s.status).toEqual({ kind: 'pass', text: '200 of 10,000 · 1.2 s' });
    expect(summary(s)).toEqual({ state: 'ready', shown: 200, images: 2, positionsKnown: true, error: '' });
    expect(describeSample(s.sampled!)).toEqual({
      title: '200 random patches of 8×8',
      summary:
        '10,000 patches sampled with seed 1; after normalization their values span [0.1, 0.9] with mean 0.456. ' +
        'Each tile is drawn as display_network does: the mean of all removed, each scaled by its own largest |value|.',
    });
    // The next request keeps the picture until its answer comes.
    const next = reduce(s, { type: 'reshuffle', fields });
    expect(next).toMatchObject({ state: 'loading', sampled: s.sampled });
  });

  it('the mouse picks a patch of the grid, and the page says where it was cut', () => {
    expect(reduce(initialState, { type: 'hover', x: 0.5, y: 0.5 })).toBe(initialState);
    const s = run({ type: 'images', images: [image('barbara'), image('boat')] }, sampled());
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
    expect(describeHovered(hovered)).toBe('Patch 38 (no. 113 of the sample): image 2 (boat), rows 37–44, columns 74–81.');
    const left = reduce(hovered, { type: 'leave' });
    expect(left.hovered).toBe(-1);
    expect(describeHovered(left)).toBe('');
    expect(reduce(left, { type: 'leave' })).toBe(left);
    // A new sample forgets the hovered patch.
    expect(reduce(hovered, sampled(2)).hovered).toBe(-1);
  });

  it('without the places of the cuts the page says so; a failure is shown and kept', () => {
    const unknown = run(sampled(1, false), { type: 'hover', x: 0.01, y: 0.02 });
    expect(summary(unknown).positionsKnown).toBe(false);
    expect(describeHovered(unknown)).toBe('Patch 1 (no. 2 of the sample).');
    expect(describeHovered(reduce(unknown, { type: 'leave' }))).toBe('Where the patches were cut could not be worked out for this sampler.');
    expect(describeHovered(initialState)).toBe('');

    const failed = run({ type: 'sample', fields }, { type: 'error', message: 'the worker failed: x' });
    expect(failed).toMatchObject({ state: 'error', status: { kind: 'fail', text: 'failed' }, error: 'the worker failed: x' });
    expect(summary(failed).error).toBe('the worker failed: x');
  });
});
