/**
 * Each GPU kernel, and one whole evaluation, checked against its float64 CPU twin in
 * src/reference/ (llm.c style), with the tolerance policy of src/gpu/tolerance.ts. Isomorphic:
 * the same checks run in Node (Vitest on lavapipe) and in a browser page.
 *
 * Kernel checks hand the reference exactly the float32 values the GPU saw, so the only
 * difference left is float32 arithmetic, bounded per output by (n_eff + k)·u·Σ|terms|. The
 * comparing itself, entry by entry or block by block, is ./comparison.ts.
 */
import { sparseAutoencoderCostDetailed, UFLDL_HYPERPARAMETERS, type Hyperparameters } from '../reference/autoencoder';
import {
  columnMeans,
  hiddenDelta,
  klDivergenceSum,
  matmul,
  outputDelta,
  scaleAddDecay,
  sparsityDelta,
  sumOfSquares,
  crossEntropySum,
  rowSoftmax,
  softmaxDelta,
} from '../reference/ops';
import { initializeParameters } from '../reference/params';
import type { Activation, OutputActivation } from '../reference/ops';
import { classifierCostDetailed, classifierLayout, type ClassifierShape } from '../reference/classifier';
import { Random } from '../random';
import { chooseKernelConfig, type KernelConfig, type MatmulVariant } from './adapter';
import { GpuSparseAutoencoder } from './autoencoder';
import { GpuClassifier } from './classifier';
import type { GpuContext } from './device';
import {
  chunkCount,
  columnSumsProgram,
  costProgram,
  sumSlicesProgram,
  hiddenDeltaProgram,
  matmulProgram,
  outputDeltaProgram,
  padMatrixProgram,
  softmaxPartialCount,
  softmaxProgram,
  roundUp4,
  sumSquaresPartialCount,
  sumSquaresProgram,
} from './programs';
import { createStorageBuffer, readF32, runPrograms, uploadF32 } from './runtime';
import { autoencoderBlocks, compareCost, compareElementwise, compareGradient, type CheckResult } from './comparison';
import { expRelativeBound, logBound, roundoffBound, sigmoidBound, sparsityPenaltyBound, UNIT_ROUNDOFF } from './tolerance';

// The comparison's home is ./comparison.ts; re-exported for the callers that take everything from here.
export { compareCost, compareElementwise, compareGradient, formatCheck, type CheckResult, type WorstEntry } from './comparison';

function uniformValues(rng: Random, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** rows × cols row-major → rowsOut × roundUp4(cols), zero-padded. */
function pad(values: Float32Array, rows: number, cols: number, rowsOut = rows): Float32Array {
  const cols4 = roundUp4(cols);
  const out = new Float32Array(rowsOut * cols4);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols, r * cols + cols), r * cols4);
  return out;
}

function unpad(values: Float32Array, rows: number, cols: number): Float32Array {
  const cols4 = roundUp4(cols);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols4, r * cols4 + cols), r * cols);
  return out;
}

const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);

