/**
 * UFLDL's softmax regression (softmaxCost.m) and stacked autoencoder (stackedAECost.m) in
 * float64: sigmoid layers inputSize → hiddenSizes[0] → … → hiddenSizes[L−1], then a softmax
 * over numClasses, written as the steps the GPU twin runs. With hiddenSizes = [] it is softmax
 * regression exactly.
 *
 *   a⁽⁰⁾ = X
 *   a⁽ˡ⁾ = σ(a⁽ˡ⁻¹⁾·Wₗ + bₗ)                      l = 1 … L   (matmul, biasSigmoid)
 *   Z = a⁽ᴸ⁾·Θ          P = rowSoftmax(Z)                     (matmul, rowSoftmax)
 *   J = (1/m) Σ_r −log P[r, y_r] + (λ/2) ΣΘ²                   (crossEntropySum, sumOfSquares)
 *   δ_out = P − Y                                              (softmaxDelta)
 *   ∇Θ = (1/m) a⁽ᴸ⁾ᵀ·δ_out + λΘ                                (matmul transA, scaleAddDecay)
 *   backprop = δ_out·Θᵀ                                        (matmul transB)
 *   for l = L … 1:
 *     δₗ = backprop ⊙ a⁽ˡ⁾(1 − a⁽ˡ⁾)                            (sigmoidDelta)
 *     ∇Wₗ = (1/m) a⁽ˡ⁻¹⁾ᵀ·δₗ      ∇bₗ = column means of δₗ     (matmul transA, scaleAddDecay λ = 0, columnMeans)
 *     backprop = δₗ·Wₗᵀ  (when l > 1)                          (matmul transB)
 *
 * Θ is softmaxTheta and Y the one-hot labels. Weight decay falls on Θ only, as in
 * stackedAECost.m; fine-tuning leaves the autoencoders' weights undecayed.
 *
 * θ is packed as stackedAECost.m and stack2params.m pack it:
 * [softmaxTheta(:); stack{1}.w(:); stack{1}.b(:); stack{2}.w(:); stack{2}.b(:); …]. MATLAB's
 * softmaxTheta is numClasses × n and stack{l}.w is outputs × inputs, both column-major; read
 * row-major they are n × numClasses and inputs × outputs, the transposes, so (as in params.ts)
 * the forward pass needs no transposes.
 *
 * Labels are 0-based (0 … numClasses − 1), where UFLDL's MATLAB shifts them to 1 … numClasses.
 */
import type { Dataset } from './autoencoder';
import {
  biasSigmoid,
  columnMeans,
  crossEntropySum,
  matmul,
  rowSoftmax,
  scaleAddDecay,
  sigmoidDelta,
  softmaxDelta,
  sumOfSquares,
  type Matrix,
} from './ops';
import { thetaViews, type Shape } from './params';
import { Random } from '../random';

/** Sigmoid layers inputSize → hiddenSizes[0] → … then a softmax over numClasses. hiddenSizes = [] is softmax regression. */
export interface ClassifierShape {
  inputSize: number;
  hiddenSizes: readonly number[];
  numClasses: number;
}

export interface LayerLayout {
  inputs: number;
  outputs: number;
  /** offset of W (row-major inputs × outputs = MATLAB's outputs × inputs column-major) */
  W: number;
  b: number;
}

export interface ClassifierLayout {
  /** softmax θ at 0: row-major (last layer size) × numClasses = MATLAB's numClasses × n column-major softmaxTheta(:) */
  softmax: number;
  softmaxLength: number;
  layers: LayerLayout[];
  length: number;
}

/** A Dataset whose examples each carry a class label 0 … numClasses − 1. */
export interface LabeledData extends Dataset {
  /** labels[k] is the class of example k. */
  labels: Uint8Array;
}

export interface ClassifierParts {
  /** −(1/m) Σ log p(y|x) */
  crossEntropy: number;
  /** (λ/2)‖softmaxθ‖² */
  weightDecay: number;
}

export interface ClassifierEvaluation {
  cost: number;
  parts: ClassifierParts;
  /** Gradient in θ's packing. */
  grad: Float64Array;
}

