/**
 * The float64 SAE twins (src/reference/sae.ts): selection and its tie rule, the threshold
 * statistic, the sparse decoder, the decoder norms' steps, and each loss's gradient against
 * central differences on tiny examples chosen away from every selection boundary.
 */
import { describe, expect, it } from 'vitest';
import { checkGradient, computeNumericalGradient, relativeDifference, RELATIVE_DIFFERENCE_LIMIT } from '../../src/reference/gradcheck';
import {
  batchTopK,
  decoderNorms,
  jumpRelu,
  normalizedMseScale,
  l1Delta,
  l1PenaltyPerExample,
  removeParallelGradient,
  renormalizeDecoder,
  rowTopK,
  saeCost,
  saeLayout,
  sparseDecode,
  sparseRows,
  topKBackward,
  updateThreshold,
  type SaeOptions,
  type SaeShape,
} from '../../src/reference/sae';
import { Random } from '../../src/random';

const shape: SaeShape = { inputs: 5, latents: 8 };
const rows = 4;

function randomProblem(seed: number): { theta: Float64Array; x: Float64Array } {
  const rng = new Random(seed);
  const L = saeLayout(shape);
  const theta = Float64Array.from({ length: L.length }, () => rng.uniform() - 0.5);
  const x = Float64Array.from({ length: rows * shape.inputs }, () => 2 * rng.uniform() - 1);
  return { theta, x };
}

/**
 * The smallest distance of a pre-activation from a place where the loss is not smooth: 0 (the
 * ReLU) and, per row (or over the batch), the gap between the last selected and the first
 * unselected value. Central differences with ε = 1e-4 move a pre-activation by at most
 * ε·Σ|x|·… < 1e-3 here, so a margin of 1e-2 keeps every perturbed selection the same.
 */
function margin(pre: Float64Array, options: SaeOptions): number {
  const h = shape.latents;
  let m = Math.min(...Array.from(pre, Math.abs));
  const gap = (values: number[], k: number) => {
    const sorted = [...values].sort((a, b) => b - a);
    return k < sorted.length ? sorted[k - 1] - sorted[k] : Infinity;
  };
  const act = options.activation;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(pre.subarray(r * h, r * h + h));
    if (act.kind === 'topk') m = Math.min(m, gap(row, act.k));
    if (options.auxK) m = Math.min(m, gap(row.filter((_, i) => options.auxK!.dead[i]), options.auxK.kAux));
  }
  if (act.kind === 'batchtopk') m = Math.min(m, gap(Array.from(pre), act.k * rows));
  return m;
}

/** The first seed whose inputs keep the margin: a test of gradients, not of luck at a kink. */
function problemAwayFromTies(options: SaeOptions): { theta: Float64Array; x: Float64Array } {
  for (let seed = 1; seed < 200; seed++) {
    const problem = randomProblem(seed);
    const pre = saeCost(problem.theta, problem.x, rows, shape, options).pre;
    if (margin(pre, options) > 1e-2) return problem;
  }
  throw new Error('no seed below 200 gives a margin of 1e-2');
}

function gradientCheck(options: SaeOptions, epsilon = 1e-4) {
  const { theta, x } = problemAwayFromTies(options);
  // AuxK's residual is a constant of the step: frozen at θ₀ for both gradients.
  const frozen = options.auxK ? { ...options, auxK: { ...options.auxK, residual: saeCost(theta, x, rows, shape, options).residual } } : options;
  const check = checkGradient((t) => saeCost(t, x, rows, shape, frozen), theta, epsilon);
  return { ...check, evaluation: saeCost(theta, x, rows, shape, frozen) };
}

const dead = [false, true, false, true, true, false, false, true];