async function withBuffers<T>(created: GPUBuffer[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    for (const b of created) b.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Matrix multiply.

export type MatmulLayout = 'NN' | 'NT' | 'TN';

export interface MatmulCheck {
  /** op(A) is M × K, op(B) is K × N (logical, unpadded sizes). */
  M: number;
  N: number;
  K: number;
  layout: MatmulLayout;
  /** The dense-layer epilogue (NN only): + bias, then this activation. */
  activation?: Activation;
  variant?: MatmulVariant;
  /** The whole kernel configuration to check (the tuner's candidates); overrides `variant`. */
  config?: KernelConfig;
  seed?: number;
}

/** One matmul kernel (no split-K) against ops.matmul (+ the bias and activation of its epilogue). */
export async function checkMatmul(ctx: GpuContext, spec: MatmulCheck): Promise<CheckResult> {
  const { M, N, K, layout } = spec;
  const transA = layout === 'TN';
  const transB = layout === 'NT';
  const config = spec.config ?? chooseKernelConfig(ctx.adapterInfo, spec.variant);
  const variant = config.matmul;
  const rng = new Random(spec.seed ?? 1);
  // A like data or activations, B like weights, signed.
  const a = uniformValues(rng, M * K, 0.1, 0.9);
  const b = uniformValues(rng, K * N, -0.5, 0.5);
  const N4 = roundUp4(N);
  const K4 = roundUp4(K);
  const M4 = roundUp4(M);
  const aDevice = transA ? pad(a, K, M) : pad(a, M, K);
  const bDevice = transB ? pad(b, N, K, N4) : pad(b, K, N, transA ? K : K4);
  const biasOffset = 3;
  const bias = uniformValues(rng, N + biasOffset, -1, 1);
  const rows = transA ? M4 : M;
  const program = matmulProgram(
    { M: rows, N: N4, K: transA ? K : K4, transA, transB, activation: spec.activation, biasOffset, nValid: N },
    variant,
    config.subgroupSize,
    config.tiling,
  );
  const device = ctx.device;
  const buffers = [
    uploadF32(device, aDevice, 'A'),
    uploadF32(device, bDevice, 'B'),
    createStorageBuffer(device, rows * N4 * 4, 'C'),
    uploadF32(device, bias, 'bias'),
  ];
  return withBuffers(buffers, async () => {
    await runPrograms(ctx, [{ program, buffers: { a: buffers[0], b: buffers[1], c: buffers[2], bias: buffers[3] } }]);
    const c = await readF32(ctx, buffers[2], 0, rows * N4);
    const ref = matmul(a, b, M, N, K, transA, transB);
    const absRef = matmul(abs(a), abs(b), M, N, K, transA, transB);
    // Compare every stored entry, padding included (it must be exactly 0 after the epilogue).
    const gpu = new Float64Array(rows * N4);
    const expected = new Float64Array(rows * N4);
    const bounds = new Float64Array(rows * N4);
    for (let r = 0; r < rows; r++) {
      for (let col = 0; col < N4; col++) {
        const i = r * N4 + col;
        gpu[i] = c[i];
        if (r >= M || col >= N) continue; // reference 0, bound 0
        const j = r * N + col;
        if (spec.activation) {
          const z = ref[j] + bias[biasOffset + col];
          // z carries the product's chain and one more rounding for the bias.
          const zBound = roundoffBound(program.chainLength, 1, absRef[j] + Math.abs(bias[biasOffset + col]));
          if (spec.activation === 'sigmoid') {
            expected[i] = 1 / (1 + Math.exp(-z));
            bounds[i] = sigmoidBound(z, zBound);
          } else {
            // max(z, 0) is exact, and 1-Lipschitz: its error is z's.
            expected[i] = spec.activation === 'relu' ? Math.max(z, 0) : z;
            bounds[i] = zBound;
          }
        } else {
          expected[i] = ref[j];
          bounds[i] = roundoffBound(program.chainLength, 0, absRef[j]);
        }
      }
    }
    return compareElementwise(`matmul ${layout}${spec.activation ? `+bias+${spec.activation}` : ''}`, { M, N, K, variant }, gpu, expected, bounds);
  });
}

// ---------------------------------------------------------------------------------------------
// Weight gradient: split-K TN product + finalize (scale 1/m, + λW, into θ's packing).

export interface WeightGradientCheck {
  /** Examples (the long inner dimension), rows × cols of the gradient block. */
  m: number;
  rows: number;
  cols: number;
  lambda?: number;
  variant?: MatmulVariant;
  seed?: number;
}

export async function checkWeightGradient(ctx: GpuContext, spec: WeightGradientCheck): Promise<CheckResult> {
  const { m, rows, cols } = spec;
  const lambda = spec.lambda ?? 1e-4;
  const config = chooseKernelConfig(ctx.adapterInfo, spec.variant);
  const rng = new Random(spec.seed ?? 2);
  const x = uniformValues(rng, m * rows, 0.1, 0.9);
  const delta = uniformValues(rng, m * cols, -0.05, 0.05);
  const offset = 5; // the block's place in a θ-like buffer
  const theta = uniformValues(rng, offset + rows * cols + 3, -0.3, 0.3);
  const rows4 = roundUp4(rows);
  const cols4 = roundUp4(cols);
  const product = matmulProgram({ M: rows4, N: cols4, K: m, transA: true, transB: false, kChunk: config.splitK }, config.matmul, config.subgroupSize, config.tiling);
  const finalize = sumSlicesProgram({
    rows,
    cols,
    ld: cols4,
    sliceStride: rows4 * cols4,
    slices: product.slices,
    outOffset: offset,
    wOffset: offset,
    scale: 1 / m,
    lambda,
  });
  const device = ctx.device;
  const xBuffer = uploadF32(device, pad(x, m, rows), 'X');
  const deltaBuffer = uploadF32(device, pad(delta, m, cols), 'delta');
  const partials = createStorageBuffer(device, product.slices * rows4 * cols4 * 4, 'partials');
  const thetaBuffer = uploadF32(device, theta, 'theta');
  const grad = createStorageBuffer(device, theta.length * 4, 'grad');
  return withBuffers([xBuffer, deltaBuffer, partials, thetaBuffer, grad], async () => {
    await runPrograms(ctx, [
      { program: product, buffers: { a: xBuffer, b: deltaBuffer, c: partials, bias: thetaBuffer } },
      { program: finalize, buffers: { partials, w: thetaBuffer, out: grad } },
    ]);
    const gpu = await readF32(ctx, grad, offset, rows * cols);
    const w = theta.subarray(offset, offset + rows * cols);
    const ref = scaleAddDecay(matmul(x, delta, rows, cols, m, true, false), 1 / m, w, lambda);
    const absRef = scaleAddDecay(matmul(abs(x), abs(delta), rows, cols, m, true, false), 1 / m, abs(w), lambda);
    const chain = product.chainLength + finalize.chainLength;
    const bounds = absRef.map((s) => roundoffBound(chain, 3, s));
    return compareElementwise('weight gradient (split-K TN + finalize)', { m, rows, cols, variant: config.matmul, slices: product.slices }, gpu, ref, bounds);
  });
}

// ---------------------------------------------------------------------------------------------
// Column means (ρ̂ and the bias gradients): column_sums + finalize.

export async function checkColumnMeans(ctx: GpuContext, spec: { rows: number; cols: number; seed?: number }): Promise<CheckResult> {
  const { rows, cols } = spec;
  const lanes = chooseKernelConfig(ctx.adapterInfo).laneGroup;
  const rng = new Random(spec.seed ?? 3);
  const a = uniformValues(rng, rows * cols, -1, 1);
  const cols4 = roundUp4(cols);
  const sums = columnSumsProgram({ rows, cols4: cols4 / 4 }, lanes);
  const chunks = chunkCount(rows);
  const finalize = sumSlicesProgram({ rows: 1, cols, ld: cols4, sliceStride: cols4, slices: chunks, outOffset: 2, scale: 1 / rows });
  const device = ctx.device;
  const src = uploadF32(device, pad(a, rows, cols), 'a');
  const partials = createStorageBuffer(device, chunks * cols4 * 4, 'partials');
  const out = createStorageBuffer(device, (cols + 2) * 4, 'means');
  return withBuffers([src, partials, out], async () => {
    await runPrograms(ctx, [
      { program: sums, buffers: { src, partials } },
      { program: finalize, buffers: { partials, w: src, out } },
    ]);
    const gpu = await readF32(ctx, out, 2, cols);
    const ref = columnMeans(a, rows, cols);
    const absRef = columnMeans(abs(a), rows, cols);
    const bounds = absRef.map((s) => roundoffBound(sums.chainLength + finalize.chainLength, 1, s));
    return compareElementwise('column means', { rows, cols }, gpu, ref, bounds);
  });
}

// ---------------------------------------------------------------------------------------------
// δ⁽³⁾ with its squared-error and column-sum reductions.

export async function checkOutputDelta(
  ctx: GpuContext,
  spec: { rows: number; cols: number; startRow?: number; output?: OutputActivation; seed?: number },
): Promise<CheckResult[]> {
  const { rows, cols } = spec;
  const start = spec.startRow ?? 2;
  const output = spec.output ?? 'sigmoid';
  const lanes = chooseKernelConfig(ctx.adapterInfo).laneGroup;
  const rng = new Random(spec.seed ?? 4);
  // A linear output and its data (ZCA-whitened patches) take any real values.
  const a3 = output === 'linear' ? uniformValues(rng, rows * cols, -3, 3) : uniformValues(rng, rows * cols, 0.01, 0.99);
  const xAll = output === 'linear' ? uniformValues(rng, (start + rows) * cols, -3, 3) : uniformValues(rng, (start + rows) * cols, 0.1, 0.9);
  const x = xAll.subarray(start * cols);
  const cols4 = roundUp4(cols);
  const chunks = chunkCount(rows);
  const kernel = outputDeltaProgram({ rows, cols4: cols4 / 4, xOffset: (start * cols4) / 4, output }, lanes);
  const totals = sumSlicesProgram({ rows: 1, cols, ld: cols4, sliceStride: cols4, slices: chunks, outOffset: 0, scale: 1 });
  const means = sumSlicesProgram({ rows: 1, cols, ld: cols4, sliceStride: cols4, slices: chunks, outOffset: 0, scale: 1 / rows });
  const device = ctx.device;
  const a3Buffer = uploadF32(device, pad(a3, rows, cols), 'a3');
  const xBuffer = uploadF32(device, pad(xAll, start + rows, cols), 'X');
  const delta3 = createStorageBuffer(device, rows * cols4 * 4, 'delta3');
  const sqPartials = createStorageBuffer(device, chunks * cols4 * 4, 'squared error partials');
  const sumPartials = createStorageBuffer(device, chunks * cols4 * 4, 'delta partials');
  const sqTotals = createStorageBuffer(device, cols * 4, 'squared error totals');
  const deltaMeans = createStorageBuffer(device, cols * 4, 'delta means');
  return withBuffers([a3Buffer, xBuffer, delta3, sqPartials, sumPartials, sqTotals, deltaMeans], async () => {
    await runPrograms(ctx, [
      { program: kernel, buffers: { a3: a3Buffer, x: xBuffer, delta3, squaredError: sqPartials, deltaSum: sumPartials } },
      { program: totals, buffers: { partials: sqPartials, w: xBuffer, out: sqTotals } },
      { program: means, buffers: { partials: sumPartials, w: xBuffer, out: deltaMeans } },
    ]);
    const shape = { rows, cols, startRow: start, output };
    const chain = kernel.chainLength + totals.chainLength;

    const delta = outputDelta(a3, x, output);
    const deltaGpu = unpad(await readF32(ctx, delta3, 0, rows * cols4), rows, cols);
    // (a − x)·a·(1 − a): four roundings; a − x alone: one.
    const deltaRoundings = output === 'linear' ? 1 : 4;
    const deltaResult = compareElementwise(`output delta δ3 (${output})`, shape, deltaGpu, delta, delta.map((d) => roundoffBound(0, deltaRoundings, Math.abs(d))));

    const squares = new Float64Array(rows * cols).map((_, i) => (a3[i] - x[i]) ** 2);
    const sqRef = columnMeans(squares, rows, cols).map((s) => s * rows);
    const sqResult = compareElementwise(
      'squared error column sums Σ(a3 − x)²',
      shape,
      await readF32(ctx, sqTotals, 0, cols),
      sqRef,
      sqRef.map((s) => roundoffBound(chain, 3, s)),
    );

    const meanRef = columnMeans(delta, rows, cols);
    const meanAbs = columnMeans(abs(delta), rows, cols);
    const meanResult = compareElementwise(
      'output delta column means (∇b2)',
      shape,
      await readF32(ctx, deltaMeans, 0, cols),
      meanRef,
      meanAbs.map((s) => roundoffBound(chain, 5, s)),
    );
    return [deltaResult, sqResult, meanResult];
  });
}

// ---------------------------------------------------------------------------------------------
// δ⁽²⁾ with its column-sum reduction.

export async function checkHiddenDelta(
  ctx: GpuContext,
  spec: { rows: number; hidden: number; sparsityParam?: number; beta?: number; activation?: Exclude<Activation, 'linear'>; seed?: number },
): Promise<CheckResult[]> {
  const { rows, hidden } = spec;
  const rho = spec.sparsityParam ?? 0.01;
  const beta = spec.beta ?? 3;
  const activation = spec.activation ?? 'sigmoid';
  const lanes = chooseKernelConfig(ctx.adapterInfo).laneGroup;
  const rng = new Random(spec.seed ?? 5);
  const backprop = uniformValues(rng, rows * hidden, -0.05, 0.05);
  // ReLU activations: about a third exactly 0 (the units it cut), the rest positive.
  const a2 = activation === 'relu' ? uniformValues(rng, rows * hidden, -0.5, 1).map((a) => Math.max(a, 0)) : uniformValues(rng, rows * hidden, 0.01, 0.99);
  const rhoHat = uniformValues(rng, hidden, 0.05, 0.95);
  const h4 = roundUp4(hidden);
  const chunks = chunkCount(rows);
  const kernel = hiddenDeltaProgram({ rows, hidden, sparsity: { sparsityParam: rho, beta }, activation }, lanes);
  const means = sumSlicesProgram({ rows: 1, cols: hidden, ld: h4, sliceStride: h4, slices: chunks, outOffset: 0, scale: 1 / rows });
  const device = ctx.device;
  const bpBuffer = uploadF32(device, pad(backprop, rows, hidden), 'backprop');
  const a2Buffer = uploadF32(device, pad(a2, rows, hidden), 'a2');
  const rhoBuffer = uploadF32(device, rhoHat, 'rho hat', h4);
  const delta2 = createStorageBuffer(device, rows * h4 * 4, 'delta2');
  const partials = createStorageBuffer(device, chunks * h4 * 4, 'partials');
  const out = createStorageBuffer(device, hidden * 4, 'means');
  return withBuffers([bpBuffer, a2Buffer, rhoBuffer, delta2, partials, out], async () => {
    await runPrograms(ctx, [
      { program: kernel, buffers: { backprop: bpBuffer, a2: a2Buffer, meanActivation: rhoBuffer, delta2, deltaSum: partials } },
      { program: means, buffers: { partials, w: a2Buffer, out } },
    ]);
    const shape = { rows, hidden, sparsityParam: rho, beta };
    // Fix β, ρ and ρ̂ to their float32 values, as the GPU sees them.
    const rho32 = Math.fround(rho);
    const beta32 = Math.fround(beta);
    const sparsity = sparsityDelta(rhoHat, rho32, beta32);
    const ref = hiddenDelta(backprop, a2, sparsity, rows, hidden, activation);
    // Σ|terms| of one δ⁽²⁾: act′(a)(|bp| + β(ρ/ρ̂ + (1−ρ)/(1−ρ̂))) with act′ = a(1−a), or 1[a > 0]
    // for ReLU; k = 13 roundings (two 2.5-ULP divisions, the sparsity term's other four
    // operations, the sum and three products; ReLU's selection is exact).
    const terms = new Float64Array(rows * hidden);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < hidden; j++) {
        const i = r * hidden + j;
        const s = beta32 * (rho32 / rhoHat[j] + (1 - rho32) / (1 - rhoHat[j]));
        const slope = activation === 'relu' ? (a2[i] > 0 ? 1 : 0) : a2[i] * (1 - a2[i]);
        terms[i] = slope * (Math.abs(backprop[i]) + s);
      }
    }
    const deltaGpu = unpad(await readF32(ctx, delta2, 0, rows * h4), rows, hidden);
    const deltaResult = compareElementwise(`hidden delta δ2 (${activation})`, shape, deltaGpu, ref, terms.map((t) => roundoffBound(0, 13, t)));
    const meanRef = columnMeans(ref, rows, hidden);
    const meanAbs = columnMeans(terms, rows, hidden);
    const meanResult = compareElementwise(
      'hidden delta column means (∇b1)',
      shape,
      await readF32(ctx, out, 0, hidden),
      meanRef,
      meanAbs.map((s) => roundoffBound(kernel.chainLength + means.chainLength, 14, s)),
    );
    return [deltaResult, meanResult];
  });
}

