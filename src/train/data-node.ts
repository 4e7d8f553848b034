/**
 * The training data a configuration names, loaded in Node: the embedded natural images, the
 * MNIST digits, or the user's file (a .mat holding IMAGES or patches, an idx file, PNG/JPEG
 * images or a folder of them). Every problem is a DataError naming the input.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { DataError } from '../data/errors';
import { loadIdxImages } from '../data/idx-node';
import { idxImagesToDataset } from '../data/idx';
import { whiten, type GrayImage } from '../data/images';
import { imagesFromMat, patchesFromMat } from '../data/mat';
import { loadMnistDigits } from '../data/mnist-node';
import { MNIST_SIDE } from '../data/mnist';
import { loadNaturalImages } from '../data/natural-node';
import { loadImageFiles, loadMatFile } from '../data/node';
import { samplePatches } from '../data/patches';
import type { Dataset } from '../reference/autoencoder';
import { Random } from '../random';
import type { TrainConfig } from './config';
import type { PixelGeometry } from './model-files';

export interface TrainingData {
  dataset: Dataset;
  /** How each example is an image, for display and for MATLAB's pixel order. */
  geometry: PixelGeometry;
  /** Said in reports: where the data came from and how it was made. */
  description: string;
}

export async function loadTrainingData(config: TrainConfig): Promise<TrainingData> {
  const data = await loadUnshuffled(config);
  // Mini-batch methods take contiguous batches: mix the examples once (MNIST's come sorted by digit).
  if (config.optimizer === 'sgd' || config.optimizer === 'adam') shuffleExamples(data.dataset, config.seed);
  return data;
}

async function loadUnshuffled(config: TrainConfig): Promise<TrainingData> {
  const { data: source, patchSize, patches, seed } = config;
  const fromImages = (images: GrayImage[], what: string): TrainingData => ({
    dataset: samplePatches(images, { patchSize, count: patches, seed }),
    geometry: { width: patchSize, height: patchSize },
    description: `${patches} patches of ${patchSize}×${patchSize} from ${what}`,
  });

  if (source === 'natural') return fromImages(await loadNaturalImages(), 'the embedded whitened natural images');
  if (source === 'mnist') {
    const dataset = await loadMnistDigits();
    return {
      dataset,
      geometry: { width: MNIST_SIDE, height: MNIST_SIDE },
      description: `the ${dataset.examples} MNIST digits of the mnist package`,
    };
  }

  let isFolder = false;
  try {
    isFolder = (await stat(source)).isDirectory();
  } catch {
    throw new DataError(source, 'no such file or folder');
  }
  if (isFolder) return fromImages(whiten(await loadImageFiles(source)), `the images in ${source}, whitened`);

  const extension = extname(source).toLowerCase();
  if (extension === '.mat') {
    const variables = await loadMatFile(source);
    if (variables.some((v) => v.name === 'IMAGES')) return fromImages(imagesFromMat(variables, source), `IMAGES in ${source}`);
    if (variables.some((v) => v.name === 'patches')) {
      const dataset = patchesFromMat(variables, source);
      const side = Math.round(Math.sqrt(dataset.visibleSize));
      return {
        dataset,
        geometry: side * side === dataset.visibleSize ? { width: side, height: side } : undefined,
        description: `${dataset.examples} patches from ${source}`,
      };
    }
    throw new DataError(source, `holds neither IMAGES nor patches (variables: ${variables.map((v) => v.name).join(', ') || 'none'})`);
  }
  if (['.png', '.jpg', '.jpeg'].includes(extension)) {
    return fromImages(whiten(await loadImageFiles(source)), `${source}, whitened`);
  }
  if (/idx3|ubyte|\.idx/i.test(source)) {
    const images = await loadIdxImages(source);
    return {
      dataset: idxImagesToDataset(images),
      geometry: { width: images.cols, height: images.rows },
      description: `${images.count} images of ${images.rows}×${images.cols} from ${source}`,
    };
  }
  throw new DataError(source, 'unknown kind of data: expected natural, mnist, a .mat, an idx file, PNG/JPEG images or a folder of them');
}

/** Fisher–Yates over whole examples, seeded. */
export function shuffleExamples(dataset: Dataset, seed: number): void {
  const { data, examples, visibleSize: v } = dataset;
  const rng = new Random(seed ^ 0x5bd1e995);
  const tmp = new Float64Array(v);
  for (let k = examples - 1; k > 0; k--) {
    const j = rng.integer(k + 1);
    if (j === k) continue;
    tmp.set(data.subarray(k * v, k * v + v));
    data.copyWithin(k * v, j * v, j * v + v);
    data.set(tmp, j * v);
  }
}
