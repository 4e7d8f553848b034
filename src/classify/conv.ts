/**
 * cnnExercise's pieces around the convolution (./pipeline.ts runs them as the conv task): the
 * patches the features are learned on, the features as the convolution's weights (an
 * autoencoder's W1 and b1, or the linear decoder's with its whitening folded in), UFLDL's own
 * data read from .mat files, and the picture of a few images' pooled feature maps. No Node-only
 * imports: a worker can run the pipeline.
 */
import { DataError } from '../data/errors';
import { findMatVariable, type MatVariable } from '../data/mat';
import { sampleRawPatches } from '../data/patches';
import type { NetworkImage } from '../display/network';
import type { Dataset } from '../reference/autoencoder';
import type { LabeledData } from '../reference/classifier';
import { convolvedDim, foldWhitening, pooledDim } from '../reference/conv';
import { thetaViews, type Shape } from '../reference/params';
import { columnMajorIndex, permuteVisible } from '../train/model-files';

/** Images as the convolution reads them: n × channels × imageDim × imageDim, channel planes row-major. */
export interface ImageGeometry {
  channels: number;
  imageDim: number;
}

/**
 * The features the convolution applies: W′ (F × C·p·p) and b′ with any whitening folded in, and
 * for the picture the autoencoder's θ and the whitening it was learned with.
 */
export interface ConvFeatures {
  features: number;
  channels: number;
  patchDim: number;
  weights: Float64Array;
  bias: Float64Array;
  theta: Float64Array;
  shape: Shape;
  zca?: Float64Array;
}

/** What the convolution itself reads of the features (a model.json's convolution carries these). */
export type ConvWeights = Pick<ConvFeatures, 'features' | 'channels' | 'patchDim' | 'weights' | 'bias'>;

/**
 * sampleIMAGES on the training digits: `count` patches of patchDim², each from a digit chosen at
 * random at a random valid position, pixels as they are (digits lie in [0, 1], which the
 * sigmoid output reproduces).
 */
export function digitPatches(train: Dataset, geometry: ImageGeometry, patchDim: number, count: number, seed: number): Dataset {
  if (geometry.channels !== 1) throw new RangeError('patches are cut from gray digits');
  const { imageDim } = geometry;
  const images = Array.from({ length: train.examples }, (_, k) => ({
    width: imageDim,
    height: imageDim,
    pixels: Float64Array.from(train.data.subarray(k * imageDim * imageDim, (k + 1) * imageDim * imageDim)),
    name: `training digit ${k + 1}`,
  }));
  return sampleRawPatches(images, { patchSize: patchDim, count, seed });
}

/** An autoencoder's features as the convolution's weights: row f of W′ is W1(f, :), b′ = b1 (no whitening). */
export function autoencoderFeatures(theta: Float64Array, shape: Shape, channels: number): ConvFeatures {
  const { visibleSize: v, hiddenSize: h } = shape;
  const patchDim = Math.round(Math.sqrt(v / channels));
  if (patchDim * patchDim * channels !== v) throw new RangeError(`${v} visible values are not ${channels}-channel square patches`);
  const { W1t, b1 } = thetaViews(theta, shape);
  const weights = new Float64Array(h * v);
  for (let f = 0; f < h; f++) for (let i = 0; i < v; i++) weights[f * v + i] = W1t[i * h + f];
  return { features: h, channels, patchDim, weights, bias: Float64Array.from(b1), theta, shape };
}

function requireFinite(variable: MatVariable, source: string): void {
  const i = variable.data.findIndex((x) => !Number.isFinite(x));
  if (i >= 0) throw new DataError(source, `variable '${variable.name}' has a non-finite value ${variable.data[i]} at index ${i}`);
}

/**
 * cnnExercise's images and labels from a .mat file (stlTrainSubset.mat: trainImages
 * dim × dim × 3 × N, trainLabels N × 1 of 1 … K; stlTestSubset.mat: testImages, testLabels),
 * MATLAB's column-major order turned into channel planes, row-major; labels 1 … K become 0 … K − 1.
 */