// ---------------------------------------------------------------------------------------------
// Pad matrix: an exact copy.

export async function checkPadMatrix(ctx: GpuContext, spec: { rows: number; cols: number; seed?: number }): Promise<CheckResult> {
  const { rows, cols } = spec;
  const rng = new Random(spec.seed ?? 6);
  const offset = 7;
  const src = uniformValues(rng, offset + rows * cols + 1, -1, 1);
  const rowsOut = roundUp4(rows);
  const program = padMatrixProgram({ rows, cols, outRows: rowsOut, srcOffset: offset });
  const device = ctx.device;
  const srcBuffer = uploadF32(device, src, 'src');
  const dst = createStorageBuffer(device, rowsOut * roundUp4(cols) * 4, 'dst');
  return withBuffers([srcBuffer, dst], async () => {
    await runPrograms(ctx, [{ program, buffers: { src: srcBuffer, dst } }]);
    const gpu = await readF32(ctx, dst, 0, rowsOut * roundUp4(cols));
    const ref = pad(src.subarray(offset, offset + rows * cols), rows, cols, rowsOut);
    return compareElementwise('pad matrix', { rows, cols }, gpu, ref, new Float64Array(ref.length));
  });
}

// ---------------------------------------------------------------------------------------------
// Σw² (sum_squares) and the cost kernel.

