import { describe, expect, it } from 'vitest';
import { decode as decodePng } from 'fast-png';
import { classifierModelJson } from '../../src/classify/model-file';
import { readMat } from '../../src/data/mat';
import { UFLDL_HYPERPARAMETERS } from '../../src/reference/autoencoder';
import { initializeParameters, thetaLayout } from '../../src/reference/params';
import { Random } from '../../src/random';
import {
  examplesPng,
  featuresPng,
  modelJson,
  permuteVisible,
  thetaFromMatVariables,
  thetaFromModelJson,
  thetaMatFile,
} from '../../src/train/model-files';

const shape = { visibleSize: 6, hiddenSize: 2 }; // 2×3 image patches (height 2, width 3)
const geometry = { width: 3, height: 2 };
const hyper = UFLDL_HYPERPARAMETERS;

describe('model files', () => {
  const theta = initializeParameters(shape, 4);
  const L = thetaLayout(shape);
  theta.set([0.5, -0.5], L.b1);
  theta.set([1, 2, 3, 4, 5, 6], L.b2);

  it('model.json holds W1 as hidden × visible and reads back to the same θ', () => {
    const json = modelJson(theta, shape, hyper, geometry);
    expect(json.W1).toHaveLength(2);
    expect(json.W1[1][4]).toBe(theta[4 * 2 + 1]); // W1(j=1, i=4) is θ[i·hidden + j]
    expect(json.W2[4][1]).toBe(theta[L.W2 + 1 * 6 + 4]);
    expect(json.pixelOrder).toBe('row-major');
    const back = thetaFromModelJson(JSON.parse(JSON.stringify(json)), 'model.json');
    expect(Array.from(back.theta)).toEqual(Array.from(theta));
    expect(back.shape).toEqual(shape);
  });

  it('model.json of the wrong shape is refused with the file named', () => {
    const json = modelJson(theta, shape, hyper, geometry);
    json.W1[0].pop();
    expect(() => thetaFromModelJson(json, 'm.json')).toThrow(/m.json: W1 must be 2 × 6/);
    expect(() => thetaFromModelJson(null, 'm.json')).toThrow(/m.json/);
  });

  it("another kind of this project's model.json is named, not misread: a classifier's, an SAE's of --model topk", () => {
    const classifier = classifierModelJson('softmax', { inputSize: 6, hiddenSizes: [], numClasses: 2 }, new Float64Array(14), { 'raw pixels': 0.5 });
    expect(() => thetaFromModelJson(JSON.parse(JSON.stringify(classifier)), 'c.json')).toThrow(/c.json: is a classifier's model.json \(npm run classify\)/);
    // An SAE's file has every field a linear autoencoder's has: only its "model" tells them apart.
    const sae = { ...modelJson(theta, { ...shape, output: 'linear' }, hyper, geometry), model: 'topk', k: 2 };
    expect(() => thetaFromModelJson(JSON.parse(JSON.stringify(sae)), 's.json')).toThrow(/s.json: is the model.json of a "topk" SAE \(npm run train -- --model topk\)/);
    expect(thetaFromModelJson({ ...modelJson(theta, shape, hyper, geometry), model: 'kl' }, 'k.json').shape).toEqual(shape);
    expect(() => thetaFromModelJson([], 'a.json')).toThrow(/a.json: not a model.json object/);
  });

  it("theta.mat uses MATLAB's column-major pixel order and round-trips", () => {
    const variables = readMat(thetaMatFile(theta, shape, geometry));
    const matlabTheta = variables.find((v) => v.name === 'theta')!;
    const W1 = variables.find((v) => v.name === 'W1')!;
    expect(W1.dims).toEqual([2, 6]);
    // Pixel (row y=1, column x=0) is our index 1·3 + 0 = 3 and MATLAB's 0·2 + 1 = 1.
    expect(matlabTheta.data[1 * 2 + 0]).toBe(theta[3 * 2 + 0]);
    expect(matlabTheta.data[L.b2 + 1]).toBe(theta[L.b2 + 3]);
    expect(W1.data[1 * 2 + 1]).toBe(theta[3 * 2 + 1]);
    expect(Array.from(thetaFromMatVariables(variables, shape, geometry, 'theta.mat'))).toEqual(Array.from(theta));
    expect(() => thetaFromMatVariables(variables, { visibleSize: 6, hiddenSize: 3 }, geometry, 't.mat')).toThrow(/t.mat: theta has 32 values; a 6-3 autoencoder needs 45/);
  });

  it('permuting the pixel order twice is the identity, and it is not the identity once', () => {
    const once = permuteVisible(theta, shape, geometry);
    expect(Array.from(once)).not.toEqual(Array.from(theta));
    expect(Array.from(permuteVisible(once, shape, geometry, true))).toEqual(Array.from(theta));
  });

  it('features.png is display_network of W1', () => {
    const png = decodePng(featuresPng(theta, shape, geometry, 1));
    // 2 tiles of 3×2 in a 2×1 grid with 1-pixel borders: width 1 + 2·(3 + 1), height 1 + 2 + 1.
    expect([png.width, png.height]).toEqual([9, 4]);
  });
});

describe('model files of the linear decoder (color patches, ZCA)', () => {
  // 2×1×3 color patches: visible 6, channel planes R, G, B of 2 pixels (width 2, height 1).
  const shape = { visibleSize: 6, hiddenSize: 2, output: 'linear' as const };
  const geometry = { width: 2, height: 1, channels: 3 as const };
  const theta = initializeParameters(shape, 7);
  const rng = new Random(2);
  const A = Float64Array.from({ length: 36 }, () => rng.normal());
  const zca = new Float64Array(36);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) zca[i * 6 + j] = A[i * 6 + j] + A[j * 6 + i]; // symmetric
  const whitening = { meanPatch: Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6), zca, epsilon: 0.1 };

  it('model.json records the output layer, the mean patch and ZCAWhite, and reads them back', () => {
    const json = JSON.parse(JSON.stringify(modelJson(theta, shape, hyper, geometry, whitening)));
    expect(json).toMatchObject({ output: 'linear', imageWidth: 2, imageHeight: 1, imageChannels: 3, zcaEpsilon: 0.1 });
    expect(json.ZCAWhite).toHaveLength(6);
    expect(json.ZCAWhite[2][5]).toBe(zca[2 * 6 + 5]);
    const back = thetaFromModelJson(json, 'model.json');
    expect(Array.from(back.theta)).toEqual(Array.from(theta));
    expect(back.shape).toEqual(shape);
    expect(back.whitening).toEqual(whitening);
  });

  it('a model.json without an output layer is a sigmoid one; a sigmoid model has no whitening', () => {
    const plain = modelJson(theta, { visibleSize: 6, hiddenSize: 2 }, hyper, undefined);
    expect(plain.output).toBe('sigmoid');
    const { output: _, ...older } = JSON.parse(JSON.stringify(plain));
    const back = thetaFromModelJson(older, 'old.json');
    expect(back.shape).toEqual({ visibleSize: 6, hiddenSize: 2 });
    expect(back.whitening).toBeUndefined();
  });

  it('refuses a wrong-sized ZCAWhite, a half whitening, bad values and an unknown output, naming the file', () => {
    const json = () => JSON.parse(JSON.stringify(modelJson(theta, shape, hyper, geometry, whitening)));
    const small = json();
    small.ZCAWhite = small.ZCAWhite.slice(0, 5).map((row: number[]) => row.slice(0, 5));
    expect(() => thetaFromModelJson(small, 'm.json')).toThrow('m.json: ZCAWhite must be 6 × 6');
    const noMean = json();
    delete noMean.meanPatch;
    expect(() => thetaFromModelJson(noMean, 'm.json')).toThrow('m.json: has one of meanPatch and ZCAWhite without the other: new patches cannot be whitened');
    const shortMean = json();
    shortMean.meanPatch.pop();
    expect(() => thetaFromModelJson(shortMean, 'm.json')).toThrow('m.json: meanPatch must have 6 values');
    const nullEntry = json();
    nullEntry.ZCAWhite[1][3] = null;
    expect(() => thetaFromModelJson(nullEntry, 'm.json')).toThrow('m.json: ZCAWhite[1][3] is null, not a finite number');
    const tanh = json();
    tanh.output = 'tanh';
    expect(() => thetaFromModelJson(tanh, 'm.json')).toThrow('m.json: output is "tanh", not "sigmoid" or "linear"');
  });

  it("theta.mat keeps working: θ round-trips, and meanPatch and ZCAWhite come in MATLAB's pixel order", () => {
    const variables = readMat(thetaMatFile(theta, shape, geometry, whitening));
    expect(Array.from(thetaFromMatVariables(variables, shape, geometry, 'theta.mat'))).toEqual(Array.from(theta));
    const meanPatch = variables.find((v) => v.name === 'meanPatch')!;
    const ZCAWhite = variables.find((v) => v.name === 'ZCAWhite')!;
    expect(ZCAWhite.dims).toEqual([6, 6]);
    // With one row per plane, column-major and row-major orders agree: MATLAB's order is ours.
    expect(Array.from(meanPatch.data)).toEqual(Array.from(whitening.meanPatch));
    for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) expect(ZCAWhite.data[c * 6 + r]).toBe(zca[r * 6 + c]);
  });

  it("MATLAB's order permutes each channel plane on its own", () => {
    // 2×2×3: pixel (y=1, x=0) of the G plane is our 4 + 2 = 6, MATLAB's 4 + 1 = 5.
    const square = { visibleSize: 12, hiddenSize: 1, output: 'linear' as const };
    const t = initializeParameters(square, 3);
    const m = permuteVisible(t, square, { width: 2, height: 2, channels: 3 });
    expect(m[5]).toBe(t[6]);
    expect(m[0]).toBe(t[0]);
    expect(m[9]).toBe(t[10]); // B plane: (1, 0) is ours 8 + 2, MATLAB's 8 + 1
    const meanPatch = Float64Array.from({ length: 12 }, (_, i) => i);
    const zca12 = Float64Array.from({ length: 144 }, (_, n) => Math.floor(n / 12) * 100 + (n % 12)); // (r, c) = 100r + c
    const variables = readMat(thetaMatFile(t, square, { width: 2, height: 2, channels: 3 }, { meanPatch, zca: zca12, epsilon: 0.1 }));
    expect(variables.find((v) => v.name === 'meanPatch')!.data[5]).toBe(6);
    // MATLAB's ZCAWhite(5, 9) (0-based, column-major at 9·12 + 5) is our (6, 10).
    expect(variables.find((v) => v.name === 'ZCAWhite')!.data[9 * 12 + 5]).toBe(610);
  });

  it('features.png and patches.png are RGB pictures (displayColorNetwork)', () => {
    const features = decodePng(featuresPng(theta, shape, geometry, 1, whitening));
    // 2 features of 2×1: round(√2) = 1 column, 2 rows, 1 pixel apart: 2 wide, 3 high.
    expect([features.width, features.height, features.channels]).toEqual([2, 3, 3]);
    const patches = decodePng(examplesPng({ data: A.slice(0, 24), examples: 4, visibleSize: 6 }, geometry, 1));
    expect([patches.width, patches.height, patches.channels]).toEqual([5, 3, 3]);
  });
});