/** Every intermediate of one evaluation, for testing GPU kernels step by step. */
export interface ClassifierIntermediates extends ClassifierEvaluation {
  /** a⁽ˡ⁾ for each hidden layer l = 1 … L, m × hiddenSizes[l − 1] (X itself is not included). */
  activations: Matrix[];
  /** P, m × numClasses. */
  probabilities: Matrix;
  /** P − Y, m × numClasses. */
  deltaOut: Matrix;
  /** δₗ for each hidden layer, aligned with `activations`. */
  deltas: Matrix[];
}

export function classifierLayout(shape: ClassifierShape): ClassifierLayout {
  validateShape(shape);
  const { inputSize, hiddenSizes, numClasses } = shape;
  const top = hiddenSizes.length > 0 ? hiddenSizes[hiddenSizes.length - 1] : inputSize;
  const softmaxLength = top * numClasses;
  const layers: LayerLayout[] = [];
  let offset = softmaxLength;
  let inputs = inputSize;
  for (const outputs of hiddenSizes) {
    const W = offset;
    const b = W + inputs * outputs;
    layers.push({ inputs, outputs, W, b });
    offset = b + outputs;
    inputs = outputs;
  }
  return { softmax: 0, softmaxLength, layers, length: offset };
}

export function classifierCostDetailed(
  theta: Float64Array,
  shape: ClassifierShape,
  lambda: number,
  data: LabeledData,
): ClassifierIntermediates {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`λ must be ≥ 0, got ${lambda}`);
  const L = classifierLayout(shape);
  const k = shape.numClasses;
  const m = validateData(data, shape);
  validateLabels(data.labels, m, k);
  const { softmaxTheta, layers } = views(theta, L);

  // Forward pass.
  const { activations, probabilities } = forward(data.data, m, shape.inputSize, softmaxTheta, layers, L);
  const top = activations.length > 0 ? activations[activations.length - 1] : data.data;
  const topSize = L.softmaxLength / k;

  const parts: ClassifierParts = {
    crossEntropy: crossEntropySum(probabilities, data.labels, m, k) / m,
    weightDecay: (lambda / 2) * sumOfSquares(softmaxTheta),
  };

  // Backpropagation.
  const grad = new Float64Array(L.length);
  const deltaOut = softmaxDelta(probabilities, data.labels, m, k);
  // ∇Θ as stored (row-major n × k) = (1/m) a⁽ᴸ⁾ᵀ·δ_out + λΘ
  grad.set(scaleAddDecay(matmul(top, deltaOut, topSize, k, m, true, false), 1 / m, softmaxTheta, lambda), L.softmax);
  const deltas: Matrix[] = new Array(layers.length);
  if (layers.length > 0) {
    let backprop = matmul(deltaOut, softmaxTheta, m, topSize, k, false, true); // δ_out·Θᵀ: m × n
    for (let l = layers.length - 1; l >= 0; l--) {
      const { inputs, outputs, W: offsetW, b: offsetB } = L.layers[l];
      const below = l > 0 ? activations[l - 1] : data.data;
      const delta = sigmoidDelta(backprop, activations[l], m, outputs);
      deltas[l] = delta;
      // ∇Wₗ as stored (row-major inputs × outputs) = (1/m) a⁽ˡ⁻¹⁾ᵀ·δₗ, no decay (stackedAECost.m)
      grad.set(scaleAddDecay(matmul(below, delta, inputs, outputs, m, true, false), 1 / m, layers[l].W, 0), offsetW);
      grad.set(columnMeans(delta, m, outputs), offsetB);
      if (l > 0) backprop = matmul(delta, layers[l].W, m, inputs, outputs, false, true); // δₗ·Wₗᵀ: m × inputs
    }
  }

  const cost = parts.crossEntropy + parts.weightDecay;
  return { cost, parts, grad, activations, probabilities, deltaOut, deltas };
}

/** J(θ) and ∇J(θ): the objective the optimizers minimize (softmaxTrain.m, fine-tuning in stackedAEExercise.m). */
export function classifierCost(
  theta: Float64Array,
  shape: ClassifierShape,
  lambda: number,
  data: LabeledData,
): ClassifierEvaluation {
  const { cost, parts, grad } = classifierCostDetailed(theta, shape, lambda, data);
  return { cost, parts, grad };
}

