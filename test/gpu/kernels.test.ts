/**
 * Every kernel against its float64 CPU twin (src/reference/ops.ts) on awkward shapes, with each
 * matmul variant the adapter offers forced, under the tolerance policy of src/gpu/tolerance.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  checkColumnMeans,
  checkCost,
  checkHiddenDelta,
  checkMatmul,
  checkOutputDelta,
  checkPadMatrix,
  checkSumOfSquares,
  checkWeightGradient,
} from '../../src/gpu/checks';
import { MATMUL_VARIANTS } from '../../src/gpu/adapter';
import { expectPass, useGpuContext, withVariant } from './context';

const gpu = useGpuContext();

// (examples m, visible v, hidden h): every size in {1, 7, 10000} × {3, 64, 784} × {1, 25, 196}
// appears, none a multiple of a tile.
const SHAPES: Array<[number, number, number]> = [
  [1, 3, 1],
  [7, 64, 25],
  [7, 784, 196],
  [1, 784, 196],
  [10000, 3, 1],
  [10000, 64, 25],
];
describe.each(MATMUL_VARIANTS)('matmul, %s variant', (variant) => {
  describe.each(SHAPES)('m=%i v=%i h=%i', (m, v, h) => {
    it('forward z2: σ(X·W1ᵀ + b1), NN with epilogue', () =>
      withVariant(gpu(), variant, () => checkMatmul(gpu(), { M: m, N: h, K: v, layout: 'NN', activation: 'sigmoid', variant })));
    it('forward z3: σ(a2·W2ᵀ + b2), NN with epilogue', () =>
      withVariant(gpu(), variant, () => checkMatmul(gpu(), { M: m, N: v, K: h, layout: 'NN', activation: 'sigmoid', variant })));
    it('plain NN', () => withVariant(gpu(), variant, () => checkMatmul(gpu(), { M: m, N: v, K: h, layout: 'NN', variant })));
    it('backprop δ3·W2, NT', () => withVariant(gpu(), variant, () => checkMatmul(gpu(), { M: m, N: h, K: v, layout: 'NT', variant })));
    it('TN without split', () => withVariant(gpu(), variant, () => checkMatmul(gpu(), { M: v, N: h, K: m, layout: 'TN', variant })));
    it('∇W1 = Xᵀδ2/m + λW1, split-K TN + finalize', () => withVariant(gpu(), variant, () => checkWeightGradient(gpu(), { m, rows: v, cols: h, variant })));
    it('∇W2 = a2ᵀδ3/m + λW2, split-K TN + finalize', () => withVariant(gpu(), variant, () => checkWeightGradient(gpu(), { m, rows: h, cols: v, variant })));
  });
});

// The other activations of a layer's epilogue: the linear decoder's identity output and ReLU.
describe.each(MATMUL_VARIANTS)('matmul epilogues beside the sigmoid, %s variant', (variant) => {
  describe.each([
    [7, 192, 400],
    [10000, 64, 25],
    [1, 3, 1],
  ])('m=%i in=%i out=%i', (m, inputs, outputs) => {
    it.each(['linear', 'relu'] as const)('act(A·W + b), %s', (activation) =>
      withVariant(gpu(), variant, () => checkMatmul(gpu(), { M: m, N: outputs, K: inputs, layout: 'NN', activation, variant })));
  });
});

describe('matmul at the full MNIST-sized shape (m=10000, v=784, h=196)', () => {
  it('subgroups: forward NN with epilogue', () =>
    withVariant(gpu(), 'subgroups', () => checkMatmul(gpu(), { M: 10000, N: 196, K: 784, layout: 'NN', activation: 'sigmoid', variant: 'subgroups' })));
  it('subgroups: NT', () => withVariant(gpu(), 'subgroups', () => checkMatmul(gpu(), { M: 10000, N: 196, K: 784, layout: 'NT', variant: 'subgroups' })));
  it('subgroups: ∇W1 split-K', () => withVariant(gpu(), 'subgroups', () => checkWeightGradient(gpu(), { m: 10000, rows: 784, cols: 196, variant: 'subgroups' })));
  it('registers: forward NN with epilogue', () =>
    withVariant(gpu(), 'registers', () => checkMatmul(gpu(), { M: 10000, N: 784, K: 196, layout: 'NN', activation: 'sigmoid', variant: 'registers' })));
  it('unrolled: forward NN with epilogue', () =>
    withVariant(gpu(), 'unrolled', () => checkMatmul(gpu(), { M: 10000, N: 784, K: 196, layout: 'NN', activation: 'sigmoid', variant: 'unrolled' })));
  it('workgroup: ∇W2 split-K', () => withVariant(gpu(), 'workgroup', () => checkWeightGradient(gpu(), { m: 10000, rows: 196, cols: 784, variant: 'workgroup' })));
});

describe('reductions and elementwise kernels', () => {
  const ROWS = [1, 7, 63, 64, 65, 10000];
  const COLS = [1, 3, 25, 196, 784];
  it.each(ROWS.flatMap((r) => COLS.map((c) => [r, c])))('column means, %i × %i', async (rows, cols) => {
    expectPass(await checkColumnMeans(gpu(), { rows, cols }));
  });
  it.each([
    [1, 3],
    [7, 64],
    [10000, 3],
    [10000, 64],
    [1000, 784],
    [10000, 784],
  ])('output delta δ3 with Σ(a3−x)² and ∇b2, %i × %i', async (rows, cols) => {
    expectPass(await checkOutputDelta(gpu(), { rows, cols }));
  });
  it.each([
    [1, 1],
    [7, 25],
    [10000, 1],
    [10000, 25],
    [10000, 196],
  ])('hidden delta δ2 with ∇b1, %i × %i', async (rows, hidden) => {
    expectPass(await checkHiddenDelta(gpu(), { rows, hidden }));
  });
  it.each([
    [1, 3],
    [7, 192],
    [10000, 192],
  ])('output delta of a linear output (a3 − x) with Σ(a3−x)² and ∇b2, %i × %i', async (rows, cols) => {
    expectPass(await checkOutputDelta(gpu(), { rows, cols, output: 'linear' }));
  });
  it.each([
    [1, 1],
    [7, 25],
    [10000, 400],
  ])('ReLU hidden delta with ∇b, %i × %i', async (rows, hidden) => {
    expectPass(await checkHiddenDelta(gpu(), { rows, hidden, activation: 'relu' }));
  });
  it.each([
    [3, 1],
    [25, 64],
    [196, 784],
    [784, 196],
  ])('pad matrix %i × %i', async (rows, cols) => {
    expectPass(await checkPadMatrix(gpu(), { rows, cols }));
  });
  it.each([1, 6, 255, 256, 257, 3200, 2 * 784 * 196])('sum of squares of %i values', async (count) => {
    expectPass(await checkSumOfSquares(gpu(), { count }));
  });
  it.each([
    [3, 1, 1, 7],
    [64, 13, 25, 10000],
    [784, 1201, 196, 10000],
  ])('cost: %i squared-error sums, %i weight partials, hidden %i, m %i', async (squaredErrorCount, weightCount, hidden, examples) => {
    expectPass(await checkCost(gpu(), { squaredErrorCount, weightCount, hidden, examples }));
  });
  it('cost without a sparsity penalty: its part is 0 and ρ̂ is not read', async () => {
    expectPass(await checkCost(gpu(), { squaredErrorCount: 64, weightCount: 13, hidden: 25, examples: 1000, sparse: false }));
  });
});
