import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { readLabeledIdx, selectLabels, shuffleLabeled, splitLabeled, stlSplit } from '../../src/data/labeled';
import { loadLabeledIdxFiles } from '../../src/data/labeled-node';
import type { LabeledDataset } from '../../src/data/mnist';
import { loadMnistDigits } from '../../src/data/mnist-node';
import { expectDataError } from './expect-data-error';
import { idx } from './idx-bytes';

/** 5 images of 2×3; every pixel of image k is the byte 10k + (its position). */
const imagesFile = () => idx(0x803, [5, 2, 3], Array.from({ length: 30 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6)));
const labelsFile = (labels: number[]) => idx(0x801, [labels.length], labels);
const sources = { images: 'img.idx', labels: 'lab.idx' };

/**
 * n examples of 2 values, example k = [k, label]: which example went where can be read back
 * from the data, and every pixel row stays with its label.
 */
function tagged(labels: number[]): LabeledDataset {
  const data = new Float64Array(labels.length * 2);
  labels.forEach((label, k) => data.set([k, label], 2 * k));
  return { data, examples: labels.length, visibleSize: 2, labels: Uint8Array.from(labels) };
}

/** The original index of each example of a tagged data set. */
const origins = (d: LabeledDataset) => Array.from({ length: d.examples }, (_, k) => d.data[2 * k]);

/** Every example's label is still its own (the data's second value). */
function expectRowsKeepLabels(d: LabeledDataset): void {
  expect(d.data.length).toBe(2 * d.examples);
  expect(d.labels.length).toBe(d.examples);
  for (let k = 0; k < d.examples; k++) expect(d.data[2 * k + 1]).toBe(d.labels[k]);
}

describe('readLabeledIdx', () => {
  for (const [name, encode] of [
    ['plain', (b: Uint8Array) => b],
    ['gzipped', (b: Uint8Array) => gzipSync(b)],
  ] as const) {
    it(`reads ${name} image and label files as one data set, pixels / 255`, () => {
      const d = readLabeledIdx(encode(imagesFile()), encode(labelsFile([3, 0, 9, 1, 1])), sources);
      expect(d.examples).toBe(5);
      expect(d.visibleSize).toBe(6);
      expect(Array.from(d.labels)).toEqual([3, 0, 9, 1, 1]);
      expect(d.data.length).toBe(30);
      expect(d.data[2 * 6 + 4]).toBe(24 / 255); // image 2, row 1, column 1
      expect(d.data).toBeInstanceOf(Float64Array);
    });
  }

  it('refuses label and image counts that differ, naming both files and both counts', () => {
    const error = expectDataError(
      () => readLabeledIdx(imagesFile(), labelsFile([1, 2, 3, 4]), sources),
      /^lab\.idx: 4 labels, but the images file img\.idx holds 5 images/,
    );
    expect(error.source).toBe('lab.idx');
  });

  it('refuses a label above 9, saying which example and what value', () => {
    expectDataError(() => readLabeledIdx(imagesFile(), labelsFile([0, 1, 2, 10, 4]), sources), /^lab\.idx: label 3 is 10; digit labels are 0 … 9/);
    expectDataError(() => readLabeledIdx(imagesFile(), labelsFile([255, 1, 2, 3, 4]), sources), /label 0 is 255/);
  });

  it('refuses truncated files and swapped files, naming the file at fault', () => {
    const images = imagesFile();
    const labels = labelsFile([0, 1, 2, 3, 4]);
    expectDataError(() => readLabeledIdx(images.subarray(0, images.length - 1), labels, sources), /^img\.idx: truncated/);
    expectDataError(() => readLabeledIdx(images, labels.subarray(0, labels.length - 1), sources), /^lab\.idx: truncated/);
    expectDataError(() => readLabeledIdx(images, labels.subarray(0, 6), sources), /^lab\.idx: truncated/);
    expectDataError(() => readLabeledIdx(labels, images, sources), /^img\.idx: not an idx images file/);
  });
});

describe('shuffleLabeled', () => {
  const d = tagged([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5]);

  it('permutes examples and labels together, reproducibly from the seed, into new arrays', () => {
    const shuffled = shuffleLabeled(d, 7);
    expectRowsKeepLabels(shuffled);
    const order = origins(shuffled);
    expect([...order].sort((a, b) => a - b)).toEqual(origins(d)); // a permutation
    expect(order).not.toEqual(origins(d));
    expect(origins(shuffleLabeled(d, 7))).toEqual(order);
    expect(origins(shuffleLabeled(d, 8))).not.toEqual(order);
    expect(shuffled.data).not.toBe(d.data);
    expect(shuffled.labels).not.toBe(d.labels);
    expect(origins(d)).toEqual(Array.from({ length: 16 }, (_, k) => k)); // the input is untouched
  });
});

describe('selectLabels', () => {
  it('keeps the examples whose label passes, in their order', () => {
    const d = tagged([5, 0, 7, 4, 9, 1]);
    const low = selectLabels(d, (label) => label <= 4);
    expectRowsKeepLabels(low);
    expect(origins(low)).toEqual([1, 3, 5]);
    expect(Array.from(low.labels)).toEqual([0, 4, 1]);
    expect(selectLabels(d, () => false).examples).toBe(0);
  });
});

