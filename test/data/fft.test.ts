import { describe, expect, it } from 'vitest';
import { fft2d, fftPlan } from '../../src/data/fft';
import { Random } from '../../src/random';

/** The DFT by its definition, O(n²), with e^(sign·2πijk/n). */
function naiveDft(re: Float64Array, im: Float64Array, sign: 1 | -1): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < n; k++) {
      const angle = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      outRe[j] += re[k] * Math.cos(angle) - im[k] * Math.sin(angle);
      outIm[j] += re[k] * Math.sin(angle) + im[k] * Math.cos(angle);
    }
  }
  return [outRe, outIm];
}

function randomComplex(n: number, seed: number): [Float64Array, Float64Array] {
  const rng = new Random(seed);
  return [Float64Array.from({ length: n }, () => rng.normal()), Float64Array.from({ length: n }, () => rng.normal())];
}

function maxDifference(a: Float64Array, b: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('fftPlan', () => {
  // Powers of two (radix-2), primes and composites (Bluestein), and the odd sizes of the
  // downsampled natural images.
  const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 17, 31, 64, 100, 127, 242, 375, 409];

  it.each(sizes)('forward matches the naive DFT for n = %i', (n) => {
    const [re, im] = randomComplex(n, n);
    const [expectedRe, expectedIm] = naiveDft(re, im, -1);
    fftPlan(n).forward(re, im);
    const scale = Math.sqrt(n);
    expect(maxDifference(re, expectedRe) / scale).toBeLessThan(1e-11);
    expect(maxDifference(im, expectedIm) / scale).toBeLessThan(1e-11);
  });

  it.each(sizes)('inverse matches the naive inverse DFT (with 1/n) for n = %i', (n) => {
    const [re, im] = randomComplex(n, 1000 + n);
    const [expectedRe, expectedIm] = naiveDft(re, im, 1);
    fftPlan(n).inverse(re, im);
    expect(maxDifference(re, expectedRe.map((v) => v / n))).toBeLessThan(1e-12);
    expect(maxDifference(im, expectedIm.map((v) => v / n))).toBeLessThan(1e-12);
  });

  it('inverts itself on a long odd length', () => {
    const n = 1001;
    const [re, im] = randomComplex(n, 5);
    const [re0, im0] = [re.slice(), im.slice()];
    fftPlan(n).forward(re, im);
    fftPlan(n).inverse(re, im);
    expect(maxDifference(re, re0)).toBeLessThan(1e-12);
    expect(maxDifference(im, im0)).toBeLessThan(1e-12);
  });

  it('transforms a delta to ones and a constant to a spike', () => {
    const re = new Float64Array(9);
    const im = new Float64Array(9);
    re[0] = 1;
    fftPlan(9).forward(re, im);
    for (let i = 0; i < 9; i++) {
      expect(re[i]).toBeCloseTo(1, 12);
      expect(im[i]).toBeCloseTo(0, 12);
    }
    fftPlan(9).forward(re, im);
    expect(re[0]).toBeCloseTo(9, 12);
    for (let i = 1; i < 9; i++) expect(Math.abs(re[i]) + Math.abs(im[i])).toBeLessThan(1e-12);
  });

  it('rejects bad lengths and mismatched arrays', () => {
    expect(() => fftPlan(0)).toThrow(RangeError);
    expect(() => fftPlan(2.5)).toThrow(RangeError);
    expect(() => fftPlan(4).forward(new Float64Array(4), new Float64Array(3))).toThrow(RangeError);
  });
});

describe('fft2d', () => {
  it('matches the naive 2-D DFT on a 6×5 array, forward and back', () => {
    const width = 6;
    const height = 5;
    const [re, im] = randomComplex(width * height, 11);
    const [re0, im0] = [re.slice(), im.slice()];
    const expectedRe = new Float64Array(width * height);
    const expectedIm = new Float64Array(width * height);
    for (let v = 0; v < height; v++) {
      for (let u = 0; u < width; u++) {
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const angle = -2 * Math.PI * ((u * x) / width + (v * y) / height);
            const i = y * width + x;
            expectedRe[v * width + u] += re[i] * Math.cos(angle) - im[i] * Math.sin(angle);
            expectedIm[v * width + u] += re[i] * Math.sin(angle) + im[i] * Math.cos(angle);
          }
        }
      }
    }
    fft2d(re, im, width, height);
    expect(maxDifference(re, expectedRe)).toBeLessThan(1e-11);
    expect(maxDifference(im, expectedIm)).toBeLessThan(1e-11);
    fft2d(re, im, width, height, true);
    expect(maxDifference(re, re0)).toBeLessThan(1e-12);
    expect(maxDifference(im, im0)).toBeLessThan(1e-12);
  });
});