describe('gradients against central differences', () => {
  it('TopK, k = 3: every block of θ moves the loss as backpropagation says', () => {
    const { relativeDifference: diff, analytical, evaluation } = gradientCheck({ activation: { kind: 'topk', k: 3 }, subtractDecoderBias: true });
    expect(diff).toBeLessThan(RELATIVE_DIFFERENCE_LIMIT);
    // Three latents per row at most are nonzero, so whole encoder columns have no gradient.
    const nonzeroPerRow = Array.from({ length: rows }, (_, r) => evaluation.z.subarray(r * 8, r * 8 + 8).filter((v) => v > 0).length);
    expect(Math.max(...nonzeroPerRow)).toBeLessThanOrEqual(3);
    expect(analytical.some((g) => g !== 0)).toBe(true);
  });

  it('TopK with AuxK (2 of the 4 dead latents, weight 1/32, the residual a constant)', () => {
    const options: SaeOptions = { activation: { kind: 'topk', k: 3 }, subtractDecoderBias: true, auxK: { kAux: 2, dead } };
    const { relativeDifference: diff, evaluation } = gradientCheck(options);
    expect(evaluation.parts.auxK).toBeGreaterThan(0);
    expect(diff).toBeLessThan(RELATIVE_DIFFERENCE_LIMIT);
  });

  it('AuxK changes the gradient of the dead latents’ decoder rows and nothing through the residual', () => {
    const options: SaeOptions = { activation: { kind: 'topk', k: 3 }, subtractDecoderBias: true, auxK: { kAux: 2, dead } };
    const { theta, x } = problemAwayFromTies(options);
    const without = saeCost(theta, x, rows, shape, { ...options, auxK: undefined });
    const withAux = saeCost(theta, x, rows, shape, options);
    const L = saeLayout(shape);
    // Decoder rows of live latents get no AuxK gradient.
    for (let i = 0; i < 8; i++) {
      for (let c = 0; c < 5; c++) {
        const j = L.W2 + i * 5 + c;
        if (!dead[i]) expect(withAux.grad[j]).toBe(without.grad[j]);
      }
    }
    expect(relativeDifference(withAux.grad, without.grad)).toBeGreaterThan(1e-6);
  });

  it('BatchTopK, k = 2 (8 of the batch’s 32 pre-activations)', () => {
    const { relativeDifference: diff, evaluation } = gradientCheck({ activation: { kind: 'batchtopk', k: 2 }, subtractDecoderBias: true });
    expect(diff).toBeLessThan(RELATIVE_DIFFERENCE_LIMIT);
    expect(Array.from(evaluation.z).filter((v) => v > 0).length).toBeLessThanOrEqual(8);
  });

  it('BatchTopK with AuxK (2 of the 4 dead latents per example, weight 1/32, the residual a constant)', () => {
    const options: SaeOptions = { activation: { kind: 'batchtopk', k: 2 }, subtractDecoderBias: true, auxK: { kAux: 2, dead } };
    const { relativeDifference: diff, evaluation } = gradientCheck(options);
    expect(evaluation.parts.auxK).toBeGreaterThan(0);
    expect(diff).toBeLessThan(RELATIVE_DIFFERENCE_LIMIT);
    // The main selection is still over the batch: AuxK adds to the cost, not to z.
    const { theta, x } = problemAwayFromTies(options);
    const without = saeCost(theta, x, rows, shape, { ...options, auxK: undefined });
    expect(Array.from(evaluation.z)).toEqual(Array.from(without.z));
    expect(evaluation.cost).toBeCloseTo(without.cost + evaluation.parts.auxK, 12);
  });

  it('AuxK is refused for ReLU', () => {
    const { theta, x } = randomProblem(1);
    expect(() => saeCost(theta, x, rows, shape, { activation: { kind: 'relu' }, subtractDecoderBias: false, auxK: { kAux: 2, dead } })).toThrow(/AuxK is defined for the TopK and BatchTopK/);
  });

  it('ReLU-L1 with the decoder norms in the penalty (their gradient included)', () => {
    // ‖W_dec,i‖ is not quadratic: ε = 1e-5 keeps the O(ε²) truncation below the limit.
    const { relativeDifference: diff, evaluation } = gradientCheck({ activation: { kind: 'relu' }, subtractDecoderBias: false, l1: 0.3 }, 1e-5);
    expect(evaluation.parts.l1).toBeGreaterThan(0);
    expect(diff).toBeLessThan(RELATIVE_DIFFERENCE_LIMIT);
  });

  it('the L1 term is λ·mean_b Σ_i z_bi‖W_dec,i‖ and its δ is (backprop + λ‖W_dec,i‖)·1[z > 0]', () => {
    const { theta, x } = randomProblem(3);
    const L = saeLayout(shape);
    const e = saeCost(theta, x, rows, shape, { activation: { kind: 'relu' }, subtractDecoderBias: false, l1: 0.3 });
    const norms = decoderNorms(theta.subarray(L.W2, L.b1), 8, 5);
    const perExample = l1PenaltyPerExample(e.z, norms, rows, 8);
    expect(e.parts.l1).toBeCloseTo((0.3 * perExample.reduce((a, b) => a + b, 0)) / rows, 14);
    const backprop = Float64Array.from({ length: rows * 8 }, (_, j) => j - 10);
    const delta = l1Delta(backprop, e.z, norms, 8, 0.3);
    for (let j = 0; j < rows * 8; j++) expect(delta[j]).toBe(e.z[j] > 0 ? backprop[j] + 0.3 * norms[j % 8] : 0);
  });
});

