/**
 * The files a trained model is written as, the same from the command line and the pages:
 *
 * - model.json: {"visibleSize", "hiddenSize", "W1" (hidden × visible), "b1", "W2" (visible ×
 *   hidden), "b2", "output" ("sigmoid" or "linear"), "sparsityParam", "lambda", "beta",
 *   "pixelOrder": "row-major"}; for image data, visible index y·width + x is the pixel at row
 *   y, column x (for color, "imageChannels": 3 and c·width·height + y·width + x, channel
 *   planes R, G, B). Data whitened by ZCA add "meanPatch" (visible values), "ZCAWhite"
 *   (visible × visible) and "zcaEpsilon": a new patch x is whitened as ZCAWhite·(x − meanPatch).
 * - theta.mat: θ packed as UFLDL's [W1(:); W2(:); b1; b2] with MATLAB's column-major pixel
 *   order (index x·height + y, per channel plane), and W1 as a hidden × visible matrix, for
 *   MATLAB and Octave; with ZCA, also meanPatch and ZCAWhite in that order.
 * - features.png: display_network of W1, or for color displayColorNetwork of W1·ZCAWhite.
 *
 * Internally pixels are row-major; the column-major conversion happens only here.
 */
import { CLASSIFIER_FORMAT } from '../classify/model-file';
import { DataError, messageOf } from '../data/errors';
import { writeMat, type MatVariable } from '../data/mat';
import { thetaFromMat } from '../data/mat-layout';
import { displayColorFeatures, displayColorNetwork, displayFeatures, displayPatches, type TileSize } from '../display/network';
import { encodePng } from '../display/png';
import type { Dataset, Hyperparameters } from '../reference/autoencoder';
import type { OutputActivation } from '../reference/ops';
import { outputOf, thetaLayout, type Shape } from '../reference/params';

/**
 * How a visible vector is an image (undefined when the data are not images): width × height
 * pixels, of 3 channel planes when `channels` is 3 (src/data/color.ts's layout).
 */
export type PixelGeometry = (TileSize & { channels?: 1 | 3 }) | undefined;

/** What the data were whitened with before training, to whiten new patches alike. */
export interface Whitening {
  meanPatch: Float64Array;
  /** v × v row-major, symmetric. */
  zca: Float64Array;
  epsilon: number;
}

const channelsOf = (geometry: PixelGeometry) => geometry?.channels ?? 1;

/** visible index in our row-major order → the same pixel's index in MATLAB's column-major order. */
export function columnMajorIndex(geometry: PixelGeometry, visibleSize: number): Int32Array {
  const map = new Int32Array(visibleSize);
  for (let i = 0; i < visibleSize; i++) map[i] = i;
  const channels = channelsOf(geometry);
  if (geometry && geometry.width * geometry.height * channels === visibleSize) {
    const { width, height } = geometry;
    const plane = width * height;
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) map[c * plane + y * width + x] = c * plane + x * height + y;
    }
  }
  return map;
}

/** Reorders θ's visible dimension: to MATLAB's pixel order, or back (inverse = true). */
export function permuteVisible(theta: Float64Array, shape: Shape, geometry: PixelGeometry, inverse = false): Float64Array {
  const { visibleSize: v, hiddenSize: h } = shape;
  const L = thetaLayout(shape);
  if (theta.length !== L.length) throw new RangeError(`θ has ${theta.length} values, expected ${L.length}`);
  const map = columnMajorIndex(geometry, v);
  const out = theta.slice();
  for (let i = 0; i < v; i++) {
    const [from, to] = inverse ? [map[i], i] : [i, map[i]];
    for (let j = 0; j < h; j++) {
      out[L.W1 + to * h + j] = theta[L.W1 + from * h + j]; // W1(j, i): column i of hidden × visible
      out[L.W2 + j * v + to] = theta[L.W2 + j * v + from]; // W2(i, j): row i of visible × hidden
    }
    out[L.b2 + to] = theta[L.b2 + from];
  }
  return out;
}

