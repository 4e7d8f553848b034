/**
 * sparseAutoencoderCost.m in float64: the cost J(θ) and its gradient by backpropagation,
 * written as the same sequence of steps the GPU pipeline runs (src/gpu/autoencoder.ts).
 *
 *   z⁽²⁾ = X·W1ᵀ           a⁽²⁾ = σ(z⁽²⁾ + b1)      ρ̂ = column means of a⁽²⁾
 *   z⁽³⁾ = a⁽²⁾·W2ᵀ        a⁽³⁾ = σ(z⁽³⁾ + b2)      (linear output: a⁽³⁾ = z⁽³⁾ + b2)
 *   J = (1/2m)Σ‖a⁽³⁾ − x‖² + (λ/2)(ΣW1² + ΣW2²) + β Σⱼ KL(ρ ‖ ρ̂ⱼ)
 *   δ⁽³⁾ = (a⁽³⁾ − x)·a⁽³⁾(1 − a⁽³⁾)                   (linear output: δ⁽³⁾ = a⁽³⁾ − x)
 *   δ⁽²⁾ = (δ⁽³⁾·W2 + β(−ρ/ρ̂ + (1−ρ)/(1−ρ̂)))·a⁽²⁾(1 − a⁽²⁾)
 *   ∇W2 = (1/m)δ⁽³⁾ᵀa⁽²⁾ + λW2     ∇W1 = (1/m)δ⁽²⁾ᵀX + λW1
 *   ∇b2 = column means of δ⁽³⁾     ∇b1 = column means of δ⁽²⁾
 */
import {
  biasAdd,
  biasSigmoid,
  columnMeans,
  hiddenDelta,
  klDivergenceSum,
  matmul,
  outputDelta,
  scaleAddDecay,
  sparsityDelta,
  sumOfSquaredDifferences,
  sumOfSquares,
  type Matrix,
} from './ops';
import { outputOf, thetaLayout, thetaViews, type Shape } from './params';

export interface Hyperparameters {
  /** ρ, the target mean activation of each hidden unit. */
  sparsityParam: number;
  /** λ, the weight decay. */
  lambda: number;
  /** β, the weight of the sparsity penalty. */
  beta: number;
}

/** A data set: m examples of `visibleSize` values, row-major m × visible. */
export interface Dataset {
  data: Float64Array | Float32Array;
  examples: number;
  visibleSize: number;
}

/**
 * A contiguous range of a data set's examples, [start, start + count): what one mini-batch or
 * one piece of a GPU evaluation covers. Declared here, beside Dataset, so that the training loop
 * (src/train) and the GPU kernels (src/gpu) share it without the GPU layer importing src/train.
 */
export interface Batch {
  start: number;
  count: number;
}

export interface CostParts {
  /** (1/2m) Σ ‖a⁽³⁾ − x‖² */
  reconstruction: number;
  /** (λ/2)(ΣW1² + ΣW2²) */
  weightDecay: number;
  /** β Σⱼ KL(ρ ‖ ρ̂ⱼ) */
  sparsity: number;
}

export interface Evaluation {
  cost: number;
  parts: CostParts;
  /** Gradient in θ's packing. */
  grad: Float64Array;
  /** ρ̂ⱼ for each hidden unit. */
  meanActivation: Float64Array;
}

/** Every intermediate of one evaluation, for testing GPU kernels step by step. */
export interface Intermediates extends Evaluation {
  a2: Matrix;
  a3: Matrix;
  delta3: Matrix;
  delta2: Matrix;
}

/**
 * The exercise "Sparse Autoencoder"'s values (train.m: sparsityParam = 0.01, lambda = 1e-4,
 * beta = 3): the one place they are written. The presets (src/train/config.ts) build on them.
 */
export const UFLDL_HYPERPARAMETERS: Readonly<Hyperparameters> = Object.freeze({ sparsityParam: 0.01, lambda: 1e-4, beta: 3 });

export function validateHyperparameters(p: Hyperparameters): void {
  if (!(p.sparsityParam > 0 && p.sparsityParam < 1)) {
    throw new RangeError(`sparsity parameter ρ must lie in (0, 1), got ${p.sparsityParam}`);
  }
  if (!(p.lambda >= 0) || !Number.isFinite(p.lambda)) throw new RangeError(`λ must be ≥ 0, got ${p.lambda}`);
  if (!(p.beta >= 0) || !Number.isFinite(p.beta)) throw new RangeError(`β must be ≥ 0, got ${p.beta}`);
}

export function sparseAutoencoderCostDetailed(
  theta: Float64Array,
  shape: Shape,
  params: Hyperparameters,
  dataset: Dataset,
): Intermediates {
  const { visibleSize: v, hiddenSize: h } = shape;
  if (dataset.visibleSize !== v) {
    throw new RangeError(`data has ${dataset.visibleSize} values per example; the model expects ${v}`);
  }
  const m = dataset.examples;
  if (!(m > 0)) throw new RangeError('the data set is empty');
  if (dataset.data.length !== m * v) {
    throw new RangeError(`data holds ${dataset.data.length} values, expected ${m} × ${v}`);
  }
  const { sparsityParam: rho, lambda, beta } = params;
  const x = dataset.data;
  const { W1t, W2t, b1, b2 } = thetaViews(theta, shape);

  // Forward pass.
  const a2 = biasSigmoid(matmul(x, W1t, m, h, v), b1, m, h);
  const meanActivation = columnMeans(a2, m, h);
  const output = outputOf(shape);
  const z3 = matmul(a2, W2t, m, v, h);
  const a3 = output === 'linear' ? biasAdd(z3, b2, m, v) : biasSigmoid(z3, b2, m, v);

  const parts: CostParts = {
    reconstruction: sumOfSquaredDifferences(a3, x) / (2 * m),
    weightDecay: (lambda / 2) * (sumOfSquares(W1t) + sumOfSquares(W2t)),
    sparsity: beta * klDivergenceSum(meanActivation, rho),
  };

  // Backpropagation.
  const delta3 = outputDelta(a3, x, output);
  const backprop = matmul(delta3, W2t, m, h, v, false, true); // δ⁽³⁾·W2: m × hidden
  const delta2 = hiddenDelta(backprop, a2, sparsityDelta(meanActivation, rho, beta), m, h);

  const L = thetaLayout(shape);
  const grad = new Float64Array(L.length);
  // ∇W1 as stored (row-major visible × hidden) = (1/m) Xᵀ·δ⁽²⁾ + λ W1ᵀ
  grad.set(scaleAddDecay(matmul(x, delta2, v, h, m, true, false), 1 / m, W1t, lambda), L.W1);
  // ∇W2 as stored (row-major hidden × visible) = (1/m) a⁽²⁾ᵀ·δ⁽³⁾ + λ W2ᵀ
  grad.set(scaleAddDecay(matmul(a2, delta3, h, v, m, true, false), 1 / m, W2t, lambda), L.W2);
  grad.set(columnMeans(delta2, m, h), L.b1);
  grad.set(columnMeans(delta3, m, v), L.b2);

  const cost = parts.reconstruction + parts.weightDecay + parts.sparsity;
  return { cost, parts, grad, meanActivation, a2, a3, delta3, delta2 };
}

/** J(θ) and ∇J(θ): the objective the optimizers minimize. */
export function sparseAutoencoderCost(
  theta: Float64Array,
  shape: Shape,
  params: Hyperparameters,
  dataset: Dataset,
): Evaluation {
  const { cost, parts, grad, meanActivation } = sparseAutoencoderCostDetailed(theta, shape, params, dataset);
  return { cost, parts, grad, meanActivation };
}