describe('the normalised MSE’s scale', () => {
  it('is 1 over the mean squared deviation from the batch mean: rescaling x by 2 quarters it', () => {
    // Mean (2, 3); every deviation is ±1.
    expect(normalizedMseScale([1, 2, 3, 4], 2, 2)).toBe(1);
    expect(normalizedMseScale([2, 4, 6, 8], 2, 2)).toBe(0.25);
  });
});

describe('selection and ties', () => {
  it('row top-k keeps the k largest, the lower index winning a tie, then ReLU', () => {
    const pre = [1, 2, 2, 2, 0, /* all negative */ -3, -1, -2, -1, -5];
    const sel = rowTopK(pre, 2, 5, 2);
    expect(Array.from(sel.selected)).toEqual([0, 1, 1, 0, 0, 0, 1, 0, 1, 0]);
    // An all-negative row selects k entries that ReLU zeroes.
    expect(Array.from(sel.z)).toEqual([0, 2, 2, 0, 0, 0, 0, 0, 0, 0]);
    const { indices, values } = sparseRows(sel, 2, 5, 2);
    expect(Array.from(indices)).toEqual([1, 2, 1, 3]);
    expect(Array.from(values)).toEqual([2, 2, 0, 0]);
  });

  it('k = n keeps every entry (ReLU of the row), k = 1 the maximum', () => {
    const pre = [0.5, -1, 3, 3];
    expect(Array.from(rowTopK(pre, 1, 4, 4).z)).toEqual([0.5, 0, 3, 3]);
    expect(Array.from(rowTopK(pre, 1, 4, 1).selected)).toEqual([0, 0, 1, 0]);
    expect(() => rowTopK(pre, 1, 4, 0)).toThrow(RangeError);
    expect(() => rowTopK(pre, 1, 4, 5)).toThrow(RangeError);
  });

  it('batch top-k keeps k·B over the batch, lower flat index first; its threshold is the last selected value', () => {
    // 2 rows × 3, k = 2: four of six. 5, 4 and the first two of the three 1s.
    const pre = [1, 5, -2, 4, 1, 1];
    const sel = batchTopK(pre, 2, 3, 2);
    expect(Array.from(sel.selected)).toEqual([1, 1, 0, 1, 1, 0]);
    expect(sel.threshold).toBe(1);
    expect(sel.minPositive).toBe(1);
    // Rows may keep more or fewer than k.
    const skewed = batchTopK([9, 8, 7, -1, -2, -3], 2, 3, 1);
    expect(Array.from(skewed.selected)).toEqual([1, 1, 0, 0, 0, 0]);
    expect(batchTopK([-1, -2, -3, -4], 2, 2, 1).minPositive).toBeNull();
  });

  it('the inference threshold: a running mean of the smallest positive selected value; JumpReLU with it', () => {
    expect(updateThreshold(0, 2, 0.01)).toBeCloseTo(0.02, 15);
    expect(updateThreshold(1, 3, 0.5)).toBe(2);
    expect(updateThreshold(1, null)).toBe(1);
    // A threshold just under the batch's smallest positive selection reproduces the batch's nonzeros.
    const pre = [1, 5, -2, 4, 0.5, 3];
    const sel = batchTopK(pre, 2, 3, 2);
    expect(Array.from(jumpRelu(pre, sel.minPositive! - 1e-9))).toEqual(Array.from(sel.z));
  });

  it('the backward pass reaches the positive selected latents only', () => {
    expect(Array.from(topKBackward([1, 2, 3, 4], [0, 0.5, 0, 2]))).toEqual([0, 2, 0, 4]);
  });
});

