/**
 * The training data a configuration names, resolved the same way in Node (the command line,
 * ./data-node.ts) and in the browser (the trainer page's worker): the embedded natural images
 * (gray and whitened, or color patches whitened by ZCA for the linear decoder), the MNIST digits, or the user's own data — a .mat holding IMAGES or patches, an idx images
 * file, or PNG/JPEG images. Where the bytes come from (files on disk, a fetch, a file the user
 * dropped) is the caller's business; everything after that lives here. Every problem is a
 * DataError naming the input.
 */
import { sampleColorPatches } from '../data/color';
import { activationFileKind, readActivations } from '../data/activations';
import { DataError } from '../data/errors';
import { idxImagesToDataset, readIdxImages, type IdxImages } from '../data/idx';
import { decodeImage, imageFormat, whiten, type GrayImage, type RgbImage } from '../data/images';
import { readMat, type MatVariable } from '../data/mat';
import { imagesFromMat, patchesFromMat } from '../data/mat-layout';
import { MNIST_SIDE, type LabeledDataset } from '../data/mnist';
import { normalizePatches, samplePatches } from '../data/patches';
import { ZCA_EPSILON, zcaWhiten, type ZcaWhitening } from '../data/zca';
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
  /** The mean patch and ZCAWhite the examples were whitened with (color patches), to whiten new patches alike. */
  whitening?: ZcaWhitening;
}

/** Where the bytes of each kind of data come from, in this environment. */
export interface DataLoaders {
  /** The embedded photos, decoded, downsampled and whitened (natural.ts). */
  naturalImages(): Promise<GrayImage[]>;
  /** The same photos in color, decoded and downsampled (src/data/color.ts). */
  naturalColorImages(): Promise<RgbImage[]>;
  mnistDigits(): Promise<LabeledDataset>;
  /** Anything else `config.data` names: a path (Node) or the user's files (browser). */
  userData(config: TrainConfig): Promise<TrainingData>;
}

/**
 * The data for `config`, ready to train on. Mini-batch methods take contiguous batches, so
 * for them the examples are mixed once, seeded (MNIST's come sorted by digit).
 */
export async function resolveTrainingData(config: TrainConfig, loaders: DataLoaders): Promise<TrainingData> {
  const data = await resolveUnshuffled(config, loaders);
  if (config.optimizer === 'sgd' || config.optimizer === 'adam') shuffleExamples(data.dataset, config.seed);
  return data;
}

/**
 * Values per example of the data `config` names, where the configuration alone says it (the
 * embedded photos' patches: patchSize² gray, 3 patchSize² in color; the digits' 28 × 28); undefined until loaded otherwise.
 */
export function visibleSizeBeforeLoading(config: Pick<TrainConfig, 'data' | 'patchSize'>): number | undefined {
  if (config.data === 'natural') return config.patchSize * config.patchSize;
  if (config.data === 'natural-color') return 3 * config.patchSize * config.patchSize;
  if (config.data === 'mnist') return MNIST_SIDE * MNIST_SIDE;
  return undefined;
}

async function resolveUnshuffled(config: TrainConfig, loaders: DataLoaders): Promise<TrainingData> {
  if (config.data === 'natural') {
    return trainingDataFromImages(await loaders.naturalImages(), config, 'the embedded whitened natural images');
  }
  if (config.data === 'natural-color') {
    return learnable(trainingDataFromColorImages(await loaders.naturalColorImages(), config, 'the embedded photos in color'), config);
  }
  if (config.data === 'mnist') return trainingDataFromMnist(await loaders.mnistDigits());
  return learnable(await loaders.userData(config), config);
}

/**
 * The data as a model can learn them: finite, not all one value, and, for a sigmoid output
 * layer, in [0, 1], which is all it can reproduce — or rescaled into it by normalizeData when
 * asked. A linear output reproduces any real values (whitened patches, say).
 */
