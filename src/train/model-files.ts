/**
 * The files a trained model is written as, the same from the command line and the pages:
 *
 * - model.json: {"visibleSize", "hiddenSize", "W1" (hidden × visible), "b1", "W2" (visible ×
 *   hidden), "b2", "sparsityParam", "lambda", "beta", "pixelOrder": "row-major"}; for image
 *   data, visible index y·width + x is the pixel at row y, column x.
 * - theta.mat: θ packed as UFLDL's [W1(:); W2(:); b1; b2] with MATLAB's column-major pixel
 *   order (index x·height + y), and W1 as a hidden × visible matrix, for MATLAB and Octave.
 * - features.png: display_network of W1.
 *
 * Internally pixels are row-major; the column-major conversion happens only here.
 */
import { DataError, messageOf } from '../data/errors';
import { writeMat, type MatVariable } from '../data/mat';
import { thetaFromMat } from '../data/mat-layout';
import { displayFeatures, type TileSize } from '../display/network';
import { encodePng } from '../display/png';
import type { Hyperparameters } from '../reference/autoencoder';
import { thetaLayout, type Shape } from '../reference/params';

/** How a visible vector is an image (undefined when the data are not images). */
export type PixelGeometry = TileSize | undefined;

/** visible index in our row-major order → the same pixel's index in MATLAB's column-major order. */
function columnMajorIndex(geometry: PixelGeometry, visibleSize: number): Int32Array {
  const map = new Int32Array(visibleSize);
  for (let i = 0; i < visibleSize; i++) map[i] = i;
  if (geometry && geometry.width * geometry.height === visibleSize) {
    const { width, height } = geometry;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) map[y * width + x] = x * height + y;
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
  sparsityParam: number;
  lambda: number;
  beta: number;
  pixelOrder: 'row-major';
  imageWidth?: number;
  imageHeight?: number;
}

export function modelJson(theta: Float64Array, shape: Shape, hyperparameters: Hyperparameters, geometry: PixelGeometry): ModelJson {
  const { visibleSize: v, hiddenSize: h } = shape;
  const L = thetaLayout(shape);
  return {
    visibleSize: v,
    hiddenSize: h,
    W1: Array.from({ length: h }, (_, j) => Array.from({ length: v }, (_, i) => theta[L.W1 + i * h + j])),
    b1: Array.from(theta.subarray(L.b1, L.b1 + h)),
    W2: Array.from({ length: v }, (_, i) => Array.from({ length: h }, (_, j) => theta[L.W2 + j * v + i])),
    b2: Array.from(theta.subarray(L.b2, L.b2 + v)),
    sparsityParam: hyperparameters.sparsityParam,
    lambda: hyperparameters.lambda,
    beta: hyperparameters.beta,
    pixelOrder: 'row-major',
    ...(geometry ? { imageWidth: geometry.width, imageHeight: geometry.height } : {}),
  };
}

/** θ from a model.json file's text (or its UTF-8 bytes): parsed, then read by thetaFromModelJson. */
export function thetaFromModelJsonText(text: string | Uint8Array, source: string): { theta: Float64Array; shape: Shape } {
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
  return thetaFromModelJson(value, source);
}

/** θ (our packing) from a model.json's contents; a DataError names what does not fit. */
export function thetaFromModelJson(value: unknown, source: string): { theta: Float64Array; shape: Shape } {
  const m = value as Partial<ModelJson> | null;
  const fail = (why: string): never => {
    throw new DataError(source, why);
  };
  if (!m || typeof m !== 'object') fail('not a model.json object');
  const v = m!.visibleSize;
  const h = m!.hiddenSize;
  if (!(Number.isInteger(v) && v! > 0 && Number.isInteger(h) && h! > 0)) fail('visibleSize and hiddenSize must be positive integers');
  const shape = { visibleSize: v!, hiddenSize: h! };
  const matrix = (name: 'W1' | 'W2', rows: number, cols: number): number[][] => {
    const M = m![name];
    if (!Array.isArray(M) || M.length !== rows || M.some((r) => !Array.isArray(r) || r.length !== cols)) {
      fail(`${name} must be ${rows} × ${cols}`);
    }
    return M!;
  };
  const vector = (name: 'b1' | 'b2', n: number): number[] => {
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
  return { theta, shape };
}

/** theta.mat: `theta` in UFLDL's packing and pixel order, plus `W1` (hidden × visible). */
export function thetaMatFile(theta: Float64Array, shape: Shape, geometry: PixelGeometry): Uint8Array {
  const matlab = permuteVisible(theta, shape, geometry);
  const hv = shape.hiddenSize * shape.visibleSize;
  return writeMat(
    [
      { name: 'theta', dims: [matlab.length, 1], data: matlab },
      { name: 'W1', dims: [shape.hiddenSize, shape.visibleSize], data: matlab.subarray(0, hv) },
    ],
    { compress: true },
  );
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

/** How to draw a visible vector: as its image, as a square, or else as a one-row strip. */
export function displayGeometry(geometry: PixelGeometry, visibleSize: number): TileSize {
  if (geometry) return geometry;
  const side = Math.round(Math.sqrt(visibleSize));
  return side * side === visibleSize ? { width: side, height: side } : { width: visibleSize, height: 1 };
}

/** features.png: each hidden unit's W1(j,:)/‖W1(j,:)‖ as an image (display_network). */
export function featuresPng(theta: Float64Array, shape: Shape, geometry: PixelGeometry, scale = 4): Uint8Array {
  return encodePng(displayFeatures(theta, shape, displayGeometry(geometry, shape.visibleSize)), { scale });
}
