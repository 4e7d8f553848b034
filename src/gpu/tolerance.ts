/**
 * THE tolerance policy for comparing GPU float32 results with the float64 reference.
 *
 * Kernels. A float32 result that accumulates n products in sequence (each step one rounding of
 * at most u = 2⁻²⁴ relative, fused multiply-add or add) differs from the exact value by at most
 * γ_n·Σ|terms| ≈ n·u·Σ|terms| (Higham, Accuracy and Stability of Numerical Algorithms, §3.1).
 * With the inputs exactly representable in float32 (the checks hand the reference the very
 * float32 values the GPU saw) the policy is, per output,
 *
 *     |gpu − ref| ≤ (c·n_eff + k) · u · Σ|terms|,        c = 1,
 *
 * where n_eff is the longest sequential accumulation chain in the kernel(s) that produced the
 * output (every program reports it as `chainLength`: a matmul's K or split-K chunk, a reduction's
 * per-thread run plus its tree), k counts the few extra roundings of the elementwise operations
 * around the sum (scaling by 1/m, adding λW, a bias, a product of three factors; a WGSL division
 * counts 5 roundings for its 2.5-ULP accuracy), and Σ|terms| comes from the float64 reference
 * run on the absolute values of the inputs. A sigmoid adds the error of exp(), which WGSL bounds
 * by 3 + 2|z| ULP (sigmoidBound).
 *
 * The whole model. Errors propagate through the layers, so the issue fixes two numbers:
 *   relative error of the cost ≤ 1e-5,
 *   ‖g_gpu − g_ref‖ / ‖g_ref‖ ≤ 1e-4 for the gradient.
 *
 * The optimizer. L-BFGS on the GPU forms its direction −H·g in float32 from float32 gradients
 * (src/gpu/lbfgs.ts). Compared with the float64 two-loop recursion run on the very same float32
 * vectors, the direction may carry no more error than the gradient it comes from:
 *   ‖d_gpu − d_ref‖ / ‖d_ref‖ ≤ 1e-4,
 * and a run's cost at every iteration matches a float64 optimizer's on the same float32
 * objective to the model's cost tolerance.
 *
 * Never loosen these to make a test pass: a failure means a bug or a too-long accumulation chain.
 */

/** Unit round-off of float32 (round to nearest). */
export const UNIT_ROUNDOFF = 2 ** -24;

/** c in (c·n_eff + k)·u·Σ|terms|: one rounding per accumulation step. */
export const CHAIN_FACTOR = 1;

/** The bound (c·n_eff + k)·u·Σ|terms| for one output. */
export function roundoffBound(chainLength: number, extraRoundings: number, sumOfAbsTerms: number): number {
  return (CHAIN_FACTOR * chainLength + extraRoundings) * UNIT_ROUNDOFF * sumOfAbsTerms;
}

/**
 * Bound on σ(z) computed as 1/(1 + exp(−z)) in float32 when z itself carries an error of at most
 * `zBound`: σ' = σ(1−σ) carries zBound and exp's relative error (3 + 2|z| ULP ≤ 2(3 + 2|z|)u)
 * through, and the add and the division (2.5 ULP) add 1 + 5 roundings of σ.
 */
export function sigmoidBound(z: number, zBound: number): number {
  const s = 1 / (1 + Math.exp(-z));
  const expRelative = 2 * (3 + 2 * Math.abs(z)) * UNIT_ROUNDOFF;
  return s * (1 - s) * (zBound + expRelative) + 6 * UNIT_ROUNDOFF * s;
}

/** The fixed tolerances for one whole evaluation. */
export const MODEL_TOLERANCE = {
  /** |cost_gpu − cost_ref| / |cost_ref| */
  costRelative: 1e-5,
  /** ‖g_gpu − g_ref‖₂ / ‖g_ref‖₂ */
  gradientRelativeNorm: 1e-4,
} as const;

/** The optimizer's: its float32 arithmetic stays within the gradient's own error budget. */
export const OPTIMIZER_TOLERANCE = {
  /** ‖d_gpu − d_ref‖₂ / ‖d_ref‖₂ against the float64 two-loop recursion on the same vectors */
  directionRelativeNorm: MODEL_TOLERANCE.gradientRelativeNorm,
  /** |J_gpu − J_ref| / |J_ref| at every iteration of a run against a float64 optimizer */
  costRelative: MODEL_TOLERANCE.costRelative,
} as const;
