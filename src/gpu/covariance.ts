/**
 * The covariance Σ = XᵀX/m of m examples of v values (pca_gen's sigma = x·xᵀ/m, the data row-major
 * m × v here) on the GPU, with the project's matmul: the TN product split along the examples
 * (each slice a chain of at most splitK products, so the float32 error stays that of a short
 * sum however many patches there are), its slices summed in a fixed order and scaled by 1/m
 * (sum_slices), exactly as a weight gradient Xᵀδ/m is formed. Checked against the float64 Σ of
 * the same float32 values under the tolerance policy (checkCovariance).
 */
import { covarianceOf } from '../data/pca';
import type { Dataset } from '../reference/autoencoder';
import { chooseKernelConfig } from './adapter';
import { compareElementwise, type CheckResult } from './comparison';
import type { GpuContext } from './device';
import { matmulProgram, roundUp4, sumSlicesProgram, type KernelProgram } from './programs';
import { createStorageBuffer, readF32, runPrograms, uploadF32 } from './runtime';
import { checkBindingSizes } from './steps';
import { roundoffBound } from './tolerance';

/** Roundings of Σ beyond the product's chain: 1/m itself in float32, the scaling, sum_slices' add of λ·w (λ = 0, exact but counted as a weight gradient's are). */
const COVARIANCE_EXTRA_ROUNDINGS = 3;

export interface CovariancePrograms {
  product: KernelProgram & { slices: number };
  finalize: KernelProgram;
  /** n_eff of the policy: the product's slice plus the slices' sum. */
  chainLength: number;
}

/** The split-K TN product XᵀX and its finalize for m examples of v values, as the adapter's kernel choice has them. */
export function covariancePrograms(ctx: GpuContext, m: number, v: number): CovariancePrograms {
  const config = chooseKernelConfig(ctx.adapterInfo);
  const v4 = roundUp4(v);
  const product = matmulProgram({ M: v4, N: v4, K: m, transA: true, transB: false, kChunk: config.splitK }, config.matmul, config.subgroupSize, config.tiling);
  const finalize = sumSlicesProgram({ rows: v, cols: v, ld: v4, sliceStride: v4 * v4, slices: product.slices, outOffset: 0, scale: 1 / m });
  return { product, finalize, chainLength: product.chainLength + finalize.chainLength };
}

/** Σ = XᵀX/m of the data set's values as float32 (v × v row-major), and the programs that made it. */
export async function gpuCovariance(ctx: GpuContext, dataset: Dataset): Promise<{ covariance: Float32Array; programs: CovariancePrograms }> {
  const { data, examples: m, visibleSize: v } = dataset;
  const v4 = roundUp4(v);
  const programs = covariancePrograms(ctx, m, v);
  const { product, finalize } = programs;
  checkBindingSizes(ctx.device, [
    [`${m} examples of ${v} values`, m * v4 * 4, ['examples']],
    [`the covariance's ${product.slices} partial sums`, product.slices * v4 * v4 * 4, ['examples']],
  ]);
  // Rows padded to v4 with zeros: the padding adds exact zeros to Σ's padded rows and columns, never read.
  const padded = new Float32Array(m * v4);
  for (let k = 0; k < m; k++) for (let i = 0; i < v; i++) padded[k * v4 + i] = data[k * v + i];
  const device = ctx.device;
  const x = uploadF32(device, padded, 'X');
  const partials = createStorageBuffer(device, product.slices * v4 * v4 * 4, 'covariance partials');
  const unused = createStorageBuffer(device, 16, 'no λ·w');
  const out = createStorageBuffer(device, v * v * 4, 'covariance');
  try {
    await runPrograms(ctx, [
      { program: product, buffers: { a: x, b: x, c: partials, bias: unused } },
      { program: finalize, buffers: { partials, w: unused, out } },
    ]);
    return { covariance: await readF32(ctx, out, 0, v * v), programs };
  } finally {
    for (const buffer of [x, partials, unused, out]) buffer.destroy();
  }
}

/**
 * The GPU's Σ against the float64 Σ of the same float32 values, entry by entry within
 * (n_eff + 3)·u·Σ|terms|, Σ|terms| being |X|ᵀ|X|/m. Returns the check, the GPU's Σ and
 * ‖bounds‖_F, which bounds ‖Σ_gpu − Σ‖₂ (for pcaBasis's sigmaError) as long as the check passes.
 */
export async function checkCovariance(ctx: GpuContext, dataset: Dataset): Promise<{ check: CheckResult; covariance: Float32Array; errorBound: number }> {
  const { examples: m, visibleSize: v } = dataset;
  const asFloat32: Dataset = { data: Float32Array.from(dataset.data), examples: m, visibleSize: v };
  const { covariance, programs } = await gpuCovariance(ctx, asFloat32);
  const reference = covarianceOf(asFloat32);
  const bounds = covarianceOf(asFloat32, true).map((s) => roundoffBound(programs.chainLength, COVARIANCE_EXTRA_ROUNDINGS, s));
  const check = compareElementwise('covariance (split-K TN + finalize)', { m, v, variant: programs.product.name, slices: programs.product.slices }, covariance, reference, bounds);
  const errorBound = Math.sqrt(bounds.reduce((sum, b) => sum + b * b, 0));
  return { check, covariance, errorBound };
}
