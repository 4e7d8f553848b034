/**
 * The training data a configuration names, loaded in Node: the embedded natural images, the
 * MNIST digits, or the user's file (a .mat holding IMAGES or patches, an idx file, PNG/JPEG
 * images or a folder of them). Every problem is a DataError naming the input. What to do with
 * the bytes once read is shared with the browser (./data.ts).
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { activationFileKind } from '../data/activations';
import { loadActivations } from '../data/activations-node';
import { DataError } from '../data/errors';
import { loadIdxImages } from '../data/idx-node';
import { loadMnistDigits } from '../data/mnist-node';
import { loadNaturalColorImages, loadNaturalImages } from '../data/natural-node';
import { loadImageFiles, loadMatFile } from '../data/node';
import type { TrainConfig } from './config';
import {
  resolveTrainingData,
  trainingDataFromActivations,
  trainingDataFromIdx,
  trainingDataFromMat,
  trainingDataFromPhotos,
  type DataLoaders,
  type TrainingData,
} from './data';

export { shuffleExamples, type TrainingData } from './data';

const nodeLoaders: DataLoaders = {
  naturalImages: loadNaturalImages,
  naturalColorImages: loadNaturalColorImages,
  mnistDigits: loadMnistDigits,
  userData: loadPath,
};

export async function loadTrainingData(config: TrainConfig): Promise<TrainingData> {
  return resolveTrainingData(config, nodeLoaders);
}

/** config.data as a path: a folder of images, a .mat, an image, an idx file, or an activation matrix. */
async function loadPath(config: TrainConfig): Promise<TrainingData> {
  const source = config.data;
  let isFolder = false;
  try {
    isFolder = (await stat(source)).isDirectory();
  } catch {
    throw new DataError(source, 'no such file or folder');
  }
  if (isFolder) return trainingDataFromPhotos(await loadImageFiles(source), config, `the images in ${source}`);

  const extension = extname(source).toLowerCase();
  if (extension === '.mat') return trainingDataFromMat(await loadMatFile(source), config, source);
  if (['.png', '.jpg', '.jpeg'].includes(extension)) return trainingDataFromPhotos(await loadImageFiles(source), config, source);
  if (activationFileKind(source) !== undefined) return trainingDataFromActivations(await loadActivations(source), source);
  if (/idx3|ubyte|\.idx/i.test(source)) return trainingDataFromIdx(await loadIdxImages(source), source);
  throw new DataError(source, 'unknown kind of data: expected natural, natural-color, mnist, a .mat, an idx file, a .npy or .safetensors activation matrix, PNG/JPEG images or a folder of them');
}
