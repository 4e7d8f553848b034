/**
 * src/data/pca.ts against independent float64 computations: ml-matrix's SVD for the
 * eigenvalues, the definitions for the rest; on the generated 2-D cloud (pca_2d) and on raw
 * photo patches (pca_gen).
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRawNaturalImages } from '../../src/data/natural-node';
import { sampleRawPatches } from '../../src/data/patches';
import {
  componentsToRetain,
  correlatedPoints2d,
  covarianceOf,
  covarianceSummary,
  nullDirections,
  PCA_2D_EPSILON,
  PCA_EPSILON,
  pcaBasis,
  pcaWhiten,
  reduce,
  removeExampleMeans,
  rotate,
  varianceRetained,
  zcaWhiten,
  type PcaBasis,
} from '../../src/data/pca';
import type { Dataset } from '../../src/reference/autoencoder';

/** The singular values of Σ (= its eigenvalues, Σ being positive semi-definite), largest first. */
function singularValues(sigma: Float64Array, v: number): number[] {
  const rows = Array.from({ length: v }, (_, i) => Array.from(sigma.subarray(i * v, (i + 1) * v)));
  return new SingularValueDecomposition(new Matrix(rows)).diagonal;
}

const sum = (values: ArrayLike<number>): number => Array.from(values).reduce((a, b) => a + b, 0);

describe('componentsToRetain', () => {
  it('is the least k whose eigenvalues hold the fraction, boundaries included', () => {
    const lambda = [4, 3, 2, 1, 0];
    expect(componentsToRetain(lambda, 0.9)).toBe(3); // 9/10
    expect(componentsToRetain(lambda, 0.91)).toBe(4);
    expect(componentsToRetain(lambda, 0.7)).toBe(2); // exactly 7/10
    expect(componentsToRetain(lambda, 0.99)).toBe(4);
    expect(componentsToRetain(lambda, 1)).toBe(4); // the null direction is not needed
    expect(varianceRetained(lambda, 2)).toBeCloseTo(0.7, 15);
  });

  it('refuses a fraction outside (0, 1] and data without variance', () => {
    expect(() => componentsToRetain([1, 0], 0)).toThrow(/fraction .* \(0, 1\]/);
    expect(() => componentsToRetain([0, 0], 0.9)).toThrow(/no variance/);
  });
});

describe('PCA in 2D (pca_2d)', () => {
  const points = correlatedPoints2d(1);
  const basis = pcaBasis(covarianceOf(points), 2);
  const U = basis.eigenvectors;

  it('finds the cloud’s main axis, the 45° line it was drawn along', () => {
    const [mx, my] = [0, 1].map((c) => sum(Array.from(points.data).filter((_, i) => i % 2 === c)) / points.examples);
    expect(Math.abs(mx) + Math.abs(my)).toBeLessThan(1e-15);
    // u1 = ±(1, 1)/√2 up to the sample's own tilt (45 points).
    expect(Math.abs(U[0] * Math.SQRT1_2 + U[2] * Math.SQRT1_2)).toBeGreaterThan(0.99);
    expect(basis.eigenvalues[0]).toBeGreaterThan(5 * basis.eigenvalues[1]);
    singularValues(covarianceOf(points), 2).forEach((s, j) => expect(basis.eigenvalues[j]).toBeCloseTo(s, 15));
  });

  it('rotates the data onto uncorrelated axes, with variances λ', () => {
    const c = covarianceOf(rotate(points, basis));
    expect(Math.abs(c[1])).toBeLessThan(1e-15);
    expect(c[0]).toBeCloseTo(basis.eigenvalues[0], 15);
    expect(c[3]).toBeCloseTo(basis.eigenvalues[1], 15);
  });

  it('reduces every point onto u1 (x̃ = u1·u1ᵀ·x), and k = 2 gives the points back', () => {
    const reduced = reduce(points, basis, 1);
    for (let k = 0; k < points.examples; k++) {
      // x̃ is parallel to u1: its cross product with u1 vanishes; x − x̃ is along u2.
      expect(Math.abs(reduced.data[2 * k] * U[2] - reduced.data[2 * k + 1] * U[0])).toBeLessThan(1e-15);
      const [dx, dy] = [points.data[2 * k] - reduced.data[2 * k], points.data[2 * k + 1] - reduced.data[2 * k + 1]];
      expect(Math.abs(dx * U[0] + dy * U[2])).toBeLessThan(1e-15);
    }
    const whole = reduce(points, basis, 2);
    whole.data.forEach((x, i) => expect(x).toBeCloseTo(points.data[i], 14));
  });

  it('whitens to covariance λ/(λ + ε) on the axes (PCA) and turned back (ZCA)', () => {
    const gains = basis.eigenvalues.map((l) => l / (l + PCA_2D_EPSILON));
    const pca = covarianceOf(pcaWhiten(points, basis, PCA_2D_EPSILON));
    expect(pca[0]).toBeCloseTo(gains[0], 14);
    expect(pca[3]).toBeCloseTo(gains[1], 14);
    expect(Math.abs(pca[1])).toBeLessThan(1e-14);
    const zca = covarianceOf(zcaWhiten(points, basis, PCA_2D_EPSILON));
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) expect(zca[i * 2 + j]).toBeCloseTo(U[i * 2] * gains[0] * U[j * 2] + U[i * 2 + 1] * gains[1] * U[j * 2 + 1], 14);
    }
    // ε only just keeps it from the identity: the cloud's variances are ≥ 1e-2.
    expect(covarianceSummary(pca, 2).diagonal.min).toBeGreaterThan(0.99);
  });
});