export async function checkSumOfSquares(ctx: GpuContext, spec: { count: number; seed?: number }): Promise<CheckResult> {
  const { count } = spec;
  const rng = new Random(spec.seed ?? 7);
  const offset = 9;
  const values = uniformValues(rng, offset + count, -0.3, 0.3);
  const squares = sumSquaresProgram({ count, srcOffset: offset });
  const partialCount = sumSquaresPartialCount(count);
  // The cost kernel with λ = 2 returns weightDecay = (λ/2)·Σ = Σ: it is the second level.
  const cost = costProgram({ squaredErrorCount: 0, weightCount: partialCount, hidden: 0, examples: 1, sparsityParam: 0.5, beta: 0, lambda: 2 });
  const device = ctx.device;
  const src = uploadF32(device, values, 'values');
  const partials = createStorageBuffer(device, partialCount * 4, 'partials');
  const out = createStorageBuffer(device, 16, 'cost');
  return withBuffers([src, partials, out], async () => {
    await runPrograms(ctx, [
      { program: squares, buffers: { src, partials } },
      { program: cost, buffers: { squaredError: src, weightSquares: partials, meanActivation: src, out } },
    ]);
    const gpu = await readF32(ctx, out, 2, 1);
    const ref = sumOfSquares(values.subarray(offset));
    return compareElementwise('sum of squares', { count }, gpu, [ref], [roundoffBound(squares.chainLength + cost.chainLength, 3, ref)]);
  });
}

