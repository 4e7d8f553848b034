import { encode as encodePng } from 'fast-png';
import { gzipSync } from 'fflate';
import { encode as encodeJpeg } from 'jpeg-js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { loadIdxDataset, loadIdxImages, loadIdxLabels } from '../../src/data/idx-node';
import { writeMat } from '../../src/data/mat';
import { loadImageFiles, loadMatFile, readFileBytes } from '../../src/data/node';

async function expectDataError(promise: Promise<unknown>, pattern: RegExp): Promise<DataError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DataError);
  expect((caught as DataError).message).toMatch(pattern);
  return caught as DataError;
}

let dir: string;

const grayPng = (width: number, height: number, value: number) =>
  encodePng({ width, height, data: new Uint8Array(width * height).fill(value), channels: 1, depth: 8 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-node-test-'));
  const images = join(dir, 'images');
  await mkdir(images);
  await writeFile(join(images, 'b.png'), grayPng(3, 2, 51));
  await writeFile(join(images, 'a.png'), grayPng(2, 2, 255));
  const rgba = new Uint8Array(8 * 8 * 4).fill(255);
  await writeFile(join(images, 'c.JPG'), encodeJpeg({ width: 8, height: 8, data: rgba }, 95).data);
  await writeFile(join(images, 'notes.txt'), 'not an image');
  await mkdir(join(images, 'sub.png')); // a folder with an image-like name is skipped
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'fake.png'), 'GIF89a not really a PNG');
  await writeFile(join(dir, 'vars.mat'), writeMat([{ name: 'theta', dims: [3, 1], data: [1, 2, 3] }], { compress: true }));
  const idx = new Uint8Array(16 + 2 * 2 * 3);
  new DataView(idx.buffer).setUint32(0, 0x803);
  new DataView(idx.buffer).setUint32(4, 2);
  new DataView(idx.buffer).setUint32(8, 2);
  new DataView(idx.buffer).setUint32(12, 3);
  idx.set([0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 0], 16);
  await writeFile(join(dir, 'images-idx3-ubyte.gz'), gzipSync(idx));
  await writeFile(join(dir, 'labels-idx1-ubyte'), Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadImageFiles', () => {
  it('loads the images of a folder sorted by name, skipping other files and subfolders', async () => {
    const images = await loadImageFiles(join(dir, 'images'));
    expect(images.map((im) => im.name)).toEqual(['a.png', 'b.png', 'c.JPG'].map((n) => join(dir, 'images', n)));
    expect(images.map((im) => [im.width, im.height])).toEqual([
      [2, 2],
      [3, 2],
      [8, 8],
    ]);
    // Not whitened: the decoded gray values as they are.
    expect(Array.from(images[0].pixels)).toEqual([1, 1, 1, 1]);
    expect(Array.from(images[1].pixels)).toEqual(new Array(6).fill(0.2));
    for (const v of images[2].pixels) expect(v).toBeGreaterThan(0.98);
  });

  it('loads a list of files in the given order', async () => {
    const images = await loadImageFiles([join(dir, 'images', 'b.png'), join(dir, 'images', 'a.png')]);
    expect(images.map((im) => im.width)).toEqual([3, 2]);
  });

  it('names the file or folder that is wrong', async () => {
    const fake = join(dir, 'fake.png');
    const error = await expectDataError(loadImageFiles(fake), /not a PNG or JPEG image/);
    expect(error.source).toBe(fake);
    await expectDataError(loadImageFiles(join(dir, 'images', 'notes.txt')), /notes\.txt: not a PNG or JPEG image/);
    const missing = join(dir, 'missing.png');
    expect((await expectDataError(loadImageFiles(missing), /: no such file$/)).source).toBe(missing);
    await expectDataError(loadImageFiles(join(dir, 'empty')), /empty: no PNG or JPEG files/);
    await expectDataError(loadImageFiles([]), /no images given/);
  });
});

describe('readFileBytes and loadMatFile', () => {
  it('reads bytes and reports folders and missing files', async () => {
    expect((await readFileBytes(join(dir, 'fake.png'))).length).toBe(23);
    await expectDataError(readFileBytes(join(dir, 'empty')), /empty: is a folder, not a file/);
    await expectDataError(readFileBytes(join(dir, 'nothing')), /nothing: no such file/);
  });

  it('loads a MAT-file', async () => {
    const vars = await loadMatFile(join(dir, 'vars.mat'));
    expect(vars[0].name).toBe('theta');
    expect(Array.from(vars[0].data)).toEqual([1, 2, 3]);
    await expectDataError(loadMatFile(join(dir, 'fake.png')), /fake\.png: not a Level 5 MAT-file/);
  });
});

describe('idx files on disk', () => {
  it('loads gzipped images, plain labels, and a Dataset', async () => {
    const images = await loadIdxImages(join(dir, 'images-idx3-ubyte.gz'));
    expect([images.count, images.rows, images.cols]).toEqual([2, 2, 3]);
    expect(Array.from(images.pixels.subarray(0, 6))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(Array.from(await loadIdxLabels(join(dir, 'labels-idx1-ubyte')))).toEqual([7, 3]);
    const dataset = await loadIdxDataset(join(dir, 'images-idx3-ubyte.gz'));
    expect([dataset.examples, dataset.visibleSize]).toEqual([2, 6]);
    await expectDataError(loadIdxImages(join(dir, 'labels-idx1-ubyte')), /labels-idx1-ubyte: not an idx images file/);
    await expectDataError(loadIdxLabels(join(dir, 'nope.gz')), /nope\.gz: no such file/);
  });
});
