import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import type { GrayImage } from '../../src/data/images';
import { normalizePatches, randomSubset, samplePatches, sampleRawPatches } from '../../src/data/patches';
import type { Dataset } from '../../src/reference/autoencoder';
import { Random } from '../../src/random';
import { expectDataError } from './expect-data-error';


/** An image whose pixel at (y, x) is k·10000 + y·100 + x, so a patch tells where it came from. */
function codedImage(k: number, width: number, height: number): GrayImage {
  const pixels = new Float64Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = k * 10000 + y * 100 + x;
  return { width, height, pixels };
}

function randomImage(width: number, height: number, seed: number): GrayImage {
  const rng = new Random(seed);
  return { width, height, pixels: Float64Array.from({ length: width * height }, () => rng.normal()) };
}

/** normalizeData.m, written out once more: per-patch mean, 3·std over all (N − 1), clamp, squash. */
function referenceNormalize(raw: Dataset): Float64Array {
  const { examples, visibleSize } = raw;
  const x = Float64Array.from(raw.data);
  for (let k = 0; k < examples; k++) {
    let mean = 0;
    for (let i = 0; i < visibleSize; i++) mean += x[k * visibleSize + i] / visibleSize;
    for (let i = 0; i < visibleSize; i++) x[k * visibleSize + i] -= mean;
  }
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / (x.length - 1));
  const pstd = 3 * std;
  return x.map((v) => ((Math.max(Math.min(v, pstd), -pstd) / pstd + 1) * 0.4 + 0.1));
}

describe('sampleRawPatches', () => {
  it('copies p×p pixels row-major from valid positions of the chosen image', () => {
    const images = [codedImage(1, 9, 7), codedImage(2, 5, 6)];
    const p = 3;
    // 7·5 + 3·4 = 47 positions.
    const raw = sampleRawPatches(images, { patchSize: p, count: 40, seed: 1 });
    expect(raw.examples).toBe(40);
    expect(raw.visibleSize).toBe(9);
    for (let k = 0; k < raw.examples; k++) {
      const patch = raw.data.subarray(k * 9, (k + 1) * 9);
      const image = Math.floor(patch[0] / 10000);
      const top = Math.floor((patch[0] % 10000) / 100);
      const left = patch[0] % 100;
      const { width, height } = images[image - 1];
      expect(top).toBeLessThanOrEqual(height - p);
      expect(left).toBeLessThanOrEqual(width - p);
      for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) expect(patch[y * p + x]).toBe(patch[0] + y * 100 + x);
    }
  });

  it('picks images with equal chance and positions uniformly, all the way to the edges', () => {
    const images = [codedImage(0, 40, 40), codedImage(1, 30, 30)];
    const raw = sampleRawPatches(images, { patchSize: 2, count: 2000, seed: 5 });
    let fromFirst = 0;
    const tops = new Set<number>();
    const lefts = new Set<number>();
    for (let k = 0; k < raw.examples; k++) {
      const first = raw.data[k * 4];
      if (first < 10000) {
        fromFirst++;
        tops.add(Math.floor(first / 100));
        lefts.add(first % 100);
      }
    }
    expect(fromFirst / 2000).toBeGreaterThan(0.45);
    expect(fromFirst / 2000).toBeLessThan(0.55);
    // All 39 rows and columns of top-left corners appear, none beyond.
    expect(tops.size).toBe(39);
    expect(lefts.size).toBe(39);
    expect(Math.max(...tops)).toBe(38);
    expect(Math.max(...lefts)).toBe(38);
  });

  it('skips images smaller than a patch', () => {
    const raw = sampleRawPatches([codedImage(1, 3, 3), codedImage(2, 10, 10), codedImage(3, 10, 2)], {
      patchSize: 4,
      count: 40,
      seed: 2,
    });
    for (let k = 0; k < raw.examples; k++) expect(Math.floor(raw.data[k * 16] / 10000)).toBe(2);
  });

  it('rejects bad sizes and counts, naming the problem', () => {
    const images = [codedImage(0, 4, 3), codedImage(1, 3, 3)];
    expectDataError(() => sampleRawPatches(images, { patchSize: 0, count: 1, seed: 1 }), /patch size must be a positive integer, got 0/);
    expectDataError(() => sampleRawPatches(images, { patchSize: 1.5, count: 1, seed: 1 }), /patch size/);
    expectDataError(() => sampleRawPatches(images, { patchSize: 2, count: 0, seed: 1 }), /number of patches must be a positive integer, got 0/);
    expectDataError(
      () => sampleRawPatches(images, { patchSize: 5, count: 1, seed: 1 }),
      /no image is large enough for 5×5 patches \(the largest is 4×3\)/,
    );
    // 3·2 + 2·2 = 10 positions of 2×2.
    expect(sampleRawPatches(images, { patchSize: 2, count: 10, seed: 1 }).examples).toBe(10);
    expectDataError(
      () => sampleRawPatches(images, { patchSize: 2, count: 11, seed: 1 }),
      /11 patches requested but the images have only 10 distinct 2×2 patch positions/,
    );
    expectDataError(() => sampleRawPatches([], { count: 1, seed: 1 }), /no images/);
    const nan = { ...codedImage(0, 4, 4), name: 'bad.png' };
    nan.pixels[5] = NaN;
    expectDataError(() => sampleRawPatches([nan], { patchSize: 2, count: 1, seed: 1 }), /^bad\.png: pixel at row 1, column 1 is NaN/);
  });
});

