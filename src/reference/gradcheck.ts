/**
 * Gradient checking as in UFLDL's computeNumericalGradient.m and checkNumericalGradient.m:
 * compare a backpropagated gradient with central differences of the cost.
 */

/** UFLDL's perturbation: small enough for the O(ε²) truncation error, large enough for round-off. */
export const EPSILON = 1e-4;

/**
 * ∂J/∂θᵢ ≈ (J(θ + εeᵢ) − J(θ − εeᵢ)) / (2ε) for every i: 2·length(θ) evaluations of J.
 * θ is perturbed in place one entry at a time and restored exactly afterwards.
 */
export function computeNumericalGradient(
  J: (theta: Float64Array) => number,
  theta: Float64Array,
  epsilon = EPSILON,
): Float64Array {
  if (!(epsilon > 0)) throw new RangeError(`ε must be positive, got ${epsilon}`);
  const work = Float64Array.from(theta); // J never sees (or keeps) the caller's array
  const numgrad = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const original = work[i];
    work[i] = original + epsilon;
    const plus = J(work);
    work[i] = original - epsilon;
    const minus = J(work);
    work[i] = original;
    numgrad[i] = (plus - minus) / (2 * epsilon);
  }
  return numgrad;
}

/** UFLDL's verdict on backpropagation: right when the relative difference is below this. */
export const RELATIVE_DIFFERENCE_LIMIT = 1e-9;

/**
 * ‖a − b‖ / ‖a + b‖, UFLDL's measure of agreement between two gradients: about 1e-9 or less
 * when backpropagation is right. 0 when both are zero.
 */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  let diff = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    sum += (a[i] + b[i]) ** 2;
  }
  if (sum === 0) return diff === 0 ? 0 : Infinity;
  return Math.sqrt(diff) / Math.sqrt(sum);
}

export interface GradientCheck {
  /** The gradient the cost function returned (backpropagation). */
  analytical: Float64Array;
  /** Central differences with step ε. */
  numerical: Float64Array;
  /** ‖numerical − analytical‖ / ‖numerical + analytical‖. */
  relativeDifference: number;
}

/** Runs both gradients at θ and compares them. */
export function checkGradient(
  costAndGradient: (theta: Float64Array) => { cost: number; grad: ArrayLike<number> },
  theta: Float64Array,
  epsilon = EPSILON,
): GradientCheck {
  const analytical = Float64Array.from(costAndGradient(theta).grad);
  const numerical = computeNumericalGradient((t) => costAndGradient(t).cost, theta, epsilon);
  return { analytical, numerical, relativeDifference: relativeDifference(numerical, analytical) };
}
