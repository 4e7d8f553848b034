import { describe, expect, it } from 'vitest';
import { decode as decodePng } from 'fast-png';
import { readMat } from '../../src/data/mat';
import { UFLDL_HYPERPARAMETERS } from '../../src/reference/autoencoder';
import { initializeParameters, thetaLayout } from '../../src/reference/params';
import {
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
