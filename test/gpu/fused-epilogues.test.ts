/**
 * The fused evaluation (src/gpu/layers.ts, shaders/matmul_subgroups_fused.wgsl): the steps after
 * a product ride in its epilogue where the matmul variant has the fused epilogues, and a variant
 * without them evaluates step by step. Both are held to the float64 reference under the model's
 * tolerances (src/gpu/tolerance.ts); the fused shader's product is the unfused one's, verbatim.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { DEFAULT_HYPERPARAMETERS, makeFixture } from '../../src/gpu/checks';
import { autoencoderBlocks, compareEvaluation } from '../../src/gpu/comparison';
import { fusedMatmulProgram, hasFusedEpilogues, sumSlicesProgram } from '../../src/gpu/programs';
import { fusedColumnSumChain } from '../../src/gpu/tolerance';
import { sparseAutoencoderCostDetailed } from '../../src/reference/autoencoder';
import { expectPass, useGpuContext } from './context';

const gpu = useGpuContext();

/** The text of a shader from its main function's first line to the product's end (the epilogue's start). */
function productOf(file: string): string {
  const code = readFileSync(file, 'utf8');
  return code.slice(code.indexOf('fn main('), code.indexOf('  let cBase ='));
}

describe('fused matmul epilogues', () => {
  it('the fused shader computes the product exactly as matmul_subgroups.wgsl does (a copy held identical)', () => {
    const plain = productOf('shaders/matmul_subgroups.wgsl');
    expect(plain.length).toBeGreaterThan(2000);
    expect(productOf('shaders/matmul_subgroups_fused.wgsl')).toBe(plain);
  });

  it('the fused column sums are no longer a chain than step by step (the tolerance policy’s fusedColumnSumChain)', () => {
    for (const m of [500, 10000]) {
      const product = fusedMatmulProgram({ M: m, N: 28, K: 64, transB: false, activation: 'sigmoid', epilogue: { kind: 'column sums' } });
      const second = sumSlicesProgram({ rows: 1, cols: 25, ld: 28, sliceStride: 28, slices: product.tiles, outOffset: 0, scale: 1 / m, accumulators: 16 });
      expect(product.partialChain + second.chainLength).toBe(fusedColumnSumChain(m, product.partialChain));
      const unfused = 64 / 4 + 2 + Math.ceil(Math.ceil(m / 64) / 4) + 2;
      expect(fusedColumnSumChain(m, product.partialChain)).toBeLessThanOrEqual(unfused);
    }
  });

  const shape = { visibleSize: 20, hiddenSize: 7 };
  const m = 300;
  const { data, theta } = makeFixture(m, shape.visibleSize, shape.hiddenSize, 5);
  const dataset = { data, examples: m, visibleSize: shape.visibleSize };
  const reference = sparseAutoencoderCostDetailed(theta, shape, DEFAULT_HYPERPARAMETERS, dataset);

  async function evaluated(options: { fused?: boolean; matmulVariant?: 'registers'; maxBindingBytes?: number }) {
    const model = await GpuSparseAutoencoder.create(gpu(), shape, DEFAULT_HYPERPARAMETERS, dataset, { theta, ...options });
    try {
      const result = await model.evaluate();
      return { fused: model.fused, variant: model.config.matmul, dispatches: model.programs.length, pieces: model.pieces, ...result, grad: await model.readGradient() };
    } finally {
      model.destroy();
    }
  }

  it('fewer dispatches than step by step, both within the model tolerance of the float64 reference', async () => {
    const fused = await evaluated({});
    const unfused = await evaluated({ fused: false });
    expect(unfused.fused).toBe(false);
    expect(unfused.dispatches).toBe(17);
    // The adapter's own variant: on lavapipe 'subgroups', which has the fused epilogues.
    expect(fused.fused).toBe(hasFusedEpilogues(fused.variant));
    if (fused.fused) expect(fused.dispatches).toBe(10);
    expectPass(compareEvaluation({ fused: true }, fused, reference, autoencoderBlocks(shape)));
    expectPass(compareEvaluation({ fused: false }, unfused, reference, autoencoderBlocks(shape)));
  });

  it('a variant without fused epilogues falls back to the steps one by one', async () => {
    const result = await evaluated({ matmulVariant: 'registers' });
    expect(hasFusedEpilogues('registers')).toBe(false);
    expect(result.fused).toBe(false);
    expect(result.dispatches).toBe(17);
    expectPass(compareEvaluation({ variant: 'registers' }, result, reference, autoencoderBlocks(shape)));
  });

  it('in pieces (data larger than a binding): the fused partials are summed piece by piece', async () => {
    // 300 examples of 20 floats in bindings of 256 rows: two pieces.
    const result = await evaluated({ maxBindingBytes: 256 * 20 * 4 });
    expect(result.pieces).toBe(2);
    expectPass(compareEvaluation({ pieces: 2 }, result, reference, autoencoderBlocks(shape)));
  });
});
