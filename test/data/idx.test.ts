import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { idxImagesToDataset, readIdxImages, readIdxLabels } from '../../src/data/idx';
import { expectDataError } from './expect-data-error';
import { idx } from './idx-bytes';

/** 3 images of 4 rows × 5 columns; pixel (image k, row y, column x) = 20k + 5y + x, ×3. */
const imageBytes = Array.from({ length: 3 * 4 * 5 }, (_, i) => 3 * i);
const imagesFile = () => idx(0x00000803, [3, 4, 5], imageBytes);


describe('readIdxImages', () => {
  for (const [label, encode] of [
    ['plain', (b: Uint8Array) => b],
    ['gzipped', (b: Uint8Array) => gzipSync(b)],
  ] as const) {
    it(`reads a ${label} 3-image 4×5 file, row-major, scaled by 1/255`, () => {
      const images = readIdxImages(encode(imagesFile()), 'tiny.idx');
      expect(images.count).toBe(3);
      expect(images.rows).toBe(4);
      expect(images.cols).toBe(5);
      expect(images.pixels.length).toBe(60);
      // image 1, row 2, column 3: byte 3·(20 + 10 + 3) = 99
      expect(images.pixels[20 + 2 * 5 + 3]).toBe(99 / 255);
      expect(Array.from(images.pixels)).toEqual(imageBytes.map((b) => b / 255));
    });
  }

  it('gives a Dataset of count × rows·cols', () => {
    const dataset = idxImagesToDataset(readIdxImages(imagesFile()));
    expect(dataset.examples).toBe(3);
    expect(dataset.visibleSize).toBe(20);
    expect(dataset.data[20]).toBe(60 / 255);
  });

  it('rejects a labels file, a wrong magic number and zero dimensions', () => {
    expectDataError(() => readIdxImages(idx(0x801, [3], [1, 2, 3]), 'l.idx'), /^l\.idx: not an idx images file: magic number is 0x00000801 \(a labels file\), expected 0x00000803/);
    expectDataError(() => readIdxImages(idx(0x0d03, [1, 1, 1], [0, 0, 0, 0]), 'f.idx'), /magic number is 0x00000d03/);
    expectDataError(() => readIdxImages(idx(0x803, [0, 28, 28], []), 'z.idx'), /^z\.idx: a dimension is zero \(0 images of 28×28\)/);
    expectDataError(() => readIdxImages(idx(0x803, [2, 0, 28], []), 'z.idx'), /dimension is zero/);
  });

  it('rejects every truncation, with the numbers in the message', () => {
    const bytes = imagesFile();
    for (let n = 0; n < bytes.length; n++) {
      expectDataError(() => readIdxImages(bytes.subarray(0, n), 't.idx'), /^t\.idx: truncated/);
    }
    expectDataError(
      () => readIdxImages(idx(0x803, [10000, 28, 28], new Uint8Array(1234)), 't10k.idx'),
      /^t10k\.idx: truncated: header says 10000 images of 28×28 but only 1234 bytes follow/,
    );
  });

  it('rejects trailing bytes', () => {
    expectDataError(() => readIdxImages(idx(0x803, [3, 4, 5], new Uint8Array(61))), /60 bytes\) but 61 bytes follow/);
  });

  it('rejects corrupt gzip: truncated, a flipped byte (CRC-32), a wrong length', () => {
    const gz = gzipSync(imagesFile());
    expectDataError(() => readIdxImages(gz.subarray(0, gz.length - 12), 'g.gz'), /^g\.gz: corrupt gzip data/);
    expectDataError(() => readIdxImages(gz.subarray(0, 5), 'g.gz'), /^g\.gz: corrupt gzip data/);
    const badCrc = gz.slice();
    badCrc[gz.length - 8] ^= 1;
    expectDataError(() => readIdxImages(badCrc, 'g.gz'), /CRC-32/);
    const badLength = gz.slice();
    badLength[gz.length - 4] ^= 1;
    expectDataError(() => readIdxImages(badLength, 'g.gz'), /76 bytes decompressed but the trailer says 77/);
    for (let i = 10; i < gz.length - 8; i++) {
      const flipped = gz.slice();
      flipped[i] ^= 0x04;
      try {
        expect(Array.from(readIdxImages(flipped).pixels)).toEqual(imageBytes.map((b) => b / 255));
      } catch (error) {
        expect(error).toBeInstanceOf(DataError);
      }
    }
  });
});

describe('readIdxLabels', () => {
  it('reads labels, plain and gzipped', () => {
    const labels = idx(0x801, [10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(Array.from(readIdxLabels(labels))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(Array.from(readIdxLabels(gzipSync(labels)))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });

  it('rejects an images file and truncation', () => {
    expectDataError(() => readIdxLabels(imagesFile(), 'x'), /not an idx labels file.*\(an images file\)/);
    expectDataError(() => readIdxLabels(idx(0x801, [10], [1, 2]), 'x'), /truncated: header says 10 labels but only 2 bytes follow/);
  });
});
