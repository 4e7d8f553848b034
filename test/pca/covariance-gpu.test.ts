/**
 * The patches' covariance on the GPU (split-K TN matmul + sum_slices) against the float64 one of
 * the same float32 values, under the tolerance policy's per-entry bound, at awkward sizes (v not
 * a multiple of 4, m not a multiple of the split-K chunk); and the PCA it feeds: the same k.
 */
import { describe, expect, it } from 'vitest';
import { loadRawNaturalImages } from '../../src/data/natural-node';
import { sampleRawPatches } from '../../src/data/patches';
import { componentsToRetain, covarianceOf, covarianceSummary, nullDirections, pcaBasis, pcaWhiten, removeExampleMeans } from '../../src/data/pca';
import { checkCovariance, covariancePrograms } from '../../src/gpu/covariance';
import { Random } from '../../src/random';
import { expectPass, useGpuContext } from '../gpu/context';

const gpu = useGpuContext();

describe('covariance on the GPU', () => {
  it('matches float64 within (n_eff + 3)·u·Σ|terms| at 37 values × 301 examples (2 slices)', async () => {
    const [m, v] = [301, 37];
    const rng = new Random(5);
    const data = Float64Array.from({ length: m * v }, () => rng.normal());
    const { check, covariance } = await checkCovariance(gpu(), { data, examples: m, visibleSize: v });
    expectPass(check);
    expect(check.shape.slices).toBeGreaterThan(1);
    expect(covariance.length).toBe(v * v);
    // Not a vacuous pass: the GPU's Σ is float32, so it differs from float64 somewhere.
    expect(check.maxError).toBeGreaterThan(0);
  });

  it('the chain the bound is derived from is a split-K slice plus the slices’ sum, not all m examples', () => {
    const programs = covariancePrograms(gpu(), 10_000, 144);
    expect(programs.chainLength).toBeLessThan(300);
    expect(programs.product.slices).toBe(Math.ceil(10_000 / programs.product.chainLength));
  });

  it('gives raw photo patches the float64 k for 99% and 90%, and whitens them to the identity within 1e-4', async () => {
    const patches = sampleRawPatches(await loadRawNaturalImages(), { patchSize: 12, count: 1500, seed: 7 });
    removeExampleMeans(patches);
    const { check, covariance, errorBound } = await checkCovariance(gpu(), patches);
    expectPass(check);
    const fromGpu = pcaBasis(Float64Array.from(covariance), 144, errorBound);
    const reference = pcaBasis(covarianceOf(patches), 144);
    for (const fraction of [0.99, 0.9]) expect(componentsToRetain(fromGpu.eigenvalues, fraction)).toBe(componentsToRetain(reference.eigenvalues, fraction));
    // The float32 Σ's null eigenvalue is round-off of ~1e-10, within the error bound: still the null direction.
    expect(nullDirections(fromGpu)).toBe(1);
    const white = covarianceSummary(covarianceOf(pcaWhiten(patches, fromGpu, 0)), 144);
    expect(white.largestOffDiagonal).toBeLessThan(1e-4);
  });
});
