import { describe, expect, it } from 'vitest';
import {
  accuracy,
  classifierCost,
  classifierCostDetailed,
  classifierLayout,
  classifierProbabilities,
  confusionMatrix,
  feedForwardAutoencoder,
  initializeSoftmaxTheta,
  predictClasses,
  stackTheta,
  type ClassifierShape,
  type LabeledData,
} from '../../src/reference/classifier';
import { checkGradient } from '../../src/reference/gradcheck';
import { crossEntropySum, rowSoftmax, sigmoidDelta, softmaxDelta } from '../../src/reference/ops';
import { initializeParameters, thetaViews, type Shape } from '../../src/reference/params';
import { Random } from '../../src/random';

/** m examples with values uniform in [0, 1] and labels uniform in 0 … numClasses − 1. */
function randomLabeledData(examples: number, visibleSize: number, numClasses: number, seed: number): LabeledData {
  const rng = new Random(seed);
  const data = Float64Array.from({ length: examples * visibleSize }, () => rng.uniform());
  const labels = Uint8Array.from({ length: examples }, () => rng.integer(numClasses));
  return { data, examples, visibleSize, labels };
}

/** θ uniform in [−scale, scale]. */
function randomTheta(length: number, seed: number, scale = 0.5): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length }, () => scale * (2 * rng.uniform() - 1));
}

/** A trained-looking autoencoder θ: initializeParameters' weights and random biases. */
function randomAutoencoder(shape: Shape, seed: number): { theta: Float64Array; shape: Shape } {
  const theta = initializeParameters(shape, seed);
  const { b1, b2 } = thetaViews(theta, shape);
  const rng = new Random(seed + 1000);
  for (const b of [b1, b2]) for (let i = 0; i < b.length; i++) b[i] = rng.uniform() - 0.5;
  return { theta, shape };
}

const softmaxShape: ClassifierShape = { inputSize: 8, hiddenSizes: [], numClasses: 4 };
const stackShape: ClassifierShape = { inputSize: 6, hiddenSizes: [5, 4], numClasses: 3 };

describe('classifierLayout', () => {
  it('softmax regression: θ is softmaxTheta alone, inputSize × numClasses', () => {
    expect(classifierLayout(softmaxShape)).toEqual({ softmax: 0, softmaxLength: 32, layers: [], length: 32 });
  });

  it('a 6-5-4 stack over 3 classes: [softmaxTheta(:); w1(:); b1; w2(:); b2]', () => {
    expect(classifierLayout(stackShape)).toEqual({
      softmax: 0,
      softmaxLength: 4 * 3,
      layers: [
        { inputs: 6, outputs: 5, W: 12, b: 12 + 30 },
        { inputs: 5, outputs: 4, W: 47, b: 47 + 20 },
      ],
      length: 71,
    });
  });

  it('rejects sizes that are not positive integers', () => {
    expect(() => classifierLayout({ inputSize: 6, hiddenSizes: [0], numClasses: 3 })).toThrow(RangeError);
    expect(() => classifierLayout({ inputSize: 6, hiddenSizes: [], numClasses: 2.5 })).toThrow(RangeError);
    expect(() => classifierLayout({ inputSize: -1, hiddenSizes: [], numClasses: 2 })).toThrow(RangeError);
  });
});

