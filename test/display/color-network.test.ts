/**
 * displayColorNetwork (UFLDL's, for the linear decoder's color features) on hand-made
 * features whose every pixel can be worked out on paper.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { colorFeatureImages, displayColorFeatures, displayColorNetwork, toBytes8 } from '../../src/display/network';
import { encodePng } from '../../src/display/png';

/** RGB of pixel (y, x). */
const pixel = (image: { width: number; values: Float32Array }, y: number, x: number) =>
  Array.from(image.values.subarray(3 * (y * image.width + x), 3 * (y * image.width + x) + 3));

describe('displayColorNetwork', () => {
  // Two features of 2×1 pixels: R plane, G plane, B plane, two values each.
  const A = Float64Array.of(
    2, -1, 0.5, 0.25, 0, 0, // feature 1
    -4, 1, 3, -3, 1, 2, // feature 2
  );
  const image = displayColorNetwork({ data: A, count: 2, tileWidth: 2, tileHeight: 1 });

  it('tiles round(√n) columns 1 pixel apart, no outer border, gaps white', () => {
    // round(√2) = 1 column, 2 rows: 2 wide, 1 + 1 + 1 high.
    expect([image.width, image.height, image.channels]).toEqual([2, 3, 3]);
    expect(pixel(image, 1, 0)).toEqual([1, 1, 1]);
    expect(pixel(image, 1, 1)).toEqual([1, 1, 1]);
  });

  it('divides each channel of each feature by its own largest |value|, a zero channel staying 0', () => {
    expect(pixel(image, 0, 0)).toEqual([1, 1, 0]);
    expect(pixel(image, 0, 1)).toEqual([-0.5, 0.5, 0]);
    expect(pixel(image, 2, 0)).toEqual([-1, 1, 0.5]);
    expect(pixel(image, 2, 1)).toEqual([0.25, -1, 1]);
  });

  it('ends with (I + 1)/2 mapped onto 0 … 255', () => {
    expect(Array.from(toBytes8(image).subarray(0, 6))).toEqual([255, 255, 128, 64, 191, 128]);
  });

  it('subtracts the mean of A first only when no value is negative', () => {
    // One 1×1 feature (R, G, B) = (1, 2, 3): mean 2, so (−1, 0, 1), each channel then scaled alone.
    const shifted = displayColorNetwork({ data: Float64Array.of(1, 2, 3), count: 1, tileWidth: 1, tileHeight: 1 });
    expect(pixel(shifted, 0, 0)).toEqual([-1, 0, 1]);
    const unshifted = displayColorNetwork({ data: Float64Array.of(1, -2, 3), count: 1, tileWidth: 1, tileHeight: 1 });
    expect(pixel(unshifted, 0, 0)).toEqual([1, -1, 1]);
  });

  it('reads each channel plane row-major, and fills grid cells past the last feature with white', () => {
    // Three 2×2 features: round(√3) = 2 columns, 2 rows, the fourth cell empty.
    const plane = [1, 2, 3, -4];
    const data = Float64Array.from({ length: 3 * 12 }, (_, n) => plane[n % 4] * (1 + Math.floor(n / 4)));
    const grid = displayColorNetwork({ data, count: 3, tileWidth: 2, tileHeight: 2 });
    expect([grid.width, grid.height]).toEqual([5, 5]);
    // Feature 2 (top right, starting at column 3): pixel (1, 0) of each plane is plane[2] / 4.
    expect(pixel(grid, 1, 3)).toEqual([0.75, 0.75, 0.75]);
    expect(pixel(grid, 0, 4)).toEqual([0.5, 0.5, 0.5]);
    for (let y = 3; y < 5; y++) for (let x = 3; x < 5; x++) expect(pixel(grid, y, x)).toEqual([1, 1, 1]);
  });

  it('refuses data that are not whole color features', () => {
    expect(() => displayColorNetwork({ data: new Float64Array(7), count: 1, tileWidth: 1, tileHeight: 2 })).toThrow(/7 values for 1 color images of 1 × 2 × 3/);
  });
});

describe('the linear decoder’s features', () => {
  // 1×1×3 patches, one hidden unit: θ = [W1 (3); W2 (3); b1 (1); b2 (3)], W1(0, i) at i.
  const shape = { visibleSize: 3, hiddenSize: 1, output: 'linear' as const };
  const theta = Float64Array.of(1, 0, 0.5, 9, 9, 9, 0, 0, 0, 0);
  const zca = Float64Array.of(2, 1, 0, 1, 3, 0, 0, 0, 1);

  it('are the rows of W1·ZCAWhite (W1 itself without a whitening)', () => {
    expect(Array.from(colorFeatureImages(theta, shape, { width: 1, height: 1 }, zca).data)).toEqual([2, 1, 0.5]);
    expect(Array.from(colorFeatureImages(theta, shape, { width: 1, height: 1 }).data)).toEqual([1, 0, 0.5]);
  });

  it('make an RGB PNG', () => {
    const png = decode(encodePng(displayColorFeatures(theta, shape, { width: 1, height: 1 }, zca), { scale: 2 }));
    expect([png.width, png.height, png.channels]).toEqual([2, 2, 3]);
    // (2, 1, 0.5): all ≥ 0, so the mean 7/6 is removed, then each channel is ±1.
    expect(Array.from(png.data.subarray(0, 3))).toEqual([255, 0, 0]);
  });
});
