/**
 * model.json of a trained classifier: its shape and θ in stackedAECost.m's packing
 * (src/reference/classifier.ts), with what produced it; a conv run's also carries the
 * convolution that turns an image into the classifier's input (the features' W′ and b′, the patch
 * and the pooling). `--predict` reads it back; anything malformed is a DataError naming the file.
 */
import { DataError } from '../data/errors';
import { classifierLayout, type ClassifierShape } from '../reference/classifier';
import type { ConvWeights, ImageGeometry } from './conv';

export const CLASSIFIER_FORMAT = 'ufldl-classifier';

export interface ClassifierModelJson {
  format: typeof CLASSIFIER_FORMAT;
  version: 1;
  task: string;
  shape: ClassifierShape;
  /** θ = [softmaxTheta(:); stack{1}.w(:); stack{1}.b(:); …], MATLAB's column-major order. */
  theta: number[];
  /** Test accuracies of the run that trained it. */
  accuracies: Record<string, number>;
  /** conv: the convolution and pooling before the classifier; its pooled values are the classifier's input. */
  convolution?: ConvolutionJson;
}

/**
 * cnnConvolve + cnnPool as a model.json holds them: images of `channels` planes of imageDim²,
 * `features` features of channels × patchDim² (weights row f: feature f laid out as a patch,
 * channel planes row-major, any whitening folded in; bias b′), mean-pooled by poolDim.
 */
export interface ConvolutionJson extends ImageGeometry {
  features: number;
  patchDim: number;
  poolDim: number;
  weights: number[];
  bias: number[];
}

/** The convolution of a model read back: geometry, pooling and the weights convolvePool applies. */
export interface ConvolutionModel extends ConvWeights {
  geometry: ImageGeometry;
  poolDim: number;
}

export function classifierModelJson(task: string, shape: ClassifierShape, theta: Float64Array, accuracies: Record<string, number>, convolution?: ConvolutionModel): ClassifierModelJson {
  return {
    format: CLASSIFIER_FORMAT,
    version: 1,
    task,
    shape: { ...shape, hiddenSizes: [...shape.hiddenSizes] },
    theta: Array.from(theta),
    accuracies,
    ...(convolution
      ? {
          convolution: {
            channels: convolution.geometry.channels,
            imageDim: convolution.geometry.imageDim,
            features: convolution.features,
            patchDim: convolution.patchDim,
            poolDim: convolution.poolDim,
            weights: Array.from(convolution.weights),
            bias: Array.from(convolution.bias),
          },
        }
      : {}),
  };
}

/** A classifier read back: its shape and θ, and what the file says of the run that trained it. */
export interface ClassifierModel {
  shape: ClassifierShape;
  theta: Float64Array;
  /** The task that trained it, as written (checked by whoever needs it). */
  task?: string;
  /** The test accuracies it reports, those that are numbers. */
  accuracies: Record<string, number>;
  /** conv: the convolution and pooling that make the classifier's input from an image. */
  convolution?: ConvolutionModel;
}