describe('splitLabeled', () => {
  const d = tagged([3, 1, 4, 1, 5, 9, 2]);

  it('gives the first trainCount examples, then the rest', () => {
    const { train, test } = splitLabeled(d, 3);
    expect(origins(train)).toEqual([0, 1, 2]);
    expect(origins(test)).toEqual([3, 4, 5, 6]);
    expectRowsKeepLabels(train);
    expectRowsKeepLabels(test);
    expect(splitLabeled(d, 7).test.examples).toBe(0);
  });

  it('refuses a trainCount outside 0 … examples or not an integer', () => {
    expect(() => splitLabeled(d, 8)).toThrow(RangeError);
    expect(() => splitLabeled(d, -1)).toThrow(RangeError);
    expect(() => splitLabeled(d, 2.5)).toThrow(RangeError);
  });
});

describe('stlSplit', () => {
  it('splits digits 5–9 off as unlabeled and halves 0–4 into train and test, as stlExercise.m', () => {
    const labels = Array.from({ length: 23 }, (_, k) => (k * 7) % 10); // 0–4: 12 examples, 5–9: 11
    const d = tagged(labels);
    const { unlabeled, train, test } = stlSplit(d, 3);
    expect(unlabeled.examples).toBe(11);
    expect(train.examples).toBe(6);
    expect(test.examples).toBe(6);
    for (const part of [unlabeled, train, test]) expectRowsKeepLabels(part);
    expect(Array.from(unlabeled.labels).every((l) => l >= 5)).toBe(true);
    expect(Array.from([...train.labels, ...test.labels]).every((l) => l <= 4)).toBe(true);
    // every example is in exactly one part, and the parts follow the shuffled order
    const all = [...origins(unlabeled), ...origins(train), ...origins(test)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 23 }, (_, k) => k));
    const shuffled = origins(shuffleLabeled(d, 3));
    expect([...origins(train), ...origins(test)]).toEqual(shuffled.filter((k) => labels[k] <= 4));
  });

  it('gives round(n/2) of an odd number of labeled digits to training (MATLAB’s round)', () => {
    const { train, test } = stlSplit(tagged([0, 1, 2, 3, 4, 5, 6]), 1);
    expect(train.examples).toBe(3);
    expect(test.examples).toBe(2);
  });

  it('on the mnist package’s 10,000 digits: 4,869 unlabeled, 2,566 train, 2,565 test', async () => {
    const { unlabeled, train, test } = stlSplit(await loadMnistDigits(), 1);
    expect([unlabeled.examples, train.examples, test.examples]).toEqual([4869, 2566, 2565]);
    expect(train.data.length).toBe(2566 * 784);
    // shuffled: every digit 0–4 shows up in both halves
    for (const part of [train, test]) expect(new Set(part.labels)).toEqual(new Set([0, 1, 2, 3, 4]));
  });
});

describe('loadLabeledIdxFiles', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'labeled-idx-'));
    await writeFile(join(folder, 'images.idx'), imagesFile());
    await writeFile(join(folder, 'labels.idx.gz'), gzipSync(labelsFile([0, 1, 2, 3, 4])));
    await writeFile(join(folder, 'short-labels.idx'), labelsFile([0, 1, 2]));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('reads an images file and a (gzipped) labels file from disk', async () => {
    const d = await loadLabeledIdxFiles(join(folder, 'images.idx'), join(folder, 'labels.idx.gz'));
    expect(d.examples).toBe(5);
    expect(Array.from(d.labels)).toEqual([0, 1, 2, 3, 4]);
  });

  it('names the path of a missing file, and both paths when the counts differ', async () => {
    const images = join(folder, 'images.idx');
    const missing = join(folder, 'nope.idx');
    for (const [a, b] of [
      [missing, join(folder, 'labels.idx.gz')],
      [images, missing],
    ]) {
      const error = await loadLabeledIdxFiles(a, b).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).message).toBe(`${missing}: no such file`);
    }
    const short = join(folder, 'short-labels.idx');
    const error = await loadLabeledIdxFiles(images, short).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toBe(`${short}: 3 labels, but the images file ${images} holds 5 images: the two files do not belong together`);
  });

  const mnistFolder = fileURLToPath(new URL('../../../shared/data/mnist/', import.meta.url));
  const t10kImages = join(mnistFolder, 't10k-images-idx3-ubyte.gz');
  const t10kLabels = join(mnistFolder, 't10k-labels-idx1-ubyte.gz');
  it.skipIf(!existsSync(t10kImages) || !existsSync(t10kLabels))('reads MNIST’s 10,000 test digits with their labels 0–9', async () => {
    const d = await loadLabeledIdxFiles(t10kImages, t10kLabels);
    expect(d.examples).toBe(10_000);
    expect(d.visibleSize).toBe(784);
    expect(d.data.length).toBe(10_000 * 784);
    expect(d.labels.length).toBe(10_000);
    const counts = new Array(10).fill(0);
    for (const label of d.labels) counts[label]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Array.from(d.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]); // the famous first digits of t10k
  });
});
