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

/**
 * Patches whitened by `from` turned, in place, into the same patches whitened by `to`: x is
 * recovered as Z⁻¹·x_w + meanPatch, Z⁻¹ = U·diag(√(s + ε))·Uᵀ from `from`'s eigendecomposition,
 * and whitened again, in one affine map. For a model.json (which carries the whitening it was
 * trained after) shown on patches sampled and whitened anew.
 */
export function rewhiten(dataset: Dataset, from: ZcaWhitening, to: Pick<ZcaWhitening, 'meanPatch' | 'zca'>): void {
  const { data, examples: m, visibleSize: v } = dataset;
  if (from.meanPatch.length !== v || to.meanPatch.length !== v || to.zca.length !== v * v) {
    throw new DataError(SOURCE, `a whitening of ${to.meanPatch.length} values does not fit patches of ${v}`);
  }
  const U = from.eigenvectors;
  const inverse = new Float64Array(v * v);
  const gains = from.eigenvalues.map((s) => Math.sqrt(Math.max(s, 0) + from.epsilon));
  for (let i = 0; i < v; i++) {
    for (let j = 0; j < v; j++) {
      let sum = 0;
      for (let k = 0; k < v; k++) sum += U[i * v + k] * gains[k] * U[j * v + k];
      inverse[i * v + j] = sum;
    }
  }
  // x_to = Z_to·Z_from⁻¹·x_w + Z_to·(meanPatch_from − meanPatch_to)
  const map = new Float64Array(v * v);
  const offset = new Float64Array(v);
  for (let i = 0; i < v; i++) {
    for (let k = 0; k < v; k++) {
      const z = to.zca[i * v + k];
      offset[i] += z * (from.meanPatch[k] - to.meanPatch[k]);
      for (let j = 0; j < v; j++) map[i * v + j] += z * inverse[k * v + j];
    }
  }
  const x = new Float64Array(v);
  for (let n = 0; n < m; n++) {
    x.set(data.subarray(n * v, (n + 1) * v));
    for (let i = 0; i < v; i++) {
      let sum = offset[i];
      for (let j = 0; j < v; j++) sum += map[i * v + j] * x[j];
      data[n * v + i] = sum;
    }
  }
}
