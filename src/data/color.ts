/**
 * Color patches for UFLDL's linear decoder (linearDecoderExercise): the embedded photographs
 * in color, halved in size, and 8×8×3 patches cut from them at random.
 *
 * The layout of a color patch, the one place it is defined: p × p pixels × 3 channels are
 * 3p² values, three channel planes R, G, B one after another, each plane row-major like the
 * gray patches. Channel c's pixel at row y, column x is value
 *
 *     c·p² + y·p + x          (colorPatchIndex)
 *
 * so an 8×8×3 patch is 192 values: R in 0–63, G in 64–127, B in 128–191. MATLAB's patches
 * are the same planes, each column-major (c·p² + x·p + y); src/train/model-files.ts converts.
 *
 * Values stay in [0, 1] here; the linear decoder's preprocessing (mean patch, ZCA) is ./zca.ts.
 */
import type { Dataset } from '../reference/autoencoder';
import { Random } from '../random';
import { DataError } from './errors';
import { decodeColorImage, downsample2x, type RgbImage } from './images';
import { NATURAL_IMAGES, type ImageFile } from './natural';

export const COLOR_CHANNELS = 3;

/** Index of channel c's pixel (y, x) in a p × p color patch. */
export function colorPatchIndex(c: number, y: number, x: number, patchSize: number): number {
  return c * patchSize * patchSize + y * patchSize + x;
}

/**
 * Patches are sampled this many times over and the most contrasted 1/CONTRAST_OVERSAMPLING
 * kept (by the standard deviation of a patch's 3p² values). Cut from every position of the
 * nine photos, about half the patches are smooth sky, wall or water; trained on all of them,
 * about half of the 400 features came out as flat color blobs (measured in float64 with the
 * exercise's settings, 20,000 patches). Keeping the more contrasted half gives mostly
 * localized edges and color-opponent gradients, the kind of features the exercise shows on
 * STL-10, whose 96×96 object photos are busier than these landscapes.
 */
export const CONTRAST_OVERSAMPLING = 2;

/** Each channel halved by 2×2 averaging, as the gray photos are (natural.ts). */
export function downsampleColor2x(image: RgbImage): RgbImage {
  const n = image.width * image.height;
  const planes = [0, 1, 2].map((c) =>
    downsample2x({ width: image.width, height: image.height, pixels: image.pixels.subarray(c * n, (c + 1) * n), name: image.name }),
  );
  const { width, height } = planes[0];
  const pixels = new Float64Array(3 * width * height);
  planes.forEach((plane, c) => pixels.set(plane.pixels, c * width * height));
  return { width, height, pixels, name: image.name };
}

/** The photos in color, halved (not whitened: the linear decoder whitens its patches by ZCA). */
export function naturalColorImagesFromFiles(files: readonly ImageFile[]): RgbImage[] {
  if (files.length === 0) throw new DataError(NATURAL_IMAGES, 'no images');
  return files.map((file) => downsampleColor2x(decodeColorImage(file.bytes, file.name)));
}

export interface ColorSampleOptions {
  /** Side p of the square patches; each patch has 3p² values. */
  patchSize: number;
  /** Number of patches m kept. */
  count: number;
  seed: number;
}

const SOURCE = 'color patches';

/**
 * `count` color patches (layout above): CONTRAST_OVERSAMPLING·count are cut, each from an
 * image chosen uniformly at random among those large enough, at a uniformly random top-left
 * corner, and the most contrasted `count` of them kept, in the order they were cut.
 */
export function sampleColorPatches(images: readonly RgbImage[], options: ColorSampleOptions): Dataset {
  const { patchSize: p, count, seed } = options;
  if (!(Number.isInteger(p) && p >= 1)) throw new DataError(SOURCE, `patch size must be a positive integer, got ${p}`);
  if (!(Number.isInteger(count) && count >= 1)) throw new DataError(SOURCE, `number of patches must be a positive integer, got ${count}`);
  for (const [k, image] of images.entries()) {
    const source = image.name ?? `image ${k + 1}`;
    if (image.pixels.length !== 3 * image.width * image.height) {
      throw new DataError(source, `${image.pixels.length} values for a ${image.width}×${image.height} color image`);
    }
    if (!image.pixels.every(Number.isFinite)) throw new DataError(source, 'holds a pixel that is not a finite number');
  }
  const usable = images.filter((image) => image.width >= p && image.height >= p);
  if (usable.length === 0) throw new DataError(SOURCE, `no image is large enough for ${p}×${p} patches`);
  const positions = usable.reduce((sum, image) => sum + (image.width - p + 1) * (image.height - p + 1), 0);
  const cut = CONTRAST_OVERSAMPLING * count;
  if (cut > positions) {
    throw new DataError(SOURCE, `${count} patches need ${cut} cut (the more contrasted half is kept), but the images have only ${positions} patch positions`);
  }

  const v = COLOR_CHANNELS * p * p;
  const all = new Float64Array(cut * v);
  const rng = new Random(seed);
  for (let k = 0; k < cut; k++) {
    const image = usable[rng.integer(usable.length)];
    const top = rng.integer(image.height - p + 1);
    const left = rng.integer(image.width - p + 1);
    const plane = image.width * image.height;
    for (let c = 0; c < COLOR_CHANNELS; c++) {
      for (let y = 0; y < p; y++) {
        const from = c * plane + (top + y) * image.width + left;
        all.set(image.pixels.subarray(from, from + p), k * v + colorPatchIndex(c, y, 0, p));
      }
    }
  }

  const spread = new Float64Array(cut);
  for (let k = 0; k < cut; k++) {
    const patch = all.subarray(k * v, (k + 1) * v);
    let mean = 0;
    for (const value of patch) mean += value;
    mean /= v;
    let squares = 0;
    for (const value of patch) squares += (value - mean) ** 2;
    spread[k] = squares;
  }
  // Ties (flat patches) broken by index, so the choice is the same on every engine.
  const kept = Array.from({ length: cut }, (_, k) => k)
    .sort((a, b) => spread[b] - spread[a] || a - b)
    .slice(0, count)
    .sort((a, b) => a - b);
  const data = new Float64Array(count * v);
  kept.forEach((k, i) => data.set(all.subarray(k * v, (k + 1) * v), i * v));
  return { data, examples: count, visibleSize: v };
}