/** P, m × numClasses: the forward pass alone (softmaxPredict.m and stackedAEPredict.m before their argmax). */
export function classifierProbabilities(theta: Float64Array, shape: ClassifierShape, data: Dataset): Matrix {
  const L = classifierLayout(shape);
  const m = validateData(data, shape);
  const { softmaxTheta, layers } = views(theta, L);
  return forward(data.data, m, shape.inputSize, softmaxTheta, layers, L).probabilities;
}

/** The most probable class of each example (softmaxPredict.m's max): argmax of each row, the first maximum winning a tie. */
export function predictClasses(probabilities: ArrayLike<number>, examples: number, numClasses: number): Uint8Array {
  if (!(Number.isInteger(numClasses) && numClasses > 0 && numClasses <= 256)) {
    throw new RangeError(`numClasses must be an integer in 1 … 256 for Uint8Array classes, got ${numClasses}`);
  }
  if (probabilities.length !== examples * numClasses) {
    throw new RangeError(`probabilities hold ${probabilities.length} values, expected ${examples} × ${numClasses}`);
  }
  const predicted = new Uint8Array(examples);
  for (let r = 0; r < examples; r++) {
    const base = r * numClasses;
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probabilities[base + c] > probabilities[base + best]) best = c;
    predicted[r] = best;
  }
  return predicted;
}

/** The fraction of examples whose predicted class is the label, in [0, 1] (mean(labels(:) == pred(:))). */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) {
    throw new RangeError(`${predicted.length} predictions for ${labels.length} labels`);
  }
  if (labels.length === 0) throw new RangeError('no examples: accuracy is undefined');
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** counts[t][p]: how many examples of true class t were predicted as class p. */
export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[][] {
  if (!(Number.isInteger(numClasses) && numClasses > 0)) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  if (predicted.length !== labels.length) {
    throw new RangeError(`${predicted.length} predictions for ${labels.length} labels`);
  }
  const counts = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predicted[i];
    if (!isClass(t, numClasses)) throw new RangeError(`label ${i} is ${t}, not a class in 0 … ${numClasses - 1}`);
    if (!isClass(p, numClasses)) throw new RangeError(`prediction ${i} is ${p}, not a class in 0 … ${numClasses - 1}`);
    counts[t][p]++;
  }
  return counts;
}

/**
 * softmaxExercise.m's theta = 0.005 * randn(numClasses * inputSize, 1): drawn in MATLAB's
 * column-major order, which is θ's order (row-major inputSize × numClasses).
 */
export function initializeSoftmaxTheta(inputSize: number, numClasses: number, seed: number): Float64Array {
  validateShape({ inputSize, hiddenSizes: [], numClasses });
  const rng = new Random(seed);
  return Float64Array.from({ length: inputSize * numClasses }, () => 0.005 * rng.normal());
}

/** feedForwardAutoencoder.m: a⁽²⁾ = σ(X·W1ᵀ + b1), m × hidden, the learned features of each example. */
export function feedForwardAutoencoder(theta: Float64Array, shape: Shape, data: Dataset): Matrix {
  const { visibleSize: v, hiddenSize: h } = shape;
  const m = validateData(data, { inputSize: v, hiddenSizes: [], numClasses: 1 });
  const { W1t, b1 } = thetaViews(theta, shape);
  return biasSigmoid(matmul(data.data, W1t, m, h, v), b1, m, h);
}

/**
 * The stacked θ from a softmax θ and trained autoencoders, first layer first: each layer is
 * an autoencoder's W1, b1 (stackedAEExercise.m's stack{l}.w = W1, stack{l}.b = b1), and
 * W1's block (row-major visible × hidden) is already the layer's W (inputs × outputs).
 */
