/** Messages for the patches page's tests (patches-state.test.ts, patches-views.test.ts). */
import { BORDER, gridLayout } from '../../src/display/network';
import { initialState, reduce, sampleRequest, type Message, type PatchesState, type Sampled } from '../../src/pages/patches/state';
import type { ImagePicture } from '../../src/pages/patches/worker';

export const run = (...messages: Message[]) => messages.reduce<PatchesState>(reduce, initialState);
export const fields = { patches: '10000', patchSize: '8', seed: '1' };

export const image = (name: string): ImagePicture => ({ name, width: 256, height: 256, gray: new Uint8ClampedArray(256 * 256) });

/** 200 patches of 8×8 in the grid displayPatches lays them out in (17 × 12), each 8 pixels and a border. */
export const grid = gridLayout(200);
export function sampled(showSeed = 1, known = true): Sampled {
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
