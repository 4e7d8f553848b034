/**
 * UFLDL's sampleIMAGES.m and normalizeData: square patches cut at random from images, then
 * squashed into [0.1, 0.9] so that a sigmoid output layer can reproduce them.
 */
import type { Dataset } from '../reference/autoencoder';
import { Random } from '../random';
import { DataError } from './errors';
import { checkPixels, type GrayImage } from './images';

export interface SampleOptions {
  /** Side p of the square patches; each patch has p² values. */
  patchSize?: number;
  /** Number of patches m. */
  count?: number;
  seed: number;
}

const SOURCE = 'patches';

/**
 * sampleIMAGES: `count` patches of patchSize × patchSize pixels (defaults: 10,000 of 8×8),
 * normalized as normalizeData does (see normalizePatches), m × p² values in [0.1, 0.9].
 */
export function samplePatches(images: readonly GrayImage[], options: SampleOptions): Dataset {
  const dataset = sampleRawPatches(images, options);
  normalizePatches(dataset);
  return dataset;
}

/**
 * The patches of samplePatches before normalization: each from an image chosen uniformly at
 * random among those at least as large as a patch, at a top-left corner chosen uniformly
 * among that image's valid positions; pixels copied row-major.
 */
export function sampleRawPatches(images: readonly GrayImage[], options: SampleOptions): Dataset {
  const { patchSize = 8, count = 10_000, seed } = options;
  if (!(Number.isInteger(patchSize) && patchSize >= 1)) {
    throw new DataError(SOURCE, `patch size must be a positive integer, got ${patchSize}`);
  }
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new DataError(SOURCE, `number of patches must be a positive integer, got ${count}`);
  }
  if (images.length === 0) throw new DataError(SOURCE, 'no images to sample patches from');
  images.forEach((image, k) => checkPixels(image, image.name ?? `image ${k + 1}`));

  // Images smaller than a patch cannot be used.
  const usable = images.filter((image) => image.width >= patchSize && image.height >= patchSize);
  if (usable.length === 0) {
    const largest = images.reduce((a, b) => (Math.min(b.width, b.height) > Math.min(a.width, a.height) ? b : a));
    throw new DataError(
      SOURCE,
      `no image is large enough for ${patchSize}×${patchSize} patches (the largest${images.length > 1 && largest.name ? `, ${largest.name},` : ''} is ${largest.width}×${largest.height})`,
    );
  }
  const positions = usable.reduce((sum, image) => sum + (image.width - patchSize + 1) * (image.height - patchSize + 1), 0);
  if (count > positions) {
    throw new DataError(
      SOURCE,
      `${count} patches requested but the images have only ${positions} distinct ${patchSize}×${patchSize} patch positions`,
    );
  }

  const visibleSize = patchSize * patchSize;
  const data = new Float64Array(count * visibleSize);
  const rng = new Random(seed);
  for (let k = 0; k < count; k++) {
    const image = usable[rng.integer(usable.length)];
    const top = rng.integer(image.height - patchSize + 1);
    const left = rng.integer(image.width - patchSize + 1);
    for (let y = 0; y < patchSize; y++) {
      const from = (top + y) * image.width + left;
      data.set(image.pixels.subarray(from, from + patchSize), k * visibleSize + y * patchSize);
    }
  }
  return { data, examples: count, visibleSize };
}

/**
 * normalizeData from sampleIMAGES.m, in place:
 *
 *   patches = patches − mean(patches)            each patch's own mean removed
 *   pstd = 3 · std(patches(:))                  over all values, N − 1 normalization
 *   patches = max(min(patches, pstd), −pstd) / pstd
 *   patches = (patches + 1) · 0.4 + 0.1         so values lie in [0.1, 0.9]
 *
 * Throws a DataError when every patch is constant (pstd = 0 would give NaN).
 */
export function normalizePatches(dataset: Dataset): void {
  const { data, examples, visibleSize } = dataset;
  for (let k = 0; k < examples; k++) {
    const patch = data.subarray(k * visibleSize, (k + 1) * visibleSize);
    let sum = 0;
    for (const v of patch) sum += v;
    const mean = sum / visibleSize;
    for (let i = 0; i < visibleSize; i++) patch[i] -= mean;
  }
  const n = data.length;
  let sum = 0;
  for (const v of data) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of data) squares += (v - mean) ** 2;
  const pstd = 3 * Math.sqrt(n > 1 ? squares / (n - 1) : 0);
  if (!(pstd > 0)) {
    throw new DataError(SOURCE, 'every patch is constant, so normalizeData would divide by zero');
  }
  for (let i = 0; i < n; i++) {
    const clamped = Math.max(Math.min(data[i], pstd), -pstd) / pstd;
    data[i] = (clamped + 1) * 0.4 + 0.1;
  }
}

/**
 * `n` distinct examples chosen at random (all of them, shuffled, when there are fewer than
 * n), e.g. 200 patches to display as UFLDL does before training.
 */
export function randomSubset(dataset: Dataset, n: number, seed: number): Dataset {
  if (!(Number.isInteger(n) && n >= 1)) throw new DataError(SOURCE, `subset size must be a positive integer, got ${n}`);
  const { examples, visibleSize } = dataset;
  const size = Math.min(n, examples);
  const order = new Uint32Array(examples);
  for (let i = 0; i < examples; i++) order[i] = i;
  // A partial Fisher–Yates shuffle: the first `size` entries are a uniform random sample.
  const rng = new Random(seed);
  for (let i = 0; i < size; i++) {
    const j = i + rng.integer(examples - i);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const data = dataset.data instanceof Float32Array ? new Float32Array(size * visibleSize) : new Float64Array(size * visibleSize);
  for (let i = 0; i < size; i++) {
    const from = order[i] * visibleSize;
    data.set(dataset.data.subarray(from, from + visibleSize), i * visibleSize);
  }
  return { data, examples: size, visibleSize };
}