export function stlImagesFromMat(variables: readonly MatVariable[], prefix: 'train' | 'test', source: string): LabeledData & ImageGeometry & { numClasses: number } {
  const images = findMatVariable(variables, `${prefix}Images`, source);
  const labels = findMatVariable(variables, `${prefix}Labels`, source);
  const dims = images.dims.slice();
  while (dims.length < 4) dims.push(1);
  const [rows, cols, channels, n] = dims;
  if (dims.length > 4 || rows !== cols || rows === 0 || n === 0) {
    throw new DataError(source, `variable '${images.name}' is ${images.dims.join('×')}; expected square images dim×dim×channels×N (stlTrainSubset.mat's are 64×64×3×N)`);
  }
  requireFinite(images, source);
  if (labels.data.length !== n) throw new DataError(source, `variable '${labels.name}' has ${labels.data.length} labels for ${n} images`);
  const out = new Uint8Array(n);
  let numClasses = 0;
  labels.data.forEach((label, k) => {
    if (!(Number.isInteger(label) && label >= 1 && label <= 256)) throw new DataError(source, `variable '${labels.name}'(${k + 1}) is ${label}; labels are the classes 1 … K (K ≤ 256)`);
    out[k] = label - 1;
    numClasses = Math.max(numClasses, label);
  });
  const dim = rows;
  const plane = dim * dim;
  const data = new Float64Array(n * channels * plane);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      const from = (i * channels + c) * plane;
      for (let y = 0; y < dim; y++) for (let x = 0; x < dim; x++) data[from + y * dim + x] = images.data[from + x * dim + y];
    }
  }
  return { data, examples: n, visibleSize: channels * plane, labels: out, channels, imageDim: dim, numClasses };
}

/**
 * The linear decoder's features from a .mat file like STL10Features.mat: optTheta (its θ in
 * UFLDL's packing and MATLAB's pixel order), ZCAWhite (v × v) and meanPatch (v), for patches of
 * `channels` channels; the whitening folded into the weights (foldWhitening).
 */
export function convFeaturesFromMat(variables: readonly MatVariable[], channels: number, source: string): ConvFeatures {
  const thetaVar = findMatVariable(variables, 'optTheta', source);
  const zcaVar = findMatVariable(variables, 'ZCAWhite', source);
  const meanVar = findMatVariable(variables, 'meanPatch', source);
  for (const variable of [thetaVar, zcaVar, meanVar]) requireFinite(variable, source);
  const [v, v2] = zcaVar.dims;
  if (zcaVar.dims.length !== 2 || v !== v2 || v === 0) throw new DataError(source, `variable 'ZCAWhite' is ${zcaVar.dims.join('×')}; expected a square visible × visible matrix`);
  if (meanVar.data.length !== v) throw new DataError(source, `variable 'meanPatch' has ${meanVar.data.length} values; ZCAWhite is ${v}×${v}`);
  const patchDim = Math.round(Math.sqrt(v / channels));
  if (patchDim * patchDim * channels !== v) throw new DataError(source, `ZCAWhite is ${v}×${v}: not patches of ${channels} channels (the images have ${channels})`);
  const hidden = (thetaVar.data.length - v) / (2 * v + 1);
  if (!(Number.isInteger(hidden) && hidden >= 1)) {
    throw new DataError(source, `variable 'optTheta' has ${thetaVar.data.length} values; an autoencoder of ${v} visible units has 2·hidden·${v} + hidden + ${v}`);
  }
  const shape: Shape = { visibleSize: v, hiddenSize: hidden, output: 'linear' };
  const geometry = { width: patchDim, height: patchDim, channels: channels as 1 | 3 };
  const theta = permuteVisible(Float64Array.from(thetaVar.data), shape, geometry, true);
  const map = columnMajorIndex(geometry, v);
  const meanPatch = new Float64Array(v);
  const zca = new Float64Array(v * v);
  for (let i = 0; i < v; i++) {
    meanPatch[i] = meanVar.data[map[i]];
    for (let j = 0; j < v; j++) zca[i * v + j] = zcaVar.data[map[j] * v + map[i]];
  }
  const learned = autoencoderFeatures(theta, shape, channels);
  const folded = foldWhitening(learned.weights, learned.bias, zca, meanPatch, hidden, v);
  return { ...learned, weights: folded.weights, bias: folded.bias, zca };
}