export function readClassifierModel(value: unknown, source: string): ClassifierModel {
  const fail = (why: string): never => {
    throw new DataError(source, why);
  };
  if (typeof value !== 'object' || value === null) return fail('is not a JSON object');
  const model = value as Partial<ClassifierModelJson>;
  if (model.format !== CLASSIFIER_FORMAT) return fail(`is not a classifier model (format ${JSON.stringify(model.format)}, expected "${CLASSIFIER_FORMAT}"; a sparse autoencoder's model.json is for npm run train)`);
  const shape = model.shape;
  const count = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
  if (!shape || !count(shape.inputSize) || !count(shape.numClasses) || !Array.isArray(shape.hiddenSizes) || !shape.hiddenSizes.every(count)) {
    return fail(`has no valid shape (${JSON.stringify(shape)})`);
  }
  if (shape.numClasses > 256) fail(`has ${shape.numClasses} classes; at most 256 are supported`);
  const expected = classifierLayout(shape).length;
  if (!Array.isArray(model.theta) || model.theta.length !== expected) {
    return fail(`theta has ${Array.isArray(model.theta) ? model.theta.length : 'no'} values; a ${[shape.inputSize, ...shape.hiddenSizes, shape.numClasses].join('-')} classifier needs ${expected}`);
  }
  const theta = finiteValues(model.theta, expected, 'theta', fail);
  const convolution = model.convolution === undefined ? undefined : readConvolution(model.convolution, shape.inputSize, fail);
  const accuracies: Record<string, number> = {};
  if (model.accuracies && typeof model.accuracies === 'object') {
    for (const [name, a] of Object.entries(model.accuracies)) if (typeof a === 'number' && Number.isFinite(a)) accuracies[name] = a;
  }
  return {
    shape: { inputSize: shape.inputSize, hiddenSizes: [...shape.hiddenSizes], numClasses: shape.numClasses },
    theta,
    ...(typeof model.task === 'string' ? { task: model.task } : {}),
    accuracies,
    ...(convolution ? { convolution } : {}),
  };
}

/** `count` finite numbers from a JSON array already known to hold that many. */
function finiteValues(values: unknown[], count: number, name: string, fail: (why: string) => never): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = values[i];
    if (typeof t !== 'number' || !Number.isFinite(t)) fail(`${name}[${i}] is ${JSON.stringify(t)}, not a finite number`);
    out[i] = t as number;
  }
  return out;
}

/** A conv model's convolution: whole sizes that fit one another, and pooled values as many as the classifier reads. */
function readConvolution(value: unknown, inputSize: number, fail: (why: string) => never): ConvolutionModel {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('has a convolution that is not a JSON object');
  const c = value as Partial<ConvolutionJson>;
  const sizes = { channels: c.channels, imageDim: c.imageDim, features: c.features, patchDim: c.patchDim, poolDim: c.poolDim };
  // Bounds that keep every product below float64's exact integers and the arrays' lengths sane.
  for (const [name, n] of Object.entries(sizes)) {
    if (!(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65_536)) fail(`convolution.${name} is ${JSON.stringify(n)}, not a whole number from 1 to 65536`);
  }
  const { channels, imageDim, features, patchDim, poolDim } = sizes as Record<keyof typeof sizes, number>;
  if (patchDim > imageDim) fail(`convolution.patchDim ${patchDim} does not fit its ${imageDim}×${imageDim} images`);
  const convDim = imageDim - patchDim + 1;
  if (poolDim > convDim) fail(`convolution.poolDim ${poolDim} does not fit its ${convDim}×${convDim} convolved maps`);
  const pd = Math.floor(convDim / poolDim);
  if (features * pd * pd !== inputSize) fail(`convolution gives ${features} × ${pd}×${pd} = ${features * pd * pd} pooled values an image; the classifier reads ${inputSize}`);
  const v = channels * patchDim * patchDim;
  if (!Array.isArray(c.weights) || c.weights.length !== features * v) {
    fail(`convolution.weights has ${Array.isArray(c.weights) ? c.weights.length : 'no'} values; ${features} features of ${channels} × ${patchDim}×${patchDim} need ${features * v}`);
  }
  if (!Array.isArray(c.bias) || c.bias.length !== features) fail(`convolution.bias has ${Array.isArray(c.bias) ? c.bias.length : 'no'} values; ${features} features need ${features}`);
  return {
    geometry: { channels, imageDim },
    features,
    channels,
    patchDim,
    poolDim,
    weights: finiteValues(c.weights!, features * v, 'convolution.weights', fail),
    bias: finiteValues(c.bias!, features, 'convolution.bias', fail),
  };
}

/** A model.json file's bytes: UTF-8 JSON, then readClassifierModel; all failures are DataErrors. */
export function readClassifierModelFile(bytes: Uint8Array, source: string): ClassifierModel {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new DataError(source, `not UTF-8 text (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(source, `not readable as JSON (${(error as Error).message})`);
  }
  return readClassifierModel(value, source);
}