describe('the sparse decoder and the decoder’s norms', () => {
  it('decoding k (index, value) pairs per row equals the dense product', () => {
    const { theta, x } = randomProblem(5);
    const L = saeLayout(shape);
    const e = saeCost(theta, x, rows, shape, { activation: { kind: 'topk', k: 3 }, subtractDecoderBias: true });
    const sel = rowTopK(e.pre, rows, 8, 3);
    const { indices, values } = sparseRows(sel, rows, 8, 3);
    const sparse = sparseDecode(indices, values, rows, 3, theta.subarray(L.W2, L.b1), 5, theta.subarray(L.b2));
    for (let j = 0; j < rows * 5; j++) expect(sparse[j]).toBeCloseTo(e.reconstruction[j], 14);
  });

  it('removing the parallel part leaves g orthogonal to each direction; the rescale makes unit rows', () => {
    const rng = new Random(9);
    const w = Float64Array.from({ length: 8 * 5 }, () => rng.uniform() - 0.5);
    const g = Float64Array.from({ length: 8 * 5 }, () => rng.uniform() - 0.5);
    const gPerp = removeParallelGradient(w, g, 8, 5);
    for (let i = 0; i < 8; i++) {
      let dot = 0;
      for (let c = 0; c < 5; c++) dot += gPerp[i * 5 + c] * w[i * 5 + c];
      expect(Math.abs(dot)).toBeLessThan(1e-15);
    }
    for (const n of decoderNorms(renormalizeDecoder(w, 8, 5), 8, 5)) expect(n).toBeCloseTo(1, 15);
    // A zero direction keeps its gradient and stays zero.
    const zero = new Float64Array(5);
    expect(Array.from(removeParallelGradient(zero, [1, 2, 3, 4, 5], 1, 5))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(renormalizeDecoder(zero, 1, 5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('at unit rows, the gradient with its parallel part removed is the gradient of the loss of the renormalised decoder', () => {
    const options: SaeOptions = { activation: { kind: 'topk', k: 3 }, subtractDecoderBias: true };
    const { theta, x } = problemAwayFromTies(options);
    const L = saeLayout(shape);
    theta.set(renormalizeDecoder(theta.subarray(L.W2, L.b1), 8, 5), L.W2);
    const renormalised = (t: Float64Array) => {
      const u = Float64Array.from(t);
      u.set(renormalizeDecoder(t.subarray(L.W2, L.b1), 8, 5), L.W2);
      return saeCost(u, x, rows, shape, options).cost;
    };
    const numerical = computeNumericalGradient(renormalised, theta, 1e-5).subarray(L.W2, L.b1);
    const grad = saeCost(theta, x, rows, shape, options).grad.subarray(L.W2, L.b1);
    const projected = removeParallelGradient(theta.subarray(L.W2, L.b1), grad, 8, 5);
    expect(relativeDifference(numerical, projected)).toBeLessThan(RELATIVE_DIFFERENCE_LIMIT);
    // And the plain gradient is not it: the check can tell the two apart.
    expect(relativeDifference(numerical, grad)).toBeGreaterThan(1e-3);
  });
});
