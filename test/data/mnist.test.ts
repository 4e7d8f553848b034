import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { mnistFromDigitArrays } from '../../src/data/mnist';
import { loadMnistDigits } from '../../src/data/mnist-node';
import { expectDataError } from './expect-data-error';


describe('mnistFromDigitArrays', () => {
  it('undoes the package’s 3-decimal rounding to exact byte/255 values and labels by digit', () => {
    const zero = new Array(784).fill(0);
    zero[0] = 0.624; // 159/255 = 0.62353 rounded
    zero[783] = 1;
    const twos = new Array(2 * 784).fill(0.2); // 51/255
    const dataset = mnistFromDigitArrays([zero, [], twos]);
    expect(dataset.examples).toBe(3);
    expect(dataset.visibleSize).toBe(784);
    expect(dataset.data[0]).toBe(159 / 255);
    expect(dataset.data[783]).toBe(1);
    expect(dataset.data[784]).toBe(51 / 255);
    expect(Array.from(dataset.labels)).toEqual([0, 2, 2]);
  });

  it('rejects ragged arrays, values outside [0, 1] and no images', () => {
    expectDataError(() => mnistFromDigitArrays([new Array(785).fill(0)]), /digit 0: 785 values is not a whole number of 28×28 images/);
    const bad = new Array(784).fill(0);
    bad[3] = NaN;
    expectDataError(() => mnistFromDigitArrays([[], bad]), /^MNIST digits: digit 1: value 3 is NaN/);
    bad[3] = 1.5;
    expectDataError(() => mnistFromDigitArrays([bad]), /value 3 is 1\.5/);
    expectDataError(() => mnistFromDigitArrays([]), /no images/);
  });
});

describe('loadMnistDigits', () => {
  it('loads the 10,000 digits of the mnist package, pixels exactly k/255', async () => {
    const dataset = await loadMnistDigits();
    expect(dataset.examples).toBe(10_000);
    expect(dataset.visibleSize).toBe(784);
    expect(dataset.data.length).toBe(10_000 * 784);
    const counts = new Array(10).fill(0);
    for (const label of dataset.labels) counts[label]++;
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let max = 0;
    let nonInteger = 0;
    for (const v of dataset.data) {
      max = Math.max(max, v);
      if (Math.round(v * 255) / 255 !== v) nonInteger++;
    }
    expect(max).toBe(1);
    expect(nonInteger).toBe(0);
    // MNIST digits are white strokes on black: mostly zeros, a mean pixel near 0.13.
    const mean = dataset.data.reduce((a, b) => a + b, 0) / dataset.data.length;
    expect(mean).toBeGreaterThan(0.1);
    expect(mean).toBeLessThan(0.16);
  });
});