export function stackTheta(softmaxTheta: Float64Array, autoencoders: { theta: Float64Array; shape: Shape }[]): Float64Array {
  if (autoencoders.length === 0) return Float64Array.from(softmaxTheta);
  autoencoders.forEach(({ shape }, l) => {
    if (l > 0 && shape.visibleSize !== autoencoders[l - 1].shape.hiddenSize) {
      throw new RangeError(
        `autoencoder ${l} has ${shape.visibleSize} visible units but autoencoder ${l - 1} has ${autoencoders[l - 1].shape.hiddenSize} hidden units`,
      );
    }
  });
  const top = autoencoders[autoencoders.length - 1].shape.hiddenSize;
  const numClasses = softmaxTheta.length / top;
  if (!(Number.isInteger(numClasses) && numClasses > 0)) {
    throw new RangeError(`softmax θ has ${softmaxTheta.length} values, not a whole number of rows of ${top} (the last hidden size)`);
  }
  const shape: ClassifierShape = {
    inputSize: autoencoders[0].shape.visibleSize,
    hiddenSizes: autoencoders.map((a) => a.shape.hiddenSize),
    numClasses,
  };
  const L = classifierLayout(shape);
  const theta = new Float64Array(L.length);
  theta.set(softmaxTheta, L.softmax);
  autoencoders.forEach((autoencoder, l) => {
    const { W1t, b1 } = thetaViews(autoencoder.theta, autoencoder.shape);
    theta.set(W1t, L.layers[l].W);
    theta.set(b1, L.layers[l].b);
  });
  return theta;
}

interface Views {
  softmaxTheta: Float64Array;
  layers: { W: Float64Array; b: Float64Array }[];
}

/** Views (no copies) of θ's blocks. */
function views(theta: Float64Array, L: ClassifierLayout): Views {
  if (theta.length !== L.length) throw new RangeError(`θ has ${theta.length} values; this classifier needs ${L.length}`);
  return {
    softmaxTheta: theta.subarray(L.softmax, L.softmax + L.softmaxLength),
    layers: L.layers.map(({ inputs, outputs, W, b }) => ({
      W: theta.subarray(W, W + inputs * outputs),
      b: theta.subarray(b, b + outputs),
    })),
  };
}

function forward(
  x: ArrayLike<number>,
  m: number,
  inputSize: number,
  softmaxTheta: Float64Array,
  layers: Views['layers'],
  L: ClassifierLayout,
): { activations: Matrix[]; probabilities: Matrix } {
  const activations: Matrix[] = [];
  let below: ArrayLike<number> = x;
  let size = inputSize;
  layers.forEach(({ W, b }, l) => {
    const outputs = L.layers[l].outputs;
    const a = biasSigmoid(matmul(below, W, m, outputs, size), b, m, outputs);
    activations.push(a);
    below = a;
    size = outputs;
  });
  const k = L.softmaxLength / size;
  const probabilities = rowSoftmax(matmul(below, softmaxTheta, m, k, size), m, k);
  return { activations, probabilities };
}

function validateShape({ inputSize, hiddenSizes, numClasses }: ClassifierShape): void {
  const sizes = [inputSize, ...hiddenSizes, numClasses];
  if (!sizes.every((s) => Number.isInteger(s) && s > 0)) {
    throw new RangeError(`sizes must be positive integers, got ${[inputSize, ...hiddenSizes].join('-')} → ${numClasses} classes`);
  }
}

/** The number of examples, after checking the data fits the input layer. */
function validateData(data: Dataset, shape: ClassifierShape): number {
  if (data.visibleSize !== shape.inputSize) {
    throw new RangeError(`data has ${data.visibleSize} values per example; the model expects ${shape.inputSize}`);
  }
  const m = data.examples;
  if (!(m > 0)) throw new RangeError('the data set is empty');
  if (data.data.length !== m * shape.inputSize) {
    throw new RangeError(`data holds ${data.data.length} values, expected ${m} × ${shape.inputSize}`);
  }
  return m;
}

/** Refuses labeled data that do not fit the classifier: their size, or a label that is not one of its classes. */
export function validateLabeledData(data: LabeledData, shape: ClassifierShape): void {
  validateLabels(data.labels, validateData(data, shape), shape.numClasses);
}

function validateLabels(labels: ArrayLike<number>, m: number, numClasses: number): void {
  if (labels.length !== m) throw new RangeError(`${labels.length} labels for ${m} examples`);
  for (let i = 0; i < m; i++) {
    if (!isClass(labels[i], numClasses)) {
      throw new RangeError(`label ${i} is ${labels[i]}, not a class in 0 … ${numClasses - 1}`);
    }
  }
}

function isClass(value: number, numClasses: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < numClasses;
}
