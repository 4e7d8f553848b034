/**
 * The idx format of the MNIST files (LeCun et al.): a big-endian magic number 0x0000TTNN —
 * TT the element type (0x08 = unsigned byte), NN the number of dimensions — then NN big-endian
 * 32-bit sizes, then the elements, the last dimension varying fastest. Images are 0x00000803
 * (count × rows × cols), labels 0x00000801 (count). Gzipped files (as distributed) are
 * recognized by gzip's magic bytes and decompressed first.
 */
import type { Dataset } from '../reference/autoencoder';
import { gunzip, isGzip } from './compression';
import { DataError } from './errors';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols values in [0, 1] (bytes / 255), example after example, each row-major. */
  pixels: Float64Array;
}

/** Decodes an idx images file (gzipped or not) with pixels scaled /255, as loadMNISTImages. */
export function readIdxImages(bytes: Uint8Array, source = 'idx images'): IdxImages {
  const { dims, data } = readIdx(bytes, source, IDX_IMAGES_MAGIC, 'images');
  const [count, rows, cols] = dims;
  const pixels = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) pixels[i] = data[i] / 255;
  return { count, rows, cols, pixels };
}

/** Decodes an idx labels file (gzipped or not). */
export function readIdxLabels(bytes: Uint8Array, source = 'idx labels'): Uint8Array {
  return readIdx(bytes, source, IDX_LABELS_MAGIC, 'labels').data.slice();
}

/** Images as a Dataset: one example per image, rows·cols values each. */
export function idxImagesToDataset(images: IdxImages): Dataset {
  return { data: images.pixels, examples: images.count, visibleSize: images.rows * images.cols };
}

function readIdx(
  file: Uint8Array,
  source: string,
  magic: number,
  what: 'images' | 'labels',
): { dims: number[]; data: Uint8Array } {
  const bytes = isGzip(file) ? gunzip(file, source) : file;
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < 4) {
    throw new DataError(source, `truncated: an idx file starts with a 4-byte magic number but there are only ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    const other =
      found === IDX_IMAGES_MAGIC ? ' (an images file)' : found === IDX_LABELS_MAGIC ? ' (a labels file)' : '';
    throw new DataError(source, `not an idx ${what} file: magic number is ${hex(found)}${other}, expected ${hex(magic)}`);
  }
  if (bytes.length < headerBytes) {
    throw new DataError(source, `truncated: the header needs ${headerBytes} bytes but the file has ${bytes.length}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (dims.some((d) => d === 0)) throw new DataError(source, `a dimension is zero (${describe(dims, what)})`);
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual < expected) {
    throw new DataError(source, `truncated: header says ${describe(dims, what)} but only ${actual} bytes follow (expected ${expected})`);
  }
  if (actual > expected) {
    throw new DataError(source, `corrupt: header says ${describe(dims, what)} (${expected} bytes) but ${actual} bytes follow`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

function describe(dims: number[], what: 'images' | 'labels'): string {
  return what === 'images' ? `${dims[0]} images of ${dims[1]}×${dims[2]}` : `${dims[0]} labels`;
}

function hex(value: number): string {
  return '0x' + value.toString(16).padStart(8, '0');
}
