/**
 * The linear decoder's preprocessing (linearDecoderExercise.m), in float64:
 *
 *   meanPatch = mean(patches, 2);  patches = patches − meanPatch     each of the v values' mean
 *   sigma = patches·patchesᵀ / m                                      v × v covariance
 *   [U, S, V] = svd(sigma)                                            here: symmetric eigendecomposition
 *   ZCAWhite = U·diag(1 ./ sqrt(diag(S) + ε))·Uᵀ                      ε = 0.1
 *   patches = ZCAWhite·patches
 *
 * Σ is symmetric positive semi-definite, so its SVD and its eigendecomposition agree;
 * ml-matrix's EigenvalueDecomposition (tred2/tql2, as JAMA and EISPACK) computes the latter.
 * A data set here is row-major m × v (one patch per row), so "ZCAWhite·patches" multiplies
 * each row by ZCAWhite (symmetric, so no transpose is needed).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Dataset } from '../reference/autoencoder';
import { DataError } from './errors';

/** The exercise's ε: it keeps the many tiny eigenvalues (noise directions) from being amplified. */
export const ZCA_EPSILON = 0.1;

export interface ZcaWhitening {
  /** The mean of each of the v values over the patches (meanPatch). */
  meanPatch: Float64Array;
  /** ZCAWhite, v × v row-major (symmetric). */
  zca: Float64Array;
  epsilon: number;
  /** s, Σ's eigenvalues, and U, its eigenvectors as columns (v × v row-major): for reports and tests. */
  eigenvalues: Float64Array;
  eigenvectors: Float64Array;
}

const SOURCE = 'ZCA whitening';

/** The mean patch and ZCAWhite of a data set (which is left as it is). */
export function fitZcaWhitening(dataset: Dataset, epsilon = ZCA_EPSILON): ZcaWhitening {
  const { data, examples: m, visibleSize: v } = dataset;
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) throw new DataError(SOURCE, `ε must be ≥ 0, got ${epsilon}`);
  if (m < 1) throw new DataError(SOURCE, 'no patches');
  const meanPatch = new Float64Array(v);
  for (let k = 0; k < m; k++) for (let i = 0; i < v; i++) meanPatch[i] += data[k * v + i];
  for (let i = 0; i < v; i++) meanPatch[i] /= m;

  // Σ's upper triangle, one centred patch at a time (no m × v copy), then mirrored.
  const sigma = new Float64Array(v * v);
  const x = new Float64Array(v);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < v; i++) x[i] = data[k * v + i] - meanPatch[i];
    for (let i = 0; i < v; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * v;
      for (let j = i; j < v; j++) sigma[row + j] += xi * x[j];
    }
  }
  const rows: number[][] = [];
  for (let i = 0; i < v; i++) {
    const row = new Array<number>(v);
    for (let j = 0; j < v; j++) row[j] = (i <= j ? sigma[i * v + j] : sigma[j * v + i]) / m;
    rows.push(row);
  }
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const eigenvalues = Float64Array.from(evd.realEigenvalues);
  const U = evd.eigenvectorMatrix;
  const eigenvectors = new Float64Array(v * v);
  for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) eigenvectors[i * v + j] = U.get(i, j);

  const gains = eigenvalues.map((s, j) => {
    // Round-off can leave a zero eigenvalue slightly negative; with ε = 0 it has no inverse.
    const d = Math.max(s, 0) + epsilon;
    if (!(d > 0)) throw new DataError(SOURCE, `the covariance is singular (eigenvalue ${j + 1} is ${s}): whitening needs ε > 0`);
    return 1 / Math.sqrt(d);
  });
  const zca = new Float64Array(v * v);
  for (let i = 0; i < v; i++) {
    for (let j = i; j < v; j++) {
      let sum = 0;
      for (let k = 0; k < v; k++) sum += eigenvectors[i * v + k] * gains[k] * eigenvectors[j * v + k];
      zca[i * v + j] = sum;
      zca[j * v + i] = sum; // exactly symmetric
    }
  }
  return { meanPatch, zca, epsilon, eigenvalues, eigenvectors };
}

/** x ← ZCAWhite·(x − meanPatch) for every patch, in place. */
export function applyZcaWhitening(dataset: Dataset, whitening: Pick<ZcaWhitening, 'meanPatch' | 'zca'>): void {
  const { data, examples: m, visibleSize: v } = dataset;
  const { meanPatch, zca } = whitening;
  if (meanPatch.length !== v || zca.length !== v * v) {
    throw new DataError(SOURCE, `a whitening of ${meanPatch.length} values does not fit patches of ${v}`);
  }
  const x = new Float64Array(v);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < v; i++) x[i] = data[k * v + i] - meanPatch[i];
    for (let i = 0; i < v; i++) {
      let sum = 0;
      const row = i * v;
      for (let j = 0; j < v; j++) sum += zca[row + j] * x[j];
      data[k * v + i] = sum;
    }
  }
}

/** Fits the whitening to the patches and applies it to them; returns it (for new patches and for display). */
export function zcaWhiten(dataset: Dataset, epsilon = ZCA_EPSILON): ZcaWhitening {
  const whitening = fitZcaWhitening(dataset, epsilon);
  applyZcaWhitening(dataset, whitening);
  return whitening;
}