export interface CostCheck {
  squaredErrorCount: number;
  weightCount: number;
  hidden: number;
  examples: number;
  hyperparameters?: Hyperparameters;
  /** With the KL penalty (default), or without: its part is then 0 and ρ̂ unread. */
  sparse?: boolean;
  seed?: number;
}

/** The cost kernel on random partial sums and ρ̂: [cost, reconstruction, weightDecay, sparsity]. */
export async function checkCost(ctx: GpuContext, spec: CostCheck): Promise<CheckResult> {
  const hp = spec.hyperparameters ?? DEFAULT_HYPERPARAMETERS;
  const rng = new Random(spec.seed ?? 8);
  const squaredError = uniformValues(rng, spec.squaredErrorCount, 0, 10);
  const weights = uniformValues(rng, spec.weightCount, 0, 2);
  const rhoHat = uniformValues(rng, spec.hidden, 0.02, 0.98);
  const program = costProgram({ ...spec, ...hp });
  const device = ctx.device;
  const buffers = [
    uploadF32(device, squaredError, 'squared error'),
    uploadF32(device, weights, 'weight squares'),
    uploadF32(device, rhoHat, 'rho hat'),
    createStorageBuffer(device, 16, 'cost'),
  ];
  return withBuffers(buffers, async () => {
    await runPrograms(ctx, [{ program, buffers: { squaredError: buffers[0], weightSquares: buffers[1], meanActivation: buffers[2], out: buffers[3] } }]);
    const gpu = await readF32(ctx, buffers[3], 0, 4);
    const [rho, lambda, beta] = [Math.fround(hp.sparsityParam), Math.fround(hp.lambda), Math.fround(hp.beta)];
    const n = program.chainLength;
    const sq = squaredError.reduce((s, v) => s + v, 0);
    const w = weights.reduce((s, v) => s + v, 0);
    const reconstruction = sq / (2 * spec.examples);
    const weightDecay = (lambda / 2) * w;
    const sparse = spec.sparse ?? true;
    const sparsity = sparse ? beta * klDivergenceSum(rhoHat, rho) : 0;
    const sparsityBound = sparse ? sparsityPenaltyBound(rhoHat, rho, beta, n) : 0;
    const reconstructionBound = roundoffBound(n, 3, reconstruction);
    const weightBound = roundoffBound(n, 3, weightDecay);
    const costBound = reconstructionBound + weightBound + sparsityBound + roundoffBound(0, 2, reconstruction + weightDecay + Math.abs(sparsity));
    return compareElementwise(
      'cost [cost, reconstruction, weightDecay, sparsity]',
      { squaredErrorCount: spec.squaredErrorCount, weightCount: spec.weightCount, hidden: spec.hidden, examples: spec.examples, sparse: spec.sparse ?? true },
      gpu,
      [reconstruction + weightDecay + sparsity, reconstruction, weightDecay, sparsity],
      [costBound, reconstructionBound, weightBound, sparsityBound],
    );
  });
}