export interface ModelJson {
  visibleSize: number;
  hiddenSize: number;
  W1: number[][];
  b1: number[];
  W2: number[][];
  b2: number[];
  output: OutputActivation;
  sparsityParam: number;
  lambda: number;
  beta: number;
  pixelOrder: 'row-major';
  imageWidth?: number;
  imageHeight?: number;
  imageChannels?: 3;
  meanPatch?: number[];
  ZCAWhite?: number[][];
  zcaEpsilon?: number;
}

export function modelJson(
  theta: Float64Array,
  shape: Shape,
  hyperparameters: Hyperparameters,
  geometry: PixelGeometry,
  whitening?: Whitening,
): ModelJson {
  const { visibleSize: v, hiddenSize: h } = shape;
  const L = thetaLayout(shape);
  return {
    visibleSize: v,
    hiddenSize: h,
    W1: Array.from({ length: h }, (_, j) => Array.from({ length: v }, (_, i) => theta[L.W1 + i * h + j])),
    b1: Array.from(theta.subarray(L.b1, L.b1 + h)),
    W2: Array.from({ length: v }, (_, i) => Array.from({ length: h }, (_, j) => theta[L.W2 + j * v + i])),
    b2: Array.from(theta.subarray(L.b2, L.b2 + v)),
    output: outputOf(shape),
    sparsityParam: hyperparameters.sparsityParam,
    lambda: hyperparameters.lambda,
    beta: hyperparameters.beta,
    pixelOrder: 'row-major',
    ...(geometry ? { imageWidth: geometry.width, imageHeight: geometry.height } : {}),
    ...(channelsOf(geometry) === 3 ? { imageChannels: 3 as const } : {}),
    ...(whitening
      ? {
          meanPatch: Array.from(whitening.meanPatch),
          ZCAWhite: Array.from({ length: v }, (_, i) => Array.from(whitening.zca.subarray(i * v, (i + 1) * v))),
          zcaEpsilon: whitening.epsilon,
        }
      : {}),
  };
}

/** A model read back from model.json: θ in our packing, its shape (with the output layer), and the whitening it was trained after. */
export interface ModelFromJson {
  theta: Float64Array;
  shape: Shape;
  whitening?: Whitening;
  /** The hyperparameters it was trained with, those the file states as finite numbers. */
  hyperparameters: Partial<Hyperparameters>;
}

