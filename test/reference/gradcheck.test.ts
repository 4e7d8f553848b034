import { describe, expect, it } from 'vitest';
import { sparseAutoencoderCost, type Dataset, type Hyperparameters } from '../../src/reference/autoencoder';
import {
  EPSILON,
  checkGradient,
  computeNumericalGradient,
  relativeDifference,
} from '../../src/reference/gradcheck';
import { initializeParameters, thetaLayout, type Shape } from '../../src/reference/params';
import { Random } from '../../src/random';

/** m random examples with values in [0.1, 0.9], like UFLDL's normalized patches. */
function randomDataset(examples: number, visibleSize: number, seed: number): Dataset {
  const rng = new Random(seed);
  const data = new Float64Array(examples * visibleSize);
  for (let i = 0; i < data.length; i++) data[i] = 0.1 + 0.8 * rng.uniform();
  return { data, examples, visibleSize };
}

describe('computeNumericalGradient', () => {
  it('uses UFLDL’s ε = 1e-4', () => {
    expect(EPSILON).toBe(1e-4);
  });

  it('passes UFLDL’s checkNumericalGradient: h(x) = x₁² + 3x₁x₂ at x = [4; 10]', () => {
    const h = (x: Float64Array) => x[0] * x[0] + 3 * x[0] * x[1];
    const x = new Float64Array([4, 10]);
    const grad = [2 * x[0] + 3 * x[1], 3 * x[0]]; // [38, 12]
    const numgrad = computeNumericalGradient(h, x);
    expect(numgrad[0]).toBeCloseTo(38, 6);
    expect(numgrad[1]).toBeCloseTo(12, 6);
    const diff = relativeDifference(numgrad, grad);
    // UFLDL: "the relative difference ... should be 2.1452e-12"
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(1e-9);
    expect(diff).toBeCloseTo(2.1452e-12, 15);
    expect(x).toEqual(new Float64Array([4, 10])); // θ restored
  });

  it('computes exactly (J(θ+ε) − J(θ−ε)) / 2ε', () => {
    const cube = (x: Float64Array) => x[0] ** 3;
    const [g] = computeNumericalGradient(cube, new Float64Array([2]), 0.5);
    expect(g).toBeCloseTo((2.5 ** 3 - 1.5 ** 3) / 1, 12); // 12.25, not the exact 12
  });
});

describe('relativeDifference', () => {
  it('is ‖a − b‖ / ‖a + b‖', () => {
    expect(relativeDifference([3, 0], [0, 4])).toBeCloseTo(1, 15);
    expect(relativeDifference([1, 2], [1, 2])).toBe(0);
    expect(relativeDifference([1, 1], [1, 3])).toBeCloseTo(2 / Math.sqrt(4 + 16), 15);
    expect(relativeDifference([0, 0], [0, 0])).toBe(0);
  });
});

describe('sparse autoencoder gradient', () => {
  const shape: Shape = { visibleSize: 8, hiddenSize: 5 };
  const dataset = randomDataset(10, shape.visibleSize, 7);
  const theta = initializeParameters(shape, 11);

  for (const lambda of [1e-4, 3e-3]) {
    it(`matches central differences (ρ = 0.1, λ = ${lambda}, β = 3)`, () => {
      const params: Hyperparameters = { sparsityParam: 0.1, lambda, beta: 3 };
      const check = checkGradient((t) => sparseAutoencoderCost(t, shape, params, dataset), theta);
      expect(check.relativeDifference).toBeLessThan(1e-9);
      expect(check.analytical.length).toBe(thetaLayout(shape).length);
    });
  }

  it('also matches with non-zero biases', () => {
    const params: Hyperparameters = { sparsityParam: 0.1, lambda: 3e-3, beta: 3 };
    const rng = new Random(3);
    const biased = Float64Array.from(theta);
    const L = thetaLayout(shape);
    for (let i = L.b1; i < L.length; i++) biased[i] = rng.uniform() - 0.5;
    const check = checkGradient((t) => sparseAutoencoderCost(t, shape, params, dataset), biased);
    expect(check.relativeDifference).toBeLessThan(1e-9);
  });

  it('detects a wrong gradient (the sparsity term left out of backpropagation)', () => {
    const params: Hyperparameters = { sparsityParam: 0.1, lambda: 1e-4, beta: 3 };
    const withoutSparsity: Hyperparameters = { ...params, beta: 0 };
    const wrongGrad = sparseAutoencoderCost(theta, shape, withoutSparsity, dataset).grad;
    const numgrad = computeNumericalGradient((t) => sparseAutoencoderCost(t, shape, params, dataset).cost, theta);
    expect(relativeDifference(numgrad, wrongGrad)).toBeGreaterThan(1e-3);
  });
});

