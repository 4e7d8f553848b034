/** model.json files: their text parsed and read by thetaFromModelJson. */
import { DataError } from '../../../src/data/errors';
import { UFLDL_HYPERPARAMETERS } from '../../../src/reference/autoencoder';
import { thetaLayout } from '../../../src/reference/params';
import { modelJson, thetaFromModelJsonText, type ModelJson, type PixelGeometry } from '../../../src/train/model-files';
import { jsonLies } from '../mutations';
import { allFinite, expectValid, isPositiveInteger, KiB, seededValues, type Seed, type Target } from './target';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** θ must hold exactly the numbers of the file, each where modelJson put it. */
function check(result: unknown, bytes: Uint8Array): void {
  const { theta, shape } = result as { theta: Float64Array; shape: { visibleSize: number; hiddenSize: number } };
  const file = JSON.parse(new TextDecoder().decode(bytes)) as ModelJson;
  const { visibleSize: v, hiddenSize: h } = shape;
  expectValid(isPositiveInteger(v) && isPositiveInteger(h) && v === file.visibleSize && h === file.hiddenSize, `shape ${v}-${h} is not the file's`);
  const L = thetaLayout(shape);
  expectValid(theta instanceof Float64Array && theta.length === L.length && allFinite(theta), `θ has ${theta.length} values for ${v}-${h}`);
  const same = (value: unknown, index: number, what: string) =>
    expectValid(typeof value === 'number' && Object.is(value, theta[index]), `${what} is ${JSON.stringify(value)} in the file but θ[${index}] = ${theta[index]}`);
  for (let j = 0; j < h; j++) for (let i = 0; i < v; i++) same(file.W1[j][i], L.W1 + i * h + j, `W1[${j}][${i}]`);
  for (let i = 0; i < v; i++) for (let j = 0; j < h; j++) same(file.W2[i][j], L.W2 + j * v + i, `W2[${i}][${j}]`);
  for (let j = 0; j < h; j++) same(file.b1[j], L.b1 + j, `b1[${j}]`);
  for (let i = 0; i < v; i++) same(file.b2[i], L.b2 + i, `b2[${i}]`);
}

function modelSeed(name: string, visibleSize: number, hiddenSize: number, geometry?: PixelGeometry, zca = false): Seed {
  const shape = { visibleSize, hiddenSize, ...(zca ? { output: 'linear' as const } : {}) };
  const theta = Float64Array.from(seededValues(thetaLayout(shape).length, visibleSize * 31 + hiddenSize, 2), (x) => x - 1);
  // The linear decoder's file also carries its whitening: a mean patch and a symmetric ZCAWhite.
  const whitening = zca
    ? {
        meanPatch: Float64Array.from(seededValues(visibleSize, 7, 1)),
        zca: Float64Array.from({ length: visibleSize * visibleSize }, (_, n) => 1 / (1 + Math.floor(n / visibleSize) + (n % visibleSize))),
        epsilon: 0.1,
      }
    : undefined;
  const value = modelJson(theta, shape, UFLDL_HYPERPARAMETERS, geometry, whitening);
  return {
    name,
    bytes: utf8(JSON.stringify(value)),
    sites: [],
    extra: jsonLies(value, utf8, 'model.json'),
    read: thetaFromModelJsonText,
    check,
  };
}

export const modelJsonTarget: Target = {
  name: 'model.json',
  errorName: 'DataError',
  isOwnError: (error) => error instanceof DataError,
  // Every parameter takes at least two characters ("0,"), and becomes a float64.
  budget: (bytes) => ({ largest: 4 * bytes.length + 64 * KiB, total: 16 * bytes.length + 256 * KiB }),
  seeds: () => [
    modelSeed('model-4-2.json', 4, 2, { width: 2, height: 2 }),
    modelSeed('model-3-1.json', 3, 1),
    modelSeed('linear-decoder-3-2.json', 3, 2, { width: 1, height: 1, channels: 3 }, true),
  ],
};