/** θ from a model.json file's text (or its UTF-8 bytes): parsed, then read by thetaFromModelJson. */
export function thetaFromModelJsonText(text: string | Uint8Array, source: string, reads: ModelJsonKind = 'kl'): ModelFromJson {
  let json: string;
  try {
    json = typeof text === 'string' ? text : new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch (error) {
    throw new DataError(source, `not UTF-8 text (${messageOf(error)})`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new DataError(source, `not readable as JSON (${messageOf(error)})`, { cause: error });
  }
  return thetaFromModelJson(value, source, reads);
}

/** Whose model.json a reader takes: UFLDL's sparse autoencoder's, or an SAE's (`--model topk|batchtopk|relu-l1`, the same four blocks). */
export type ModelJsonKind = 'kl' | 'sae';

/**
 * θ (our packing) from a model.json's contents, with its output layer (sigmoid when the file
 * names none, as files written before the linear decoder) and its whitening; a DataError
 * names what does not fit.
 */
export function thetaFromModelJson(value: unknown, source: string, reads: ModelJsonKind = 'kl'): ModelFromJson {
  const m = value as Partial<ModelJson> | null;
  const fail = (why: string): never => {
    throw new DataError(source, why);
  };
  if (!m || typeof m !== 'object' || Array.isArray(m)) fail('not a model.json object');
  // Other model.json files of this project, which would otherwise be misread or refused for a missing field.
  const other = m as { format?: unknown; model?: unknown };
  if (other.format === CLASSIFIER_FORMAT) fail("is a classifier's model.json (npm run classify), not a sparse autoencoder's: open it on the classification page or with npm run classify -- --predict");
  if (reads === 'kl' && other.model !== undefined && other.model !== 'kl') {
    fail(`is the model.json of a ${JSON.stringify(other.model)} SAE (npm run train -- --model ${String(other.model)}), not of UFLDL's sparse autoencoder (--model kl), which is what this reads`);
  }
  const v = m!.visibleSize;
  const h = m!.hiddenSize;
  if (!(Number.isInteger(v) && v! > 0 && Number.isInteger(h) && h! > 0)) fail('visibleSize and hiddenSize must be positive integers');
  const output = m!.output ?? 'sigmoid';
  if (output !== 'sigmoid' && output !== 'linear') fail(`output is ${JSON.stringify(output)}, not "sigmoid" or "linear"`);
  const shape: Shape = { visibleSize: v!, hiddenSize: h!, ...(output === 'linear' ? { output } : {}) };
  const matrix = (name: 'W1' | 'W2' | 'ZCAWhite', rows: number, cols: number): number[][] => {
    const M = m![name];
    if (!Array.isArray(M) || M.length !== rows || M.some((r) => !Array.isArray(r) || r.length !== cols)) {
      fail(`${name} must be ${rows} × ${cols}`);
    }
    return M!;
  };
  const vector = (name: 'b1' | 'b2' | 'meanPatch', n: number): number[] => {
    const b = m![name];
    if (!Array.isArray(b) || b.length !== n) fail(`${name} must have ${n} values`);
    return b!;
  };
  const W1 = matrix('W1', h!, v!);
  const W2 = matrix('W2', v!, h!);
  const b1 = vector('b1', h!);
  const b2 = vector('b2', v!);
  // Each entry must be a number as it stands: typed-array stores would turn null into 0 and
  // "0.5" into 0.5 without a word.
  const number = (value: unknown, where: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
      fail(`${where} is ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}, not a finite number`);
    }
    return value as number;
  };
  const L = thetaLayout(shape);
  const theta = new Float64Array(L.length);
  for (let j = 0; j < h!; j++) for (let i = 0; i < v!; i++) theta[L.W1 + i * h! + j] = number(W1[j][i], `W1[${j}][${i}]`);
  for (let i = 0; i < v!; i++) for (let j = 0; j < h!; j++) theta[L.W2 + j * v! + i] = number(W2[i][j], `W2[${i}][${j}]`);
  for (let j = 0; j < h!; j++) theta[L.b1 + j] = number(b1[j], `b1[${j}]`);
  for (let i = 0; i < v!; i++) theta[L.b2 + i] = number(b2[i], `b2[${i}]`);
  const hyperparameters: Partial<Hyperparameters> = {};
  for (const name of ['sparsityParam', 'lambda', 'beta'] as const) {
    const value = m![name];
    if (typeof value === 'number' && Number.isFinite(value)) hyperparameters[name] = value;
  }
  if (m!.meanPatch === undefined && m!.ZCAWhite === undefined) return { theta, shape, hyperparameters };
  if (m!.meanPatch === undefined || m!.ZCAWhite === undefined) fail('has one of meanPatch and ZCAWhite without the other: new patches cannot be whitened');
  const meanRows = vector('meanPatch', v!);
  const zcaRows = matrix('ZCAWhite', v!, v!);
  const meanPatch = Float64Array.from(meanRows, (x, i) => number(x, `meanPatch[${i}]`));
  const zca = new Float64Array(v! * v!);
  for (let i = 0; i < v!; i++) for (let j = 0; j < v!; j++) zca[i * v! + j] = number(zcaRows[i][j], `ZCAWhite[${i}][${j}]`);
  const epsilon = m!.zcaEpsilon === undefined ? NaN : number(m!.zcaEpsilon, 'zcaEpsilon');
  return { theta, shape, whitening: { meanPatch, zca, epsilon }, hyperparameters };
}

/**
 * theta.mat: `theta` in UFLDL's packing and pixel order, plus `W1` (hidden × visible), and with
 * a whitening `meanPatch` (visible × 1) and `ZCAWhite` (visible × visible) in the same pixel
 * order, so that MATLAB's displayColorNetwork((W1*ZCAWhite)') draws the features.
 */
export function thetaMatFile(theta: Float64Array, shape: Shape, geometry: PixelGeometry, whitening?: Whitening): Uint8Array {
  const matlab = permuteVisible(theta, shape, geometry);
  const v = shape.visibleSize;
  const hv = shape.hiddenSize * v;
  const variables: MatVariable[] = [
    { name: 'theta', dims: [matlab.length, 1], data: matlab },
    { name: 'W1', dims: [shape.hiddenSize, v], data: matlab.subarray(0, hv) },
  ];
  if (whitening) {
    const map = columnMajorIndex(geometry, v);
    const meanPatch = new Float64Array(v);
    const zca = new Float64Array(v * v);
    for (let i = 0; i < v; i++) {
      meanPatch[map[i]] = whitening.meanPatch[i];
      // Column-major storage of the symmetric matrix: (r, c) at c·v + r.
      for (let j = 0; j < v; j++) zca[map[j] * v + map[i]] = whitening.zca[i * v + j];
    }
    variables.push({ name: 'meanPatch', dims: [v, 1], data: meanPatch }, { name: 'ZCAWhite', dims: [v, v], data: zca });
  }
  return writeMat(variables, { compress: true });
}

/** θ (our packing) from a MAT-file's `theta` written by UFLDL/minFunc or by thetaMatFile. */
export function thetaFromMatVariables(variables: readonly MatVariable[], shape: Shape, geometry: PixelGeometry, source: string): Float64Array {
  const theta = thetaFromMat(variables, source);
  const expected = thetaLayout(shape).length;
  if (theta.length !== expected) {
    throw new DataError(
      source,
      `theta has ${theta.length} values; a ${shape.visibleSize}-${shape.hiddenSize} autoencoder needs ${expected} (2·hidden·visible + hidden + visible)`,
    );
  }
  return permuteVisible(theta, shape, geometry, true);
}

/**
 * How to draw a visible vector in gray: as its image (a color one as its three channel planes
 * stacked, R over G over B, which its layout already is), as a square, or else as a one-row strip.
 */
export function displayGeometry(geometry: PixelGeometry, visibleSize: number): TileSize {
  if (geometry) return { width: geometry.width, height: geometry.height * channelsOf(geometry) };
  const side = Math.round(Math.sqrt(visibleSize));
  return side * side === visibleSize ? { width: side, height: side } : { width: visibleSize, height: 1 };
}

/**
 * The picture of the features: each hidden unit's W1(j,:)/‖W1(j,:)‖ as an image
 * (display_network), or for color data W1·ZCAWhite by displayColorNetwork.
 */
export function featuresImage(theta: Float64Array, shape: Shape, geometry: PixelGeometry, whitening?: Pick<Whitening, 'zca'>) {
  if (geometry && channelsOf(geometry) === 3) return displayColorFeatures(theta, shape, geometry, whitening?.zca);
  return displayFeatures(theta, shape, displayGeometry(geometry, shape.visibleSize));
}

/** features.png: featuresImage, each pixel enlarged to scale × scale. */
export function featuresPng(theta: Float64Array, shape: Shape, geometry: PixelGeometry, scale = 4, whitening?: Pick<Whitening, 'zca'>): Uint8Array {
  return encodePng(featuresImage(theta, shape, geometry, whitening), { scale });
}

/**
 * patches.png: every example of `sample` as an image — display_network's, or for color data
 * displayColorNetwork's, as the exercise shows its (whitened) patches.
 */
export function examplesPng(sample: Dataset, geometry: PixelGeometry, scale = 4): Uint8Array {
  if (geometry && channelsOf(geometry) === 3) {
    const data = Float64Array.from(sample.data);
    return encodePng(displayColorNetwork({ data, count: sample.examples, tileWidth: geometry.width, tileHeight: geometry.height }), { scale });
  }
  const shown = Array.from({ length: sample.examples }, (_, i) => i);
  return encodePng(displayPatches(sample, displayGeometry(geometry, sample.visibleSize), shown), { scale });
}