describe('classifierCost gradient (UFLDL’s numerical check, ε = 1e-4)', () => {
  it('softmax regression, 8 inputs, 4 classes, 20 examples, λ = 1e-4', () => {
    const data = randomLabeledData(20, 8, 4, 1);
    const theta = randomTheta(classifierLayout(softmaxShape).length, 2);
    const check = checkGradient((t) => classifierCost(t, softmaxShape, 1e-4, data), theta);
    expect(check.relativeDifference).toBeLessThan(1e-9);
    expect(Math.max(...check.analytical.map(Math.abs))).toBeGreaterThan(1e-3); // not a vacuous check
  });

  it('a 6-5-4 stack over 3 classes, 15 examples, λ = 3e-3', () => {
    const data = randomLabeledData(15, 6, 3, 3);
    const L = classifierLayout(stackShape);
    const theta = randomTheta(L.length, 4, 1);
    const check = checkGradient((t) => classifierCost(t, stackShape, 3e-3, data), theta);
    expect(check.relativeDifference).toBeLessThan(1e-9);
    // every block has a gradient that matters, the first layer's included
    const first = check.analytical.subarray(L.layers[0].W, L.layers[0].b);
    expect(Math.max(...first.map(Math.abs))).toBeGreaterThan(1e-4);
  });

  it('decays softmaxTheta only, as stackedAECost.m', () => {
    const data = randomLabeledData(15, 6, 3, 5);
    const L = classifierLayout(stackShape);
    const theta = randomTheta(L.length, 6);
    const lambda = 0.1;
    const without = classifierCost(theta, stackShape, 0, data);
    const withDecay = classifierCost(theta, stackShape, lambda, data);
    let sumSq = 0;
    for (let i = 0; i < L.softmaxLength; i++) sumSq += theta[i] ** 2;
    expect(withDecay.parts.weightDecay).toBeCloseTo((lambda / 2) * sumSq, 14);
    expect(withDecay.parts.crossEntropy).toBe(without.parts.crossEntropy);
    for (let i = 0; i < L.length; i++) {
      const expected = without.grad[i] + (i < L.softmaxLength ? lambda * theta[i] : 0);
      expect(withDecay.grad[i]).toBeCloseTo(expected, 14);
    }
  });
});

describe('softmax regression is softmaxCost.m', () => {
  it('θ = 0: every class has probability 1/k and J = log k', () => {
    const data = randomLabeledData(7, 5, 3, 7);
    const shape = { inputSize: 5, hiddenSizes: [], numClasses: 3 };
    const result = classifierCostDetailed(new Float64Array(15), shape, 0.5, data);
    for (const p of result.probabilities) expect(p).toBeCloseTo(1 / 3, 15);
    expect(result.cost).toBeCloseTo(Math.log(3), 14);
    expect(result.parts.weightDecay).toBe(0);
  });

  it('matches softmaxCost.m written out with MATLAB’s k × n theta on a 3-input, 2-class, 4-example case', () => {
    // theta(c, i), MATLAB's numClasses × inputSize, and data(i, j), inputSize × m.
    const thetaM = [
      [0.3, -0.2, 0.7],
      [-0.5, 0.4, 0.1],
    ];
    const x = [
      [0.1, 0.9, 0.4],
      [0.8, 0.2, 0.6],
      [0.5, 0.5, 0.0],
      [1.0, 0.3, 0.7],
    ]; // x[j] is example j
    const y = [0, 1, 1, 0];
    const lambda = 0.01;
    const k = 2;
    const n = 3;
    const m = 4;
    // softmaxCost.m: M = theta*data; p = exp(M) ./ sum(exp(M)); cost = -1/m Σ log p(y) + λ/2 Σθ²;
    // thetagrad = -1/m (groundTruth − p) data' + λθ.
    let cost = 0;
    const gradM = thetaM.map((row) => row.map(() => 0));
    for (let j = 0; j < m; j++) {
      const e = thetaM.map((row) => Math.exp(row.reduce((s, t, i) => s + t * x[j][i], 0)));
      const total = e[0] + e[1];
      cost -= Math.log(e[y[j]] / total) / m;
      for (let c = 0; c < k; c++) {
        const p = e[c] / total;
        for (let i = 0; i < n; i++) gradM[c][i] -= (((y[j] === c ? 1 : 0) - p) * x[j][i]) / m;
      }
    }
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < n; i++) {
        cost += (lambda / 2) * thetaM[c][i] ** 2;
        gradM[c][i] += lambda * thetaM[c][i];
      }
    }

    // θ = theta(:), column-major: theta(c, i) at i·k + c.
    const theta = new Float64Array(n * k);
    for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) theta[i * k + c] = thetaM[c][i];
    const data: LabeledData = { data: Float64Array.from(x.flat()), examples: m, visibleSize: n, labels: Uint8Array.from(y) };
    const result = classifierCost(theta, { inputSize: n, hiddenSizes: [], numClasses: k }, lambda, data);
    expect(result.cost).toBeCloseTo(cost, 14);
    for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) expect(result.grad[i * k + c]).toBeCloseTo(gradM[c][i], 14);
  });
});

