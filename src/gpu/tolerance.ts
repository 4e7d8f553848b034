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
 * The whole model. Errors propagate through the layers (a sigmoid's error feeds the next product,
 * ρ̂'s error the logarithms of the sparsity term), where a per-entry bound carried through every
 * step would grow too loose to catch anything; so the whole model is held to two fixed numbers:
 *   relative error of the cost ≤ 1e-5 (≈ 168u),
 *   ‖g_gpu − g_ref‖ / ‖g_ref‖ ≤ 1e-4 (≈ 1678u) for the gradient.
 * The cost is a sum of non-negative terms (squares, KL divergences), so nothing cancels in it and
 * its relative error stays near the round-off of its sums; the gradient's entries are signed sums
 * (W⁽²⁾ᵀδ⁽³⁾, δ·xᵀ) that cancel, and it passes through the backward products as well, so it gets
 * ten times the room. Both stay far below what a wrong term, index or scale would give.
 *
 * The optimizer. L-BFGS on the GPU forms its direction −H·g in float32 from float32 gradients
 * (src/gpu/lbfgs.ts). Compared with the float64 two-loop recursion run on the very same float32
 * vectors, the direction carries the round-off of its (2k + 1)-term combination and of the
 * inner products behind its coefficients:
 *   ‖d_gpu − d_ref‖ / ‖d_ref‖ ≤ 1e-4,
 * and a run's cost at every iteration matches a float64 optimizer's on the same float32
 * objective to the model's cost tolerance. Adam's elementwise step is bounded per entry by
 * its count of roundings.
 *
 * Tests. What a test holds to a number of its own (the pipeline's intermediates, Adam's step)
 * is named here, with its derivation from the per-entry bound above at the test's sizes, in
 * units of u (1e-5 ≈ 168u, 1e-4 ≈ 1678u); the comparisons themselves are src/gpu/comparison.ts.
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

/** Relative error of WGSL's exp(x): 3 + 2|x| ULP, and one ULP is at most 2u. */
export function expRelativeBound(x: number): number {
  return 2 * (3 + 2 * Math.abs(x)) * UNIT_ROUNDOFF;
}

/**
 * Absolute error of WGSL's log(x), given its value log x: 2⁻²¹ for x in [0.5, 2], 3 ULP
 * (≤ 6u·|log x|) elsewhere; an argument carrying k roundings adds k·u (d log x = dx/x).
 */
export function logBound(logValue: number, argumentRoundings = 0): number {
  return Math.max(2 ** -21, 6 * UNIT_ROUNDOFF * Math.abs(logValue)) + argumentRoundings * UNIT_ROUNDOFF;
}

/**
 * Bound on σ(z) computed as 1/(1 + exp(−z)) in float32 when z itself carries an error of at most
 * `zBound`: σ' = σ(1−σ) carries zBound and exp's relative error through, and the add and the
 * division (2.5 ULP) add 1 + 5 roundings of σ.
 */
export function sigmoidBound(z: number, zBound: number): number {
  const s = 1 / (1 + Math.exp(-z));
  return s * (1 - s) * (zBound + expRelativeBound(z)) + 6 * UNIT_ROUNDOFF * s;
}

/**
 * Bound on the sparsity penalty β·Σⱼ KL(ρ‖ρ̂ⱼ) = β·Σⱼ ρ·log(ρ/ρ̂ⱼ) + (1−ρ)·log((1−ρ)/(1−ρ̂ⱼ)) from
 * exact ρ̂ (cost.wgsl): each log's argument carries at most 7 roundings (a 2.5-ULP division and
 * two subtractions), then the products and the sum over the hidden units, a chain of
 * `chainLength` (+ 3 roundings), and the product with β one more.
 */
export function sparsityPenaltyBound(rhoHat: ArrayLike<number>, rho: number, beta: number, chainLength: number): number {
  let logErrors = 0;
  let terms = 0;
  let sum = 0;
  for (let j = 0; j < rhoHat.length; j++) {
    const l1 = Math.log(rho / rhoHat[j]);
    const l2 = Math.log((1 - rho) / (1 - rhoHat[j]));
    logErrors += rho * logBound(l1, 7) + (1 - rho) * logBound(l2, 7);
    terms += Math.abs(rho * l1) + Math.abs((1 - rho) * l2);
    sum += rho * l1 + (1 - rho) * l2;
  }
  return beta * (logErrors + roundoffBound(chainLength, 3, terms)) + UNIT_ROUNDOFF * Math.abs(beta * sum);
}

/** The fixed tolerances for one whole evaluation (why fixed, and why these two: the header). */
export const MODEL_TOLERANCE = {
  /** |cost_gpu − cost_ref| / |cost_ref| */
  costRelative: 1e-5,
  /** ‖g_gpu − g_ref‖₂ / ‖g_ref‖₂ */
  gradientRelativeNorm: 1e-4,
} as const;

/**
 * A whole evaluation's intermediates (test/gpu/evaluation.test.ts), at θ₀ of the 64-25 test model
 * on makeFixture's data (x in [0.1, 0.9], so Σ|w·x| ≤ 5.6 and σ ≈ ½), each against the policy's
 * per-entry bounds taken over the test's entries; measured on lavapipe: 1–2u.
 */
export const INTERMEDIATE_TOLERANCE = {
  /**
   * |ρ̂_gpu − ρ̂_ref| per hidden unit: a⁽²⁾'s sigmoidBound over a chain of K + 1 = 65, averaged
   * down the column, plus the column sums' chain (CHUNK_ROWS/4 + 2, the finalize's 4, the 1/m:
   * 23 roundings of ρ̂) is at most 90u ≈ 5.4e-6 on the test's fixture; the test's 5e-6 (84u,
   * toBeCloseTo(·, 5)) is kept, 6% under that worst case, not loosened to it. Fused, the column
   * sums' chain is 16 + ⌈500/256⌉ + 4 = 22, as step by step 18 + 4 (fusedColumnSumChain).
   */
  meanActivationAbsolute: 5e-6,
  /**
   * ‖a_gpu − a_ref‖₂ / ‖a_ref‖₂ for a⁽²⁾ = σ(W1x + b1) and a⁽³⁾ = σ(W2a⁽²⁾ + b2): sigmoidBound of
   * chains of 65 and then 26 (a⁽²⁾'s error carried through W2) is 129u and 143u in 2-norm ≤ 168u.
   */
  activationRelativeNorm: 1e-5,
  /**
   * The same for δ⁽³⁾ = (a⁽³⁾ − x)·a⁽³⁾(1 − a⁽³⁾), which scales a⁽³⁾'s error by ‖a⁽³⁾‖/‖a⁽³⁾ − x‖ ≈ 2
   * (+ 4 roundings), and δ⁽²⁾, which adds W2ᵀδ⁽³⁾'s chain of 64, ρ̂'s error through the sparsity
   * term and 13 roundings: 324u and 320u ≈ 1.9e-5 ≤ 1e-4.
   */
  deltaRelativeNorm: 1e-4,
} as const;

/**
 * The fused evaluation's chains (src/gpu/layers.ts, shaders/matmul_subgroups_fused.wgsl), for the
 * bounds above. The elementwise steps in a fused epilogue are the unfused kernels' formulas on the
 * same float32 values (a⁽³⁾ is rounded once, as it was when stored and read back), so δ⁽³⁾ and
 * δ⁽²⁾ keep their roundings. What changes is the column sums (ρ̂, ∇b1, ∇b2, Σ(a − x)²): each
 * lane sums its tile of TILE_ROWS rows in order, then sum_slices.wgsl the ⌈m/TILE_ROWS⌉ tiles in
 * 16 interleaved accumulators summed in pairs: a chain of TILE_ROWS + ⌈m/(16·TILE_ROWS)⌉ + 4, in
 * place of CHUNK_ROWS/4 + 2 + ⌈m/(4·CHUNK_ROWS)⌉ + 2. At m = 10000 and TILE_ROWS = 16 that is
 * 60 roundings, as step by step (18 + 42); at the intermediates test's 500 examples 22, as 18 + 4.
 */
export function fusedColumnSumChain(examples: number, tileRows: number): number {
  return tileRows + Math.ceil(examples / (16 * tileRows)) + 4;
}

/** The optimizer's, from its own round-off (test/gpu/lbfgs.test.ts, test/train/gpu-training.test.ts). */
export const OPTIMIZER_TOLERANCE = {
  /**
   * ‖d_gpu − d_ref‖₂ / ‖d_ref‖₂ against the float64 two-loop recursion on the same vectors:
   * d = Σ δⱼbⱼ over 2k + 1 vectors is a chain of 2k + 1 (+ 1 for rounding δⱼ) relative to
   * Σ|δⱼ||bⱼ|, and the δⱼ carry the inner products' (productsChainLength + 4)·u: for k = 5 and
   * 64-25 (chain 25), (12 + 29)u·κ with κ = ‖Σ|δⱼ||bⱼ|‖/‖d‖ ≤ 21 along the test's run, ≈ 860u
   * ≈ 5.1e-5 ≤ 1e-4 (measured: 22u).
   */
  directionRelativeNorm: 1e-4,
  /** |J_gpu − J_ref| / |J_ref| at every iteration of a run against a float64 optimizer: the same objective, the model's */
  costRelative: MODEL_TOLERANCE.costRelative,
  /**
   * k for Adam's step Δθ = α·(m/c₁)/(√(v/c₂) + ε) (shaders/adam.wgsl), per entry relative to |Δθ|
   * (times m's cancellation): m's update 4, m/c₁ 5, v's update 5 and v/c₂ 5 halved by the
   * square root, sqrt's own 9 (WGSL's 1/inverseSqrt: 2 + 2.5 ULP), + ε 1, the division 5, × α 1.
   */
  adamStepRoundings: 4 + 5 + (5 + 5) / 2 + 9 + 1 + 5 + 1,
} as const;