describe('samplePatches (sampleIMAGES + normalizeData)', () => {
  const images = [randomImage(64, 48, 1), randomImage(50, 70, 2)];

  it('computes normalizeData exactly on a hand-made patch', () => {
    // One 2×2 image, one patch: mean 2.5 → [−1.5 −0.5 0.5 1.5]; std (N − 1) = √(5/3);
    // pstd = 3√(5/3) ≈ 3.873 > 1.5, so nothing is clamped.
    const dataset = samplePatches([{ width: 2, height: 2, pixels: Float64Array.from([1, 2, 3, 4]) }], {
      patchSize: 2,
      count: 1,
      seed: 1,
    });
    const pstd = 3 * Math.sqrt(5 / 3);
    const expected = [-1.5, -0.5, 0.5, 1.5].map((v) => (v / pstd + 1) * 0.4 + 0.1);
    Array.from(dataset.data).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 15));
  });

  it('clamps at ±3 standard deviations', () => {
    // One patch of 99 zeros and a 100: mean 1, deviations −1 (×99) and 99; std (N − 1) =
    // √((99 + 99²)/99) = 10, pstd = 30, so 99 is clamped to 30 → 0.9.
    const data = new Float64Array(100);
    data[42] = 100;
    normalizePatches({ data, examples: 1, visibleSize: 100 });
    expect(data[42]).toBeCloseTo(0.9, 15);
    expect(data[0]).toBeCloseTo((-1 / 30 + 1) * 0.4 + 0.1, 15);
  });

  it('matches normalizeData applied to the raw patches of the same seed', () => {
    const raw = sampleRawPatches(images, { patchSize: 8, count: 500, seed: 11 });
    const normalized = samplePatches(images, { patchSize: 8, count: 500, seed: 11 });
    const expected = referenceNormalize(raw);
    let maxDifference = 0;
    for (let i = 0; i < expected.length; i++) maxDifference = Math.max(maxDifference, Math.abs(normalized.data[i] - expected[i]));
    expect(maxDifference).toBeLessThan(1e-13);
  });

  it('lies in [0.1, 0.9], with clamping reached, and each unclamped patch has mean 0.5', () => {
    const dataset = samplePatches(images, { count: 2000, seed: 4 });
    expect(dataset.examples).toBe(2000);
    expect(dataset.visibleSize).toBe(64);
    let clamped = 0;
    let checked = 0;
    for (let k = 0; k < dataset.examples; k++) {
      const patch = dataset.data.subarray(k * 64, (k + 1) * 64);
      const min = Math.min(...patch);
      const max = Math.max(...patch);
      expect(min).toBeGreaterThanOrEqual(0.1);
      expect(max).toBeLessThanOrEqual(0.9);
      const anyClamped = min - 0.1 < 1e-15 || 0.9 - max < 1e-15;
      if (anyClamped) {
        clamped++;
      } else {
        checked++;
        let sum = 0;
        for (const v of patch) sum += v;
        expect(sum / 64).toBeCloseTo(0.5, 12);
      }
    }
    expect(checked).toBeGreaterThan(1000);
    // Gaussian pixels: |x| > 3σ happens for about 0.3% of values, so some patches are clamped.
    expect(clamped).toBeGreaterThan(0);
  });

  it('is reproducible with a seed and differs across seeds', () => {
    const a = samplePatches(images, { count: 100, seed: 7 });
    const b = samplePatches(images, { count: 100, seed: 7 });
    const c = samplePatches(images, { count: 100, seed: 8 });
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
  });

  it('rejects patches that are all constant (pstd = 0) instead of returning NaN', () => {
    const flat = { width: 5, height: 5, pixels: new Float64Array(25).fill(0.3) };
    expectDataError(() => samplePatches([flat], { patchSize: 2, count: 4, seed: 1 }), /every patch is constant/);
    // Patches of one pixel are constant after their own mean is removed.
    expectDataError(() => samplePatches(images, { patchSize: 1, count: 10, seed: 1 }), /every patch is constant/);
  });

  it('normalizePatches works on a ready-made dataset in place', () => {
    const dataset = { data: Float64Array.from([1, 2, 3, 4]), examples: 1, visibleSize: 4 };
    normalizePatches(dataset);
    expect(dataset.data[0]).toBeCloseTo((-1.5 / (3 * Math.sqrt(5 / 3)) + 1) * 0.4 + 0.1, 15);
  });
});

describe('randomSubset', () => {
  const dataset: Dataset = {
    data: Float64Array.from({ length: 50 * 3 }, (_, i) => Math.floor(i / 3) * 10 + (i % 3)),
    examples: 50,
    visibleSize: 3,
  };

  it('returns n distinct whole examples, reproducibly', () => {
    const subset = randomSubset(dataset, 20, 1);
    expect(subset.examples).toBe(20);
    expect(subset.visibleSize).toBe(3);
    const ids = new Set<number>();
    for (let k = 0; k < 20; k++) {
      const id = subset.data[k * 3] / 10;
      expect(subset.data[k * 3 + 1]).toBe(id * 10 + 1);
      expect(subset.data[k * 3 + 2]).toBe(id * 10 + 2);
      ids.add(id);
    }
    expect(ids.size).toBe(20);
    expect(randomSubset(dataset, 20, 1).data).toEqual(subset.data);
    expect(randomSubset(dataset, 20, 2).data).not.toEqual(subset.data);
  });

  it('returns everything, shuffled, when asked for more than there is; keeps float32', () => {
    const all = randomSubset({ ...dataset, data: Float32Array.from(dataset.data) }, 200, 3);
    expect(all.examples).toBe(50);
    expect(all.data).toBeInstanceOf(Float32Array);
    const ids = Array.from({ length: 50 }, (_, k) => all.data[k * 3] / 10).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, k) => k));
    expectDataError(() => randomSubset(dataset, 0, 1), /subset size must be a positive integer/);
  });
});
