/**
 * Labeled digits for the classifier exercises: reading MNIST's image and label idx files as
 * one data set, and the shuffles, filters and splits of softmaxExercise.m and stlExercise.m.
 * Every function returns new arrays; the input data set is never changed.
 */
import { DataError } from './errors';
import { readIdxImages, readIdxLabels } from './idx';
import type { LabeledDataset } from './mnist';
import { Random } from '../random';

/** MNIST's classes are the digits 0 … 9. */
const MAX_DIGIT = 9;

/**
 * An idx images file and its labels file (gzipped or not) as one data set: pixels / 255 as
 * loadMNISTImages.m, labels as loadMNISTLabels.m. `sources` name the two files in errors.
 */
export function readLabeledIdx(
  images: Uint8Array,
  labels: Uint8Array,
  sources: { images: string; labels: string },
): LabeledDataset {
  const decoded = readIdxImages(images, sources.images);
  const classes = readIdxLabels(labels, sources.labels);
  if (classes.length !== decoded.count) {
    throw new DataError(
      sources.labels,
      `${classes.length} labels, but the images file ${sources.images} holds ${decoded.count} images: the two files do not belong together`,
    );
  }
  const bad = classes.findIndex((label) => label > MAX_DIGIT);
  if (bad >= 0) throw new DataError(sources.labels, `label ${bad} is ${classes[bad]}; digit labels are 0 … ${MAX_DIGIT}`);
  return { data: decoded.pixels, examples: decoded.count, visibleSize: decoded.rows * decoded.cols, labels: classes };
}

/** The examples in a seeded random order (Fisher–Yates), each still with its label. */
export function shuffleLabeled(d: LabeledDataset, seed: number): LabeledDataset {
  const order = Uint32Array.from({ length: d.examples }, (_, i) => i);
  new Random(seed).shuffle(order);
  return gather(d, order);
}

/** The examples whose label passes `keep`, in their order. */
export function selectLabels(d: LabeledDataset, keep: (label: number) => boolean): LabeledDataset {
  const indices: number[] = [];
  for (let k = 0; k < d.examples; k++) if (keep(d.labels[k])) indices.push(k);
  return gather(d, indices);
}

/** The first trainCount examples, and the rest. */
export function splitLabeled(d: LabeledDataset, trainCount: number): { train: LabeledDataset; test: LabeledDataset } {
  if (!(Number.isInteger(trainCount) && trainCount >= 0 && trainCount <= d.examples)) {
    throw new RangeError(`trainCount must be an integer in 0 … ${d.examples}, got ${trainCount}`);
  }
  return { train: slice(d, 0, trainCount), test: slice(d, trainCount, d.examples) };
}

export interface StlSplit {
  /** The digits 5 … 9, for the autoencoder (their labels kept but unused). */
  unlabeled: LabeledDataset;
  /** The first half of the digits 0 … 4, for the softmax classifier. */
  train: LabeledDataset;
  /** The other half of the digits 0 … 4. */
  test: LabeledDataset;
}

/**
 * stlExercise.m's split, after a seeded shuffle: unlabeled = digits ≥ 5, labeled = digits
 * 0 … 4, numTrain = round(numel(labeledSet)/2) of the labeled for training and the rest for
 * testing. Labels stay 0 … 4 (stlExercise.m's +1 is MATLAB's 1-based indexing).
 */
export function stlSplit(d: LabeledDataset, seed: number): StlSplit {
  const shuffled = shuffleLabeled(d, seed);
  const labeled = selectLabels(shuffled, (label) => label <= 4);
  const { train, test } = splitLabeled(labeled, Math.round(labeled.examples / 2));
  return { unlabeled: selectLabels(shuffled, (label) => label >= 5), train, test };
}

function gather(d: LabeledDataset, indices: ArrayLike<number>): LabeledDataset {
  const v = d.visibleSize;
  const data = new Float64Array(indices.length * v);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    data.set(d.data.subarray(k * v, (k + 1) * v), i * v);
    labels[i] = d.labels[k];
  }
  return { data, examples: indices.length, visibleSize: v, labels };
}

function slice(d: LabeledDataset, from: number, to: number): LabeledDataset {
  const v = d.visibleSize;
  return {
    data: d.data.slice(from * v, to * v),
    examples: to - from,
    visibleSize: v,
    labels: d.labels.slice(from, to),
  };
}
