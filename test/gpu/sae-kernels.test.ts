/**
 * The SAE kernels (src/gpu/sae-programs.ts) against their float64 twins (src/reference/sae.ts) on
 * awkward sizes: widths that are no multiple of a workgroup or of 4, k = 1, k ≥ n/2, k = n, rows
 * full of ties, all-negative rows, and one dictionary of 24,576 latents. Selection exactly; the
 * arithmetic under the tolerance policy of src/gpu/tolerance.ts.
 */
import { describe, it } from 'vitest';
import { checkAuxKDelta, checkBatchTopK, checkCenterRows, checkDecoderNorms, checkL1, checkTopK, checkTopKBackward } from '../../src/gpu/sae-checks';
import { expectPass, useGpuContext } from './context';

const gpu = useGpuContext();

// Both kernels: a workgroup per row (GPUs) and a thread per row (CPUs' software adapters).
describe.each(['workgroup', 'thread'] as const)('row-wise top-k, in place (%s per row)', (variant) => {
  it.each([
    // rows, cols, k
    [1, 1, 1],
    [7, 3, 1],
    [7, 3, 3],
    [5, 10, 5],
    [64, 257, 1],
    [64, 257, 32],
    [13, 300, 150],
    [13, 300, 299],
    [13, 300, 300],
    [4, 3000, 256],
  ])('%i × %i, k = %i, distinct values', async (rows, cols, k) => {
    expectPass(await checkTopK(gpu(), { rows, cols, k, variant }));
  });

  it.each([
    [9, 30, 1],
    [9, 30, 7],
    [9, 30, 16],
    [9, 30, 30],
    [3, 1001, 200],
  ])('%i × %i, k = %i, values in {−3 … 3} with ±0: the lower column wins each tie', async (rows, cols, k) => {
    expectPass(await checkTopK(gpu(), { rows, cols, k, values: 'ties', variant }));
  });

  it.each([
    [6, 50, 1],
    [6, 50, 25],
  ])('%i × %i, k = %i, every value negative: k kept, all 0 after the ReLU', async (rows, cols, k) => {
    expectPass(await checkTopK(gpu(), { rows, cols, k, values: 'negative', variant }));
  });

  it.each([
    [5, 37, 4, 'distinct', 7],
    [5, 37, 12, 'ties', 13],
    [3, 1000, 64, 'distinct', 6],
  ] as const)('%i × %i, k = %i (%s): the sparse form, decoded into %i outputs', async (rows, cols, k, values, width) => {
    expectPass(await checkTopK(gpu(), { rows, cols, k, values, sparse: true, width, variant }));
  });

  it.each([
    [9, 30, 2, 'distinct', 3, 1],
    [9, 30, 4, 'ties', 3, 2],
    [4, 1001, 64, 'distinct', 4, 1],
  ] as const)('%i × %i, k = %i (%s) among the eligible columns (%i-periodic, %i each): AuxK’s dead latents', async (rows, cols, k, values, every, count) => {
    expectPass(await checkTopK(gpu(), { rows, cols, k, values, eligible: { every, count }, variant }));
    expectPass(await checkTopK(gpu(), { rows, cols, k, values, eligible: { every, count }, sparse: true, variant }));
  });

  it('fewer eligible columns than k keeps them all (the sparse form padded with (0, 0)); none keeps nothing', async () => {
    expectPass(await checkTopK(gpu(), { rows: 5, cols: 30, k: 5, eligible: { every: 10, count: 1 }, sparse: true, variant }));
    expectPass(await checkTopK(gpu(), { rows: 5, cols: 30, k: 4, eligible: { every: 10, count: 0 }, sparse: true, variant }));
  });

  it('a dictionary of 24,576 latents: k = 256 and k = 1, with the sparse form', async () => {
    expectPass(await checkTopK(gpu(), { rows: 3, cols: 24_576, k: 256, sparse: true, width: 8, variant }));
    expectPass(await checkTopK(gpu(), { rows: 2, cols: 24_576, k: 1, variant }));
  });
});

describe('the backward pass of top-k: δ to the kept latents with z > 0 only', () => {
  it.each([
    [7, 3, 1, 'distinct'],
    [64, 257, 32, 'distinct'],
    [9, 30, 7, 'ties'],
    [6, 50, 25, 'negative'],
  ] as const)('%i × %i, k = %i (%s)', async (rows, cols, k, values) => {
    expectPass(await checkTopKBackward(gpu(), { rows, cols, k, values }));
  });
});

describe('batch top-k and its running threshold', () => {
  it.each([
    [1, 1, 1, 'distinct'],
    [7, 3, 1, 'distinct'],
    [7, 3, 3, 'distinct'],
    [16, 257, 8, 'distinct'],
    [64, 300, 32, 'distinct'],
    [64, 300, 150, 'distinct'],
    [9, 30, 7, 'ties'],
    [40, 1001, 16, 'ties'],
    [6, 50, 25, 'negative'],
  ] as const)('%i × %i, k = %i per example (%s)', async (rows, cols, k, values) => {
    expectPass(await checkBatchTopK(gpu(), { rows, cols, k, values }));
  });

  it('a dictionary of 24,576 latents over 2 examples, k = 64 (several blocks)', async () => {
    expectPass(await checkBatchTopK(gpu(), { rows: 2, cols: 24_576, k: 64, threshold: 0.5, rate: 0.1 }));
  });
});

describe('decoder norms', () => {
  it.each([
    [1, 1],
    [25, 3],
    [25, 64],
    [7, 65],
    [300, 200],
    [3, 3000],
  ])('%i latents × %i: norms, the parallel part of the gradient removed, unit rows', async (latents, width) => {
    for (const step of ['columnNorms', 'removeParallel', 'renormalize'] as const) {
      expectPass(await checkDecoderNorms(gpu(), { latents, width, step }));
    }
  });

  it('zero directions keep their gradient and stay zero', async () => {
    for (const step of ['columnNorms', 'removeParallel', 'renormalize'] as const) {
      expectPass(await checkDecoderNorms(gpu(), { latents: 10, width: 7, step, zeroEvery: 3 }));
    }
  });
});

describe('the L1 penalty with decoder norms', () => {
  it.each([
    [1, 1, 1],
    [7, 25, 3],
    [64, 300, 64],
    [5, 3000, 7],
  ])('%i examples, %i latents, width %i: per-example penalty, encoder δ, decoder gradient, the batch’s penalty into the cost', async (rows, latents, width) => {
    for (const step of ['penaltyPerExample', 'encoderDelta', 'decoderGradient', 'addPenalty'] as const) {
      expectPass(await checkL1(gpu(), { rows, latents, width, step }));
    }
  });
});

describe('the TopK model’s small kernels', () => {
  it.each([
    [1, 1],
    [7, 3],
    [65, 13],
    [200, 64],
  ])('centre rows x − b_dec, %i × %i, from row 3 of the data', async (rows, cols) => {
    expectPass(await checkCenterRows(gpu(), { rows, cols }));
  });

  it.each([
    [1, 1],
    [7, 13],
    [65, 13],
    [300, 64],
  ])('AuxK delta α(ê + δ_out) and Σ(ê + δ_out)², %i × %i', async (rows, cols) => {
    expectPass(await checkAuxKDelta(gpu(), { rows, cols }));
  });
});
