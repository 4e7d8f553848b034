/**
 * The parameter vector θ, packed exactly like UFLDL's theta = [W1(:); W2(:); b1; b2] so that a
 * θ written by MATLAB/Octave round-trips unchanged.
 *
 * MATLAB's W1 is hidden × visible, stored column-major: W1(j, i) is θ[i·hidden + j]. Read
 * row-major, that block is the visible × hidden matrix W1ᵀ. Likewise W2 (visible × hidden,
 * column-major) is the row-major hidden × visible matrix W2ᵀ. The forward pass therefore needs
 * no transposes: z⁽²⁾ = X · W1ᵀ and z⁽³⁾ = a⁽²⁾ · W2ᵀ with every matrix row-major.
 */
import { Random } from '../random';
import type { OutputActivation } from './ops';

export interface Shape {
  visibleSize: number;
  hiddenSize: number;
  /** The output layer: sigmoid (UFLDL's sparse autoencoder, the default) or linear (the linear decoder). */
  output?: OutputActivation;
}

/** The shape's output layer, sigmoid when it names none. */
export function outputOf(shape: Shape): OutputActivation {
  return shape.output ?? 'sigmoid';
}

export interface ThetaLayout {
  /** Start of W1 (hidden × visible, column-major) = row-major visible × hidden W1ᵀ. */
  W1: number;
  /** Start of W2 (visible × hidden, column-major) = row-major hidden × visible W2ᵀ. */
  W2: number;
  b1: number;
  b2: number;
  length: number;
}

export function thetaLayout({ visibleSize: v, hiddenSize: h }: Shape): ThetaLayout {
  return { W1: 0, W2: h * v, b1: 2 * h * v, b2: 2 * h * v + h, length: 2 * h * v + h + v };
}

export interface ThetaViews {
  /** Row-major visible × hidden (= MATLAB's W1 column-major). */
  W1t: Float64Array;
  /** Row-major hidden × visible (= MATLAB's W2 column-major). */
  W2t: Float64Array;
  b1: Float64Array;
  b2: Float64Array;
}

/** Views (no copies) of the four blocks of θ. */
export function thetaViews(theta: Float64Array, shape: Shape): ThetaViews {
  const L = thetaLayout(shape);
  if (theta.length !== L.length) {
    throw new RangeError(
      `θ has ${theta.length} values; a ${shape.visibleSize}-${shape.hiddenSize} autoencoder needs ${L.length}`,
    );
  }
  const hv = shape.hiddenSize * shape.visibleSize;
  return {
    W1t: theta.subarray(L.W1, L.W1 + hv),
    W2t: theta.subarray(L.W2, L.W2 + hv),
    b1: theta.subarray(L.b1, L.b1 + shape.hiddenSize),
    b2: theta.subarray(L.b2, L.b2 + shape.visibleSize),
  };
}

/** W1(j, i): the weight from visible unit i to hidden unit j. */
export function w1(theta: ArrayLike<number>, shape: Shape, j: number, i: number): number {
  return theta[i * shape.hiddenSize + j];
}

/**
 * initializeParameters.m: r = √6/√(hidden + visible + 1), W1 and W2 uniform in [−r, r],
 * biases zero. Draws W1 then W2 in MATLAB's column-major order from the seeded generator.
 */
export function initializeParameters(shape: Shape, seed: number): Float64Array {
  const { visibleSize: v, hiddenSize: h } = shape;
  if (!(Number.isInteger(v) && v > 0 && Number.isInteger(h) && h > 0)) {
    throw new RangeError(`sizes must be positive integers, got visible ${v}, hidden ${h}`);
  }
  const r = Math.sqrt(6) / Math.sqrt(h + v + 1);
  const rng = new Random(seed);
  const theta = new Float64Array(thetaLayout(shape).length);
  for (let i = 0; i < 2 * h * v; i++) theta[i] = rng.uniform() * 2 * r - r;
  return theta;
}