// ---------------------------------------------------------------------------------------------
// The whole evaluation against sparseAutoencoderCostDetailed.

export interface EvaluationCheck {
  examples: number;
  visibleSize: number;
  hiddenSize: number;
  hyperparameters?: Hyperparameters;
  /** The output layer (default sigmoid); a linear one is fed data of any sign, as ZCA-whitened patches are. */
  output?: OutputActivation;
  seed?: number;
  variant?: MatmulVariant;
}

export const DEFAULT_HYPERPARAMETERS: Hyperparameters = UFLDL_HYPERPARAMETERS;

/**
 * Test data like normalized patches (uniform in [0.1, 0.9]) and θ from initializeParameters,
 * both rounded to float32 so that the reference sees what the GPU sees.
 */
export function makeFixture(examples: number, visibleSize: number, hiddenSize: number, seed = 1) {
  const rng = new Random(seed);
  const data = new Float64Array(examples * visibleSize);
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(0.1 + 0.8 * rng.uniform());
  const theta = initializeParameters({ visibleSize, hiddenSize }, seed + 1).map(Math.fround);
  return { data, theta };
}

export async function checkEvaluation(ctx: GpuContext, spec: EvaluationCheck): Promise<CheckResult[]> {
  const { examples: m, visibleSize: v, hiddenSize: h } = spec;
  const hp = spec.hyperparameters ?? DEFAULT_HYPERPARAMETERS;
  const hp32 = { sparsityParam: Math.fround(hp.sparsityParam), lambda: Math.fround(hp.lambda), beta: Math.fround(hp.beta) };
  const { data, theta } = makeFixture(m, v, h, spec.seed ?? 1);
  const output = spec.output ?? 'sigmoid';
  // Centred and spread like whitened data: [0.1, 0.9] → [-2, 2].
  if (output === 'linear') for (let i = 0; i < data.length; i++) data[i] = Math.fround(5 * (data[i] - 0.5));
  const shape = { visibleSize: v, hiddenSize: h, output };
  const dataset = { data, examples: m, visibleSize: v };
  const model = await GpuSparseAutoencoder.create(ctx, shape, hp, dataset, { theta, matmulVariant: spec.variant });
  try {
    const evaluation = await model.evaluate();
    const grad = await model.readGradient();
    const ref = sparseAutoencoderCostDetailed(theta, shape, hp32, dataset);
    const label = { examples: m, visibleSize: v, hiddenSize: h, output, variant: model.config.matmul };

    return [compareCost(label, evaluation, ref), compareGradient(label, grad, ref.grad, autoencoderBlocks(shape))];
  } finally {
    model.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The softmax output layer (softmax.wgsl) against rowSoftmax / softmaxDelta / crossEntropySum.

/**
 * δ_out = P − Y per entry, and the per-workgroup partials of Σ −log p_y. With t = z − max z ≤ 0
 * and T = max |t| of the row: exp(t) carries 2(3 + 2|t|)u (WGSL's 3 + 2|x| ULP) plus u|t| from
 * forming t; the row's Σ exp adds its chain of `classes` additions, so its relative error is
 * ε_S = (classes + 2(3 + 2T) + T)u; the division adds 5u (2.5 ULP) and subtracting the label u.
 * log S (S ≥ 1) carries ε_S + max(2⁻²¹, 6u·log S) (WGSL's log: 2⁻²¹ absolute near 1, else
 * 3 ULP), and −log p_y a further u|t_y| + u·(−log p_y). The partials add the tree's chain.
 */
export async function checkSoftmax(ctx: GpuContext, spec: { rows: number; classes: number; spread?: number; seed?: number }): Promise<CheckResult[]> {
  const { rows, classes } = spec;
  const spread = spec.spread ?? 8;
  const rng = new Random(spec.seed ?? 9);
  const k4 = roundUp4(classes);
  const z = uniformValues(rng, rows * classes, -spread, spread);
  const labels = Uint32Array.from({ length: rows }, () => rng.integer(classes));
  const program = softmaxProgram({ rows, classes, labelOffset: 0 });
  const device = ctx.device;
  const zBuffer = uploadF32(device, pad(z, rows, classes), 'z');
  const labelBuffer = createStorageBuffer(device, rows * 4, 'labels');
  device.queue.writeBuffer(labelBuffer, 0, labels);
  const deltaBuffer = createStorageBuffer(device, rows * k4 * 4, 'delta out');
  const partials = createStorageBuffer(device, softmaxPartialCount(rows) * 4, 'loss partials');
  return withBuffers([zBuffer, labelBuffer, deltaBuffer, partials], async () => {
    await runPrograms(ctx, [{ program, buffers: { z: zBuffer, labels: labelBuffer, deltaOut: deltaBuffer, partials } }]);
    const shape = { rows, classes, spread };
    const p = rowSoftmax(Float64Array.from(z), rows, classes);
    const delta = softmaxDelta(p, labels, rows, classes);
    const u = UNIT_ROUNDOFF;
    const deltaBounds = new Float64Array(rows * classes);
    const groups = softmaxPartialCount(rows);
    const lossRef = new Float64Array(groups);
    const lossBounds = new Float64Array(groups);
    for (let r = 0; r < rows; r++) {
      const row = z.subarray(r * classes, (r + 1) * classes);
      const top = Math.max(...row);
      const T = top - Math.min(...row);
      const sumError = (classes + T) * u + expRelativeBound(T);
      let S = 0;
      for (let c = 0; c < classes; c++) S += Math.exp(row[c] - top);
      for (let c = 0; c < classes; c++) {
        const t = top - row[c];
        const i = r * classes + c;
        deltaBounds[i] = p[i] * (expRelativeBound(t) + t * u + sumError + 5 * u) + u * Math.abs(delta[i]);
      }
      const ty = top - row[labels[r]];
      const nll = Math.log(S) + ty;
      const g = Math.floor(r / 64);
      lossRef[g] += nll;
      lossBounds[g] += sumError + logBound(Math.log(S)) + u * ty + u * nll;
    }
    for (let g = 0; g < groups; g++) lossBounds[g] += roundoffBound(Math.log2(64), 0, lossRef[g]);
    const deltaGpu = unpad(await readF32(ctx, deltaBuffer, 0, rows * k4), rows, classes);
    return [
      compareElementwise('softmax δ_out = P − Y', shape, deltaGpu, delta, deltaBounds),
      compareElementwise('softmax −log p_y partials', shape, await readF32(ctx, partials, 0, groups), lossRef, lossBounds),
    ];
  });
}

// ---------------------------------------------------------------------------------------------
// The whole classifier evaluation against classifierCostDetailed.

export interface ClassifierCheck extends ClassifierShape {
  examples: number;
  lambda?: number;
  seed?: number;
  variant?: MatmulVariant;
  /** false: step by step even where the variant has fused epilogues. */
  fused?: boolean;
}

/**
 * Data uniform in [0, 1], labels uniform over the classes, softmax θ ~ 0.005·N(0, 1) as
 * softmaxExercise.m, each layer's weights uniform in ±√6/√(in + out + 1) with small biases; all
 * rounded to float32.
 */
export function makeClassifierFixture(spec: ClassifierCheck) {
  const rng = new Random(spec.seed ?? 3);
  const { examples: m, inputSize } = spec;
  const data = Float64Array.from({ length: m * inputSize }, () => Math.fround(rng.uniform()));
  const labels = Uint8Array.from({ length: m }, () => rng.integer(spec.numClasses));
  const layout = classifierLayout(spec);
  const theta = new Float64Array(layout.length);
  for (let i = 0; i < layout.softmaxLength; i++) theta[layout.softmax + i] = Math.fround(0.005 * rng.normal());
  for (const layer of layout.layers) {
    const r = Math.sqrt(6) / Math.sqrt(layer.inputs + layer.outputs + 1);
    for (let i = 0; i < layer.inputs * layer.outputs; i++) theta[layer.W + i] = Math.fround((2 * rng.uniform() - 1) * r);
    for (let i = 0; i < layer.outputs; i++) theta[layer.b + i] = Math.fround(0.1 * (2 * rng.uniform() - 1));
  }
  return { data: { data, examples: m, visibleSize: inputSize, labels }, theta };
}

export async function checkClassifierEvaluation(ctx: GpuContext, spec: ClassifierCheck): Promise<CheckResult[]> {
  const lambda = spec.lambda ?? 1e-4;
  const shape: ClassifierShape = { inputSize: spec.inputSize, hiddenSizes: spec.hiddenSizes, numClasses: spec.numClasses };
  const { data, theta } = makeClassifierFixture(spec);
  const model = await GpuClassifier.create(ctx, shape, lambda, data, { theta, matmulVariant: spec.variant, ...(spec.fused === false ? { fused: false } : {}) });
  try {
    const evaluation = await model.evaluate();
    const grad = await model.readGradient();
    const ref = classifierCostDetailed(theta, shape, Math.fround(lambda), data);
    const label = { examples: spec.examples, layers: [spec.inputSize, ...spec.hiddenSizes, spec.numClasses].join('-'), variant: model.config.matmul, fused: model.fused, dispatches: model.programs.length };
    const L = model.layout;
    const blocks: Record<string, readonly [number, number]> = { softmaxTheta: [L.softmax, L.softmax + L.softmaxLength] };
    L.layers.forEach((layer, l) => {
      blocks[`W${l + 1}`] = [layer.W, layer.b];
      blocks[`b${l + 1}`] = [layer.b, layer.b + layer.outputs];
    });
    return [compareCost(label, evaluation, ref), compareGradient(label, grad, ref.grad, blocks)];
  } finally {
    model.destroy();
  }
}
