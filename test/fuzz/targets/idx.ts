/** idx files (MNIST's format), plain and gzipped: readIdxImages and readIdxLabels. */
import { gzipSync } from 'fflate';
import { DataError } from '../../../src/data/errors';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, readIdxImages, readIdxLabels, type IdxImages } from '../../../src/data/idx';
import { site, type Site } from '../mutations';
import { allIn, DEFLATE_RATIO, expectValid, isPositiveInteger, KiB, seededValues, type Seed, type Target } from './target';

function idxFile(magic: number, dims: number[]): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(seededValues(count, magic + dims.length, 256).map(Math.floor), 4 + 4 * dims.length);
  return out;
}

function checkImages(result: unknown): void {
  const { count, rows, cols, pixels } = result as IdxImages;
  expectValid(isPositiveInteger(count) && isPositiveInteger(rows) && isPositiveInteger(cols), `bad size ${count}×${rows}×${cols}`);
  expectValid(pixels instanceof Float64Array && pixels.length === count * rows * cols, `${pixels.length} pixels for ${count}×${rows}×${cols}`);
  expectValid(allIn(pixels, 0, 1), 'a pixel outside [0, 1]');
}

function checkLabels(result: unknown): void {
  expectValid(result instanceof Uint8Array && result.length > 0, 'labels are not a non-empty Uint8Array');
}

function idxSeed(name: string, labels: boolean, gzip: false | { filename?: string }): Seed {
  const dims = labels ? [9] : [3, 4, 5];
  const raw = idxFile(labels ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC, dims);
  const sites: Site[] = dims.map((_, i) => site(4 + 4 * i, 4, false, `dims[${i}]`));
  const render = (r: Uint8Array) => gzipSync(r, { mtime: 0, ...(gzip || {}) });
  const bytes = gzip ? render(raw) : raw;
  if (gzip) {
    // The gzip trailer: CRC-32, then the uncompressed length (ISIZE).
    sites.push(site(bytes.length - 4, 4, true, 'gzip ISIZE', 'final'), site(bytes.length - 8, 4, true, 'gzip CRC-32', 'final'));
  }
  return {
    name,
    bytes,
    ...(gzip ? { raw, render } : {}),
    sites,
    read: labels ? readIdxLabels : readIdxImages,
    check: labels ? checkLabels : checkImages,
  };
}

export const idxTarget: Target = {
  name: 'idx',
  errorName: 'DataError',
  isOwnError: (error) => error instanceof DataError,
  // A pixel is a byte (gzip: at most 1032 per compressed byte), read into a float64.
  budget: (bytes) => ({ largest: 8 * DEFLATE_RATIO * bytes.length + 64 * KiB, total: 32 * DEFLATE_RATIO * bytes.length + 256 * KiB }),
  seeds: () => [
    idxSeed('images.idx3-ubyte', false, false),
    idxSeed('images.idx3-ubyte.gz', false, { filename: 't10k-images-idx3-ubyte' }),
    idxSeed('labels.idx1-ubyte', true, false),
    idxSeed('labels.idx1-ubyte.gz', true, {}),
  ],
};
