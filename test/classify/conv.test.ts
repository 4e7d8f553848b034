/**
 * cnnExercise's data in this project's layouts: the linear decoder's features from a .mat file
 * (MATLAB's pixel order) folded with their whitening as foldWhitening folds them in ours, and the
 * STL images' dim × dim × 3 × N turned into channel planes; the float64 convolution stage.
 */
import { describe, expect, it } from 'vitest';
import { autoencoderFeatures, convFeaturesFromMat, stlImagesFromMat } from '../../src/classify/conv';
import { cpuConvolvePool } from '../../src/classify/compute';
import { readMat, writeMat } from '../../src/data/mat';
import { Random } from '../../src/random';
import { convolveFeatures, foldWhitening, meanPool } from '../../src/reference/conv';
import { thetaLayout } from '../../src/reference/params';
import { thetaMatFile } from '../../src/train/model-files';

describe('cnnExercise data', () => {
  it('STL10Features.mat’s optTheta, ZCAWhite and meanPatch read back as the features they were written from, whitening folded in', () => {
    const rng = new Random(2);
    const [p, C, h] = [3, 3, 4];
    const v = p * p * C;
    const shape = { visibleSize: v, hiddenSize: h, output: 'linear' as const };
    const theta = Float64Array.from({ length: thetaLayout(shape).length }, () => rng.normal());
    const zca = new Float64Array(v * v);
    for (let i = 0; i < v; i++) for (let j = i; j < v; j++) zca[i * v + j] = zca[j * v + i] = (i === j ? 1 : 0) + 0.1 * rng.normal();
    const meanPatch = Float64Array.from({ length: v }, () => rng.uniform());
    // thetaMatFile writes θ, meanPatch and ZCAWhite in MATLAB's order, as the linear decoder exercise saves them.
    const variables = readMat(thetaMatFile(theta, shape, { width: p, height: p, channels: 3 }, { meanPatch, zca, epsilon: 0.1 })).map((x) => (x.name === 'theta' ? { ...x, name: 'optTheta' } : x));
    const got = convFeaturesFromMat(variables, C, 'features.mat');
    const ours = autoencoderFeatures(theta, shape, C);
    const folded = foldWhitening(ours.weights, ours.bias, zca, meanPatch, h, v);
    expect(got.features).toBe(h);
    expect(got.patchDim).toBe(p);
    for (let k = 0; k < folded.weights.length; k++) expect(got.weights[k]).toBeCloseTo(folded.weights[k], 12);
    for (let f = 0; f < h; f++) expect(got.bias[f]).toBeCloseTo(folded.bias[f], 12);
  });

  it('trainImages dim × dim × 3 × N become channel planes, row-major; labels 1 … K become 0 … K − 1', () => {
    const [dim, n] = [3, 2];
    const data = Float64Array.from({ length: dim * dim * 3 * n }, (_, k) => k);
    const read = stlImagesFromMat(readMat(writeMat([{ name: 'trainImages', dims: [dim, dim, 3, n], data }, { name: 'trainLabels', dims: [n, 1], data: Float64Array.of(2, 4) }])), 'train', 'stl.mat');
    expect(read).toMatchObject({ examples: 2, channels: 3, imageDim: 3, numClasses: 4 });
    expect([...read.labels]).toEqual([1, 3]);
    // MATLAB's (y, x, c, i) = (1, 2, 2, 1) (0-based) is column-major index y + dim·x + dim²·c + 3dim²·i.
    const [y, x, c, i] = [1, 2, 2, 1];
    expect(read.data[((i * 3 + c) * dim + y) * dim + x]).toBe(y + dim * x + dim * dim * c + 3 * dim * dim * i);
  });

  it('the float64 stage is convolveFeatures + meanPool, batch by batch, and stops when told', async () => {
    const rng = new Random(3);
    const geometry = { channels: 1, imageDim: 10 };
    const shape = { visibleSize: 9, hiddenSize: 2 };
    const features = autoencoderFeatures(Float64Array.from({ length: thetaLayout(shape).length }, () => rng.normal()), shape, 1);
    const images = { data: Float64Array.from({ length: 120 * 100 }, () => rng.uniform()), examples: 120, visibleSize: 100 };
    const pooled = (await cpuConvolvePool(features, images, geometry, 4))!;
    const expected = meanPool(convolveFeatures(images.data, features.weights, features.bias, { images: 120, channels: 1, imageDim: 10, features: 2, patchDim: 3 }), 240, 8, 4);
    expect(pooled).toHaveLength(expected.length);
    for (let k = 0; k < expected.length; k++) expect(pooled[k]).toBeCloseTo(expected[k], 13);
    const batches: number[] = [];
    expect(await cpuConvolvePool(features, images, geometry, 4, (done) => (batches.push(done), false))).toBeNull();
    expect(batches).toEqual([50]);
  });
});