/** Values per image after pooling: F × pooledDim². */
export function pooledSize(features: number, geometry: ImageGeometry, patchDim: number, poolDim: number): number {
  const pd = pooledDim(convolvedDim({ imageDim: geometry.imageDim, patchDim }), poolDim);
  return features * pd * pd;
}

/**
 * A few images and their pooled feature maps: one row per image, the image (channels averaged)
 * enlarged to the height of its maps' grid, then its F maps of pooledDim × pooledDim, each
 * enlarged, in a grid. Maps share one gray scale (the shown values' range: black low, white high),
 * so that rows compare.
 */
export function pooledMapsImage(images: Dataset, geometry: ImageGeometry, pooled: ArrayLike<number>, features: number, pd: number, indices: readonly number[]): NetworkImage {
  const mapScale = Math.max(1, Math.round(12 / pd));
  const tile = pd * mapScale;
  const columns = Math.ceil(Math.sqrt(features));
  const gridRows = Math.ceil(features / columns);
  const gridHeight = gridRows * (tile + 1) - 1;
  const imageScale = Math.max(1, Math.floor(gridHeight / geometry.imageDim));
  const imageSide = geometry.imageDim * imageScale;
  const rowHeight = Math.max(gridHeight, imageSide);
  const gap = 6;
  const width = gap + imageSide + gap + columns * (tile + 1) - 1 + gap;
  const height = gap + indices.length * (rowHeight + gap);
  const values = new Float32Array(width * height).fill(0.3);
  const perImage = features * pd * pd;
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of indices) for (let k = 0; k < perImage; k++) (lo = Math.min(lo, pooled[i * perImage + k])), (hi = Math.max(hi, pooled[i * perImage + k]));
  const gray = (x: number) => (hi > lo ? (2 * (x - lo)) / (hi - lo) - 1 : 0);
  const { channels, imageDim } = geometry;
  const plane = imageDim * imageDim;
  indices.forEach((i, row) => {
    const top = gap + row * (rowHeight + gap);
    // The image, its channels averaged and stretched to its own range.
    const pixels = new Float64Array(plane);
    for (let c = 0; c < channels; c++) for (let k = 0; k < plane; k++) pixels[k] += images.data[i * channels * plane + c * plane + k] / channels;
    let [pmin, pmax] = [Infinity, -Infinity];
    for (const p of pixels) (pmin = Math.min(pmin, p)), (pmax = Math.max(pmax, p));
    for (let y = 0; y < imageSide; y++) {
      for (let x = 0; x < imageSide; x++) {
        const p = pixels[Math.floor(y / imageScale) * imageDim + Math.floor(x / imageScale)];
        values[(top + y) * width + gap + x] = pmax > pmin ? (2 * (p - pmin)) / (pmax - pmin) - 1 : 0;
      }
    }
    const left = gap + imageSide + gap;
    for (let f = 0; f < features; f++) {
      const x0 = left + (f % columns) * (tile + 1);
      const y0 = top + Math.floor(f / columns) * (tile + 1);
      for (let y = 0; y < tile; y++) {
        for (let x = 0; x < tile; x++) {
          const value = pooled[i * perImage + f * pd * pd + Math.floor(y / mapScale) * pd + Math.floor(x / mapScale)];
          values[(y0 + y) * width + x0 + x] = gray(value);
        }
      }
    }
  });
  return { width, height, values };
}