describe('stackTheta', () => {
  const ae1 = randomAutoencoder({ visibleSize: 6, hiddenSize: 5 }, 11);
  const ae2 = randomAutoencoder({ visibleSize: 5, hiddenSize: 4 }, 12);
  const softmaxTheta = randomTheta(4 * 3, 13);

  it('places each autoencoder’s W1 and b1 where classifierLayout says', () => {
    const theta = stackTheta(softmaxTheta, [ae1, ae2]);
    const L = classifierLayout(stackShape);
    expect(theta.length).toBe(L.length);
    expect(theta.subarray(0, L.softmaxLength)).toEqual(softmaxTheta);
    [ae1, ae2].forEach(({ theta: aeTheta, shape }, l) => {
      const { W1t, b1 } = thetaViews(aeTheta, shape);
      const { W, b, outputs } = L.layers[l];
      expect(theta.subarray(W, b)).toEqual(W1t);
      expect(theta.subarray(b, b + outputs)).toEqual(b1);
    });
  });

  it('its activations are feedForwardAutoencoder of each autoencoder in turn', () => {
    const theta = stackTheta(softmaxTheta, [ae1, ae2]);
    const data = randomLabeledData(9, 6, 3, 14);
    const result = classifierCostDetailed(theta, stackShape, 1e-4, data);
    const features1 = feedForwardAutoencoder(ae1.theta, ae1.shape, data);
    expect(features1.length).toBe(9 * 5);
    expect(result.activations[0]).toEqual(features1);
    const features2 = feedForwardAutoencoder(ae2.theta, ae2.shape, { data: features1, examples: 9, visibleSize: 5 });
    expect(result.activations[1]).toEqual(features2);
    // softmax regression on the features is the same classifier's top
    const onFeatures = classifierProbabilities(softmaxTheta, { inputSize: 4, hiddenSizes: [], numClasses: 3 }, {
      data: features2,
      examples: 9,
      visibleSize: 4,
    });
    expect(result.probabilities).toEqual(onFeatures);
    expect(classifierProbabilities(theta, stackShape, data)).toEqual(result.probabilities);
  });

  it('refuses autoencoders that do not chain and a softmax θ of the wrong size', () => {
    expect(() => stackTheta(softmaxTheta, [ae2, ae1])).toThrow(/autoencoder 1 has 6 visible units but autoencoder 0 has 4 hidden units/);
    expect(() => stackTheta(randomTheta(13, 1), [ae1, ae2])).toThrow(RangeError);
  });

  it('with no autoencoders it is a copy of the softmax θ', () => {
    const theta = stackTheta(softmaxTheta, []);
    expect(theta).toEqual(softmaxTheta);
    expect(theta).not.toBe(softmaxTheta);
  });
});

describe('classifierCostDetailed', () => {
  it('gives P rows summing to 1, δ_out = P − Y and one δ per hidden layer', () => {
    const data = randomLabeledData(10, 6, 3, 21);
    const result = classifierCostDetailed(randomTheta(71, 22), stackShape, 1e-3, data);
    expect(result.activations.map((a) => a.length)).toEqual([50, 40]);
    expect(result.deltas.map((d) => d.length)).toEqual([50, 40]);
    for (let r = 0; r < 10; r++) {
      const row = result.probabilities.subarray(3 * r, 3 * r + 3);
      expect(row[0] + row[1] + row[2]).toBeCloseTo(1, 15);
      for (let c = 0; c < 3; c++) {
        expect(result.deltaOut[3 * r + c]).toBe(row[c] - (data.labels[r] === c ? 1 : 0));
      }
    }
    expect(result.cost).toBe(result.parts.crossEntropy + result.parts.weightDecay);
  });

  it('refuses a label ≥ numClasses, a wrong θ length, the wrong input size and mismatched labels', () => {
    const data = randomLabeledData(5, 8, 4, 31);
    const theta = randomTheta(32, 32);
    const bad = { ...data, labels: Uint8Array.from([0, 1, 4, 2, 3]) };
    expect(() => classifierCost(theta, softmaxShape, 0, bad)).toThrow(/label 2 is 4, not a class in 0 … 3/);
    expect(() => classifierCost(theta.subarray(1), softmaxShape, 0, data)).toThrow(/θ has 31 values; this classifier needs 32/);
    expect(() => classifierCost(theta, { ...softmaxShape, inputSize: 7 }, 0, data)).toThrow(RangeError);
    expect(() => classifierCost(theta, softmaxShape, 0, { ...data, labels: data.labels.subarray(1) })).toThrow(/4 labels for 5 examples/);
    expect(() => classifierCost(theta, softmaxShape, -1, data)).toThrow(/λ must be ≥ 0/);
    expect(() => classifierCost(theta, softmaxShape, 0, { ...data, examples: 0, data: new Float64Array(0), labels: new Uint8Array(0) })).toThrow(/empty/);
  });
});