describe('pca_gen on raw photo patches', () => {
  let patches: Dataset;
  let sigma: Float64Array;
  let basis: PcaBasis;
  beforeAll(async () => {
    patches = sampleRawPatches(await loadRawNaturalImages(), { patchSize: 12, count: 2000, seed: 3 });
    removeExampleMeans(patches);
    sigma = covarianceOf(patches);
    basis = pcaBasis(sigma, 144);
  });

  it('each patch’s mean is removed, leaving Σ one null direction, along 1/√v', () => {
    for (let k = 0; k < 5; k++) expect(Math.abs(sum(patches.data.subarray(k * 144, (k + 1) * 144)))).toBeLessThan(1e-12);
    expect(nullDirections(basis)).toBe(1);
    let dot = 0;
    for (let i = 0; i < 144; i++) dot += basis.eigenvectors[i * 144 + 143] / 12;
    expect(Math.abs(dot)).toBeCloseTo(1, 12);
  });

  it('k for 99% and 90% is the float64 SVD’s, and the eigenvalues are its singular values', () => {
    const s = singularValues(sigma, 144);
    basis.eigenvalues.slice(0, 143).forEach((l, j) => expect(l).toBeCloseTo(s[j], 14));
    const independentK = (fraction: number) => {
      const total = s.reduce((a, b) => a + b, 0);
      let kept = 0;
      return s.findIndex((x) => (kept += x) >= fraction * total) + 1;
    };
    expect(componentsToRetain(basis.eigenvalues, 0.99)).toBe(independentK(0.99));
    expect(componentsToRetain(basis.eigenvalues, 0.9)).toBe(independentK(0.9));
    expect(componentsToRetain(basis.eigenvalues, 0.9)).toBeLessThan(componentsToRetain(basis.eigenvalues, 0.99));
  });

  it('PCA whitening without ε gives the identity covariance within 1e-4 (but the null direction’s 0), with ε nearly so', () => {
    const white = covarianceOf(pcaWhiten(patches, basis, 0));
    const summary = covarianceSummary(white, 144);
    expect(summary.largestOffDiagonal).toBeLessThan(1e-4);
    for (let j = 0; j < 143; j++) expect(white[j * 145]).toBeCloseTo(1, 6);
    expect(white[143 * 145]).toBe(0);

    const regular = covarianceOf(pcaWhiten(patches, basis, PCA_EPSILON));
    expect(covarianceSummary(regular, 144).largestOffDiagonal).toBeLessThan(1e-4);
    // ε shrinks each direction's variance to λ/(λ + ε): the diagonal falls from near 1 towards 0.
    for (let j = 0; j < 143; j++) expect(regular[j * 145]).toBeCloseTo(basis.eigenvalues[j] / (basis.eigenvalues[j] + PCA_EPSILON), 10);
    expect(regular[0]).toBeGreaterThan(regular[142 * 145]);
  });

  it('ZCA whitening is PCA whitening turned back by U: same lengths, patch by patch', () => {
    const pca = pcaWhiten(patches, basis, PCA_EPSILON);
    const zca = zcaWhiten(patches, basis, PCA_EPSILON);
    const back = rotate(zca, basis);
    let largest = 0;
    back.data.forEach((x, i) => (largest = Math.max(largest, Math.abs(x - pca.data[i]))));
    expect(largest).toBeLessThan(1e-10);
  });
});