export function learnable(data: TrainingData, config: Pick<TrainConfig, 'data' | 'normalize' | 'output'>): TrainingData {
  const source = config.data;
  if (data.dataset.visibleSize < 2) {
    throw new DataError(source, `has ${data.dataset.visibleSize} value per example: patches are visible × m, one example per column`);
  }
  // A single column is one example of every value: a 1-D vector of patches read whole, never a data set.
  if (data.dataset.examples < 2) {
    throw new DataError(
      source,
      `holds one example of ${data.dataset.visibleSize} values: patches are visible × m, one example per column; reshape a vector of patches to visible × m`,
    );
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of data.dataset.data) {
    if (!Number.isFinite(v)) throw new DataError(source, `holds a value that is not a finite number (${v})`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) throw new DataError(source, `every value is ${min}: there is nothing to learn`);
  if (config.normalize) {
    normalizePatches(data.dataset);
    return { ...data, description: `${data.description}, rescaled by normalizeData` };
  }
  if ((config.output ?? 'sigmoid') === 'sigmoid' && (min < 0 || max > 1)) {
    throw new DataError(
      source,
      `values run from ${min} to ${max}, but the sigmoid output can only reproduce [0, 1]: rescale them, or pass --normalize to apply UFLDL's normalizeData, or train a linear decoder (--output linear)`,
    );
  }
  return data;
}

/**
 * The samplers name their problems after themselves ("patches"): said of the images the user
 * gave instead, so that the message names the file to change.
 */
function namingImages<T>(what: string, sample: () => T): T {
  try {
    return sample();
  } catch (error) {
    if (error instanceof DataError && (error.source === 'patches' || error.source === 'color patches')) throw new DataError(what, error.problem, { cause: error });
    throw error;
  }
}

/**
 * `config.patches` random normalized patches of `config.patchSize`² pixels (sampleIMAGES);
 * `source` names the images in errors (default: `what`).
 */
export function trainingDataFromImages(images: readonly GrayImage[], config: TrainConfig, what: string, source = what): TrainingData {
  const { patchSize, patches, seed } = config;
  return {
    dataset: namingImages(source, () => samplePatches(images, { patchSize, count: patches, seed })),
    geometry: { width: patchSize, height: patchSize },
    description: `${patches} patches of ${patchSize}×${patchSize} from ${what}`,
  };
}

/**
 * linearDecoderExercise's data: `config.patches` color patches of `config.patchSize`² × 3
 * values (src/data/color.ts), the mean patch removed and ZCA-whitened with ε = 0.1.
 */
export function trainingDataFromColorImages(images: readonly RgbImage[], config: TrainConfig, what: string): TrainingData {
  const { patchSize, patches, seed } = config;
  const dataset = namingImages(what, () => sampleColorPatches(images, { patchSize, count: patches, seed }));
  const whitening = zcaWhiten(dataset, ZCA_EPSILON);
  return {
    dataset,
    geometry: { width: patchSize, height: patchSize, channels: 3 },
    description: `${patches} color patches of ${patchSize}×${patchSize}×3 from ${what} (the more contrasted half of those cut), mean patch removed, ZCA-whitened (ε = ${ZCA_EPSILON})`,
    whitening,
  };
}

export function trainingDataFromMnist(dataset: LabeledDataset): TrainingData {
  return {
    dataset,
    geometry: { width: MNIST_SIDE, height: MNIST_SIDE },
    description: `the ${dataset.examples} MNIST digits of the mnist package`,
  };
}

/** A MAT-file's IMAGES (patches are sampled from them) or its ready-made patches. */
export function trainingDataFromMat(variables: readonly MatVariable[], config: TrainConfig, source: string): TrainingData {
  if (variables.some((v) => v.name === 'IMAGES')) return trainingDataFromImages(imagesFromMat(variables, source), config, `IMAGES in ${source}`);
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

/** Every image of an idx images file as one example (as UFLDL's loadMNISTImages). */
export function trainingDataFromIdx(images: IdxImages, source: string): TrainingData {
  return {
    dataset: idxImagesToDataset(images),
    geometry: { width: images.cols, height: images.rows },
    description: `${images.count} images of ${images.rows}×${images.cols} from ${source}`,
  };
}

/**
 * An activation matrix (.npy, .safetensors; src/data/activations.ts): examples as they are, no
 * pixels to show. For the sigmoid output learnable() still asks for [0, 1] (or --normalize).
 */
export function trainingDataFromActivations(dataset: Dataset, source: string): TrainingData {
  return { dataset, geometry: undefined, description: `${dataset.examples} activation vectors of ${dataset.visibleSize} values from ${source}` };
}

/** Photos (not yet whitened): whitened together, then cut into patches. */
export function trainingDataFromPhotos(images: readonly GrayImage[], config: TrainConfig, what: string): TrainingData {
  return trainingDataFromImages(whiten(images), config, `${what}, whitened`, what);
}

export type UserFileKind = 'mat' | 'idx' | 'image';

/**
 * What a file is, from its name as the command line decides it (.mat; .png/.jpg/.jpeg; idx3,
 * ubyte or .idx in the name), or, failing that, from its first bytes (a MAT-file's text
 * header, PNG/JPEG signatures, an idx images magic number, gzip — as the MNIST files are
 * distributed). Undefined when neither tells.
 */
export function userFileKind(name: string, bytes?: Uint8Array): UserFileKind | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.mat')) return 'mat';
  if (/\.(png|jpe?g)$/.test(lower)) return 'image';
  if (/idx3|ubyte|\.idx/.test(lower)) return 'idx';
  if (!bytes) return undefined;
  if (imageFormat(bytes)) return 'image';
  const head = String.fromCharCode(...bytes.subarray(0, 10));
  if (head.startsWith('MATLAB')) return 'mat';
  if (bytes.length >= 4 && ((bytes[0] === 0x1f && bytes[1] === 0x8b) || (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08 && bytes[3] === 0x03))) {
    return 'idx';
  }
  return undefined;
}

export interface UserFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * The training data in files the user gave: one .mat (IMAGES or patches), one idx images
 * file, or any number of PNG/JPEG images (whitened together, like the natural images).
 */
export function trainingDataFromFiles(files: readonly UserFile[], config: TrainConfig): TrainingData {
  if (files.length === 0) throw new DataError('your data', 'no file given');
  const kinds = files.map((file) => {
    const kind = activationFileKind(file.name, file.bytes) !== undefined ? 'activations' : userFileKind(file.name, file.bytes);
    if (!kind) {
      throw new DataError(file.name, 'unknown kind of data: expected a .mat (IMAGES or patches), an idx images file, or PNG/JPEG images');
    }
    return kind;
  });
  if (kinds.every((kind) => kind === 'image')) {
    const images = files.map((file) => decodeImage(file.bytes, file.name));
    const what = files.length === 1 ? files[0].name : `${files.length} images (${files.map((f) => f.name).join(', ')})`;
    return trainingDataFromPhotos(images, config, what);
  }
  if (files.length > 1) {
    throw new DataError(files.map((f) => f.name).join(', '), 'give one .mat or idx file at a time (only PNG/JPEG images can be combined)');
  }
  const [{ name, bytes }] = files;
  if (kinds[0] === 'activations') return trainingDataFromActivations(readActivations(name, bytes), name);
  if (kinds[0] === 'mat') return trainingDataFromMat(readMat(bytes, name, { skipUnsupported: true }), config, name);
  return trainingDataFromIdx(readIdxImages(bytes, name), name);
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