describe('ops for the softmax', () => {
  it('rowSoftmax is finite for huge z and unchanged by a shift', () => {
    const z = rowSoftmax(new Float64Array([1000, 1001, -1000, -1001]), 2, 2);
    const e = Math.E;
    expect(z[0]).toBeCloseTo(1 / (1 + e), 15);
    expect(z[1]).toBeCloseTo(e / (1 + e), 15);
    expect(z[2]).toBeCloseTo(e / (1 + e), 15);
    expect(z[3]).toBeCloseTo(1 / (1 + e), 15);
    expect(crossEntropySum(z, [1, 0], 2, 2)).toBeCloseTo(2 * Math.log(1 + 1 / e), 14);
  });

  it('softmaxDelta, crossEntropySum and sigmoidDelta on small cases', () => {
    const p = [0.2, 0.5, 0.3, 0.6, 0.1, 0.3];
    expect(Array.from(softmaxDelta(p, [1, 0], 2, 3))).toEqual([0.2, 0.5 - 1, 0.3, 0.6 - 1, 0.1, 0.3]);
    expect(crossEntropySum(p, [1, 0], 2, 3)).toBeCloseTo(-Math.log(0.5) - Math.log(0.6), 15);
    expect(Array.from(sigmoidDelta([2, -1, 4, 0.5], [0.5, 0.25, 1, 0], 2, 2))).toEqual([0.5, -0.1875, 0, 0]);
  });
});

describe('predictClasses, accuracy, confusionMatrix', () => {
  it('takes the argmax of each row, the first maximum winning a tie', () => {
    const p = [0.1, 0.7, 0.2, 0.4, 0.4, 0.2, 0.3, 0.3, 0.4];
    expect(Array.from(predictClasses(p, 3, 3))).toEqual([1, 0, 2]);
    expect(() => predictClasses(p, 2, 3)).toThrow(RangeError);
  });

  it('counts the fraction right and the [true][predicted] table', () => {
    const labels = [0, 1, 2, 2, 1, 0];
    const predicted = [0, 2, 2, 2, 1, 1];
    expect(accuracy(predicted, labels)).toBe(4 / 6);
    expect(accuracy(labels, labels)).toBe(1);
    expect(confusionMatrix(predicted, labels, 3)).toEqual([
      [1, 1, 0],
      [0, 1, 1],
      [0, 0, 2],
    ]);
    expect(() => accuracy([1], [1, 2])).toThrow(RangeError);
    expect(() => accuracy([], [])).toThrow(RangeError);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/prediction 1 is 3/);
  });
});

describe('initializeSoftmaxTheta', () => {
  it('draws 0.005·randn, reproducibly from the seed', () => {
    const theta = initializeSoftmaxTheta(784, 10, 5);
    expect(theta.length).toBe(7840);
    expect(initializeSoftmaxTheta(784, 10, 5)).toEqual(theta);
    expect(initializeSoftmaxTheta(784, 10, 6)).not.toEqual(theta);
    const mean = theta.reduce((a, b) => a + b, 0) / theta.length;
    const std = Math.sqrt(theta.reduce((a, b) => a + (b - mean) ** 2, 0) / theta.length);
    expect(Math.abs(mean)).toBeLessThan(0.0003); // 4σ of the mean: 4 · 0.005/√7840 ≈ 0.00023
    expect(std).toBeGreaterThan(0.0048);
    expect(std).toBeLessThan(0.0052);
  });
});