describe('sparse autoencoder cost parts', () => {
  it('sum to the cost', () => {
    const shape: Shape = { visibleSize: 8, hiddenSize: 5 };
    const dataset = randomDataset(10, shape.visibleSize, 5);
    const theta = initializeParameters(shape, 6);
    const { cost, parts } = sparseAutoencoderCost(theta, shape, { sparsityParam: 0.1, lambda: 3e-3, beta: 3 }, dataset);
    expect(parts.reconstruction).toBeGreaterThan(0);
    expect(parts.weightDecay).toBeGreaterThan(0);
    expect(parts.sparsity).toBeGreaterThan(0);
    expect(parts.reconstruction + parts.weightDecay + parts.sparsity).toBeCloseTo(cost, 14);
  });

  it('each match scalar code for a 2-visible, 1-hidden network on 2 examples', () => {
    // θ = [W1(1,1) W1(1,2) | W2(1,1) W2(2,1) | b1 | b2(1) b2(2)]
    const shape: Shape = { visibleSize: 2, hiddenSize: 1 };
    const theta = new Float64Array([0.3, -0.7, 0.5, -0.2, 0.1, -0.4, 0.25]);
    const [w11, w12, v1, v2, b1, c1, c2] = theta;
    const examples = [
      [0.2, 0.8],
      [0.6, 0.3],
    ];
    const dataset: Dataset = { data: new Float64Array(examples.flat()), examples: 2, visibleSize: 2 };
    const rho = 0.05;
    const lambda = 0.01;
    const beta = 3;

    const sigma = (z: number) => 1 / (1 + Math.exp(-z));
    let squaredError = 0;
    let activationSum = 0;
    for (const [x1, x2] of examples) {
      const a = sigma(w11 * x1 + w12 * x2 + b1);
      activationSum += a;
      const y1 = sigma(v1 * a + c1);
      const y2 = sigma(v2 * a + c2);
      squaredError += (y1 - x1) ** 2 + (y2 - x2) ** 2;
    }
    const rhoHat = activationSum / 2;
    const reconstruction = squaredError / (2 * 2);
    const weightDecay = (lambda / 2) * (w11 ** 2 + w12 ** 2 + v1 ** 2 + v2 ** 2);
    const sparsity = beta * (rho * Math.log(rho / rhoHat) + (1 - rho) * Math.log((1 - rho) / (1 - rhoHat)));

    const result = sparseAutoencoderCost(theta, shape, { sparsityParam: rho, lambda, beta }, dataset);
    expect(result.parts.reconstruction).toBeCloseTo(reconstruction, 14);
    expect(result.parts.weightDecay).toBeCloseTo(weightDecay, 14);
    expect(result.parts.sparsity).toBeCloseTo(sparsity, 14);
    expect(result.meanActivation[0]).toBeCloseTo(rhoHat, 15);
    expect(result.cost).toBeCloseTo(reconstruction + weightDecay + sparsity, 14);
  });
});

describe('linear decoder (linearDecoderExercise) gradient', () => {
  // UFLDL's check: 8 visible, 5 hidden, 10 examples of any real values (ZCA-whitened data are
  // not confined to [0, 1]).
  const shape: Shape = { visibleSize: 8, hiddenSize: 5, output: 'linear' };
  const rng = new Random(21);
  const data = new Float64Array(10 * 8);
  for (let i = 0; i < data.length; i++) data[i] = 4 * (rng.uniform() - 0.5);
  const dataset: Dataset = { data, examples: 10, visibleSize: 8 };
  const theta = initializeParameters(shape, 13);
  const L = thetaLayout(shape);
  for (let i = L.b1; i < L.length; i++) theta[i] = rng.uniform() - 0.5;
  const params: Hyperparameters = { sparsityParam: 0.035, lambda: 3e-3, beta: 5 };

  it('matches central differences below 1e-9', () => {
    const check = checkGradient((t) => sparseAutoencoderCost(t, shape, params, dataset), theta);
    expect(check.relativeDifference).toBeLessThan(1e-9);
  });

  it('reconstructs linearly: a⁽³⁾ = W2·a⁽²⁾ + b2, unlike the sigmoid output', () => {
    const tiny: Shape = { visibleSize: 2, hiddenSize: 1, output: 'linear' };
    const t = new Float64Array([0.3, -0.7, 0.5, -0.2, 0.1, -0.4, 0.25]);
    const x = [2.5, -1.5];
    const a = 1 / (1 + Math.exp(-(0.3 * x[0] - 0.7 * x[1] + 0.1)));
    const y = [0.5 * a - 0.4, -0.2 * a + 0.25];
    const squaredError = (y[0] - x[0]) ** 2 + (y[1] - x[1]) ** 2;
    const result = sparseAutoencoderCost(t, tiny, { sparsityParam: 0.035, lambda: 0, beta: 0 }, { data: new Float64Array(x), examples: 1, visibleSize: 2 });
    expect(result.parts.reconstruction).toBeCloseTo(squaredError / 2, 14);
    // ∇b2 = δ⁽³⁾ = a⁽³⁾ − x with no σ′ factor.
    expect(result.grad[thetaLayout(tiny).b2]).toBeCloseTo(y[0] - x[0], 14);
    const sigmoidOut = sparseAutoencoderCost(t, { visibleSize: 2, hiddenSize: 1 }, { sparsityParam: 0.035, lambda: 0, beta: 0 }, { data: new Float64Array(x), examples: 1, visibleSize: 2 });
    expect(sigmoidOut.parts.reconstruction).not.toBeCloseTo(result.parts.reconstruction, 3);
  });
});
