/**
 * UFLDL's "PCA and Whitening" (pca_2d.m, pca_gen.m), in float64:
 *
 *   x = x − mean(x, 1)                          each patch's own mean removed (pca_gen)
 *   sigma = x·xᵀ / m                            v × v covariance
 *   [U, S, V] = svd(sigma)                      here: symmetric eigendecomposition, sorted descending
 *   xRot = Uᵀ·x                                 the data in the eigenbasis
 *   k: the least with Σᵢ≤ₖ λᵢ / Σᵢ λᵢ ≥ 0.99     components retaining 99% of the variance
 *   xHat = U(:, 1:k)·U(:, 1:k)ᵀ·x                reduced to k dimensions and back
 *   xPCAWhite = diag(1 ./ sqrt(diag(S) + ε))·Uᵀ·x
 *   xZCAWhite = U·xPCAWhite
 *
 * A data set here is row-major m × v (one example per row, src/reference/autoencoder.ts), so
 * every "M·x" above multiplies each row by Mᵀ. Σ is symmetric positive semi-definite, so its
 * SVD and eigendecomposition agree (as in src/data/zca.ts); ml-matrix returns the eigenvalues in
 * ascending order, and they are sorted here to the SVD's descending order, so that "the first k
 * components" means what the exercise means.
 *
 * Removing each patch's mean puts every patch in the hyperplane Σⱼ xⱼ = 0, so Σ has the
 * eigenvector 1/√v with an eigenvalue that is 0 but for round-off (~1e-17). Without ε, whitening
 * would divide that direction's round-off by its square root and call it unit variance; so a
 * direction whose eigenvalue lies within round-off of 0 (PcaBasis.nullLimit) is given gain 0:
 * it carries no data. The covariance of the whitened data is then the identity on the other
 * directions and 0 on that one, which the report says.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Dataset } from '../reference/autoencoder';
import { Random } from '../random';
import { DataError } from './errors';

const SOURCE = 'PCA';

/** pca_gen's ε for PCA and ZCA whitening of image patches. */
export const PCA_EPSILON = 0.1;
/** pca_gen's patches: 12×12 pixels. */
export const PCA_PATCH_SIZE = 12;
/** UFLDL's check: the covariance of PCA-whitened data without ε is the identity to this. */
export const WHITENED_OFF_DIAGONAL_LIMIT = 1e-4;
/** pca_2d's ε: small, since the 2-D data have no near-zero direction to keep from blowing up. */
export const PCA_2D_EPSILON = 1e-5;

export interface PcaBasis {
  /** λ, Σ's eigenvalues, largest first. */
  eigenvalues: Float64Array;
  /** U, v × v row-major: column j (U[i·v + j] for i = 0 … v−1) is the eigenvector of λⱼ. */
  eigenvectors: Float64Array;
  size: number;
  /** Eigenvalues at or below this are 0 but for round-off (see pcaBasis). */
  nullLimit: number;
}

/** x ← x − mean(x) for every example, over its own values (pca_gen's x = x − mean(x, 1)), in place. */
export function removeExampleMeans(dataset: Dataset): void {
  const { data, examples: m, visibleSize: v } = dataset;
  for (let k = 0; k < m; k++) {
    const row = data.subarray(k * v, (k + 1) * v);
    let sum = 0;
    for (let i = 0; i < v; i++) sum += row[i];
    const mean = sum / v;
    for (let i = 0; i < v; i++) row[i] -= mean;
  }
}

/** x ← x − mean over the examples of each value, in place (pca_2d's data are 2-D points, not patches). */
export function removeValueMeans(dataset: Dataset): void {
  const { data, examples: m, visibleSize: v } = dataset;
  const mean = new Float64Array(v);
  for (let k = 0; k < m; k++) for (let i = 0; i < v; i++) mean[i] += data[k * v + i];
  for (let i = 0; i < v; i++) mean[i] /= m;
  for (let k = 0; k < m; k++) for (let i = 0; i < v; i++) data[k * v + i] -= mean[i];
}

/**
 * Σ = x·xᵀ/m (v × v, row-major) as the exercise forms it, the data's mean taken as already
 * removed. `absolute` sums |xᵢ||xⱼ| instead: Σ|terms| of the round-off bound (src/gpu/tolerance.ts).
 */
export function covarianceOf(dataset: Dataset, absolute = false): Float64Array {
  const { data, examples: m, visibleSize: v } = dataset;
  if (m < 1) throw new DataError(SOURCE, 'no examples');
  const sigma = new Float64Array(v * v);
  const x = new Float64Array(v);
  // The upper triangle, one example at a time (no v × m copy), then mirrored.
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < v; i++) x[i] = absolute ? Math.abs(data[k * v + i]) : data[k * v + i];
    for (let i = 0; i < v; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * v;
      for (let j = i; j < v; j++) sigma[row + j] += xi * x[j];
    }
  }
  for (let i = 0; i < v; i++) {
    for (let j = i; j < v; j++) {
      sigma[i * v + j] /= m;
      sigma[j * v + i] = sigma[i * v + j];
    }
  }
  return sigma;
}

/**
 * U and λ of a symmetric v × v Σ (row-major), λ largest first. `sigmaError` bounds ‖δΣ‖₂, the
 * error Σ was formed with (a float32 Σ's round-off): by Weyl's inequality no eigenvalue moves
 * further, so one within it of 0 is the null direction, not data.
 */
export function pcaBasis(sigma: ArrayLike<number>, v: number, sigmaError = 0): PcaBasis {
  if (sigma.length !== v * v) throw new DataError(SOURCE, `a covariance of ${sigma.length} values is not ${v} × ${v}`);
  for (let i = 0; i < sigma.length; i++) {
    if (!Number.isFinite(sigma[i])) throw new DataError(SOURCE, `the covariance holds a value that is not finite (${sigma[i]})`);
  }
  const rows: number[][] = [];
  for (let i = 0; i < v; i++) rows.push(Array.from({ length: v }, (_, j) => sigma[i * v + j]));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const U = evd.eigenvectorMatrix;
  const order = values.map((_, j) => j).sort((a, b) => values[b] - values[a]);
  const eigenvalues = Float64Array.from(order, (j) => values[j]);
  const eigenvectors = new Float64Array(v * v);
  for (let i = 0; i < v; i++) order.forEach((j, col) => (eigenvectors[i * v + col] = U.get(i, j)));
  // v·ε_machine·λ_max: the error of a backward-stable eigensolver (as MATLAB's rank() decides).
  const nullLimit = Math.max(v * Number.EPSILON * Math.max(eigenvalues[0], 0), sigmaError);
  return { eigenvalues, eigenvectors, size: v, nullLimit };
}

/** The fraction of the variance the first k components hold: Σᵢ<ₖ λᵢ / Σᵢ λᵢ. */
export function varianceRetained(eigenvalues: ArrayLike<number>, k: number): number {
  let total = 0;
  let kept = 0;
  for (let i = 0; i < eigenvalues.length; i++) {
    // Round-off may leave a null direction's λ slightly negative: it holds no variance.
    const lambda = Math.max(eigenvalues[i], 0);
    total += lambda;
    if (i < k) kept += lambda;
  }
  if (!(total > 0)) throw new DataError(SOURCE, 'the data have no variance (every example is the same)');
  return kept / total;
}

/** The least k whose components retain at least `fraction` of the variance (pca_gen's step 2). */
export function componentsToRetain(eigenvalues: ArrayLike<number>, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new DataError(SOURCE, `the fraction of variance to retain must be in (0, 1], got ${fraction}`);
  let total = 0;
  for (let i = 0; i < eigenvalues.length; i++) total += Math.max(eigenvalues[i], 0);
  if (!(total > 0)) throw new DataError(SOURCE, 'the data have no variance (every example is the same)');
  let kept = 0;
  for (let k = 1; k <= eigenvalues.length; k++) {
    kept += Math.max(eigenvalues[k - 1], 0);
    // A relative slack of a few ulps, so that retaining all of it (fraction 1) reaches k = v.
    if (kept >= fraction * total * (1 - 4 * Number.EPSILON)) return k;
  }
  return eigenvalues.length;
}

/** Each example times a v × c matrix given by its columns' entry function: row·M. */
function transform(dataset: Dataset, columns: number, entry: (i: number, c: number) => number): Dataset {
  const { data, examples: m, visibleSize: v } = dataset;
  const M = new Float64Array(v * columns);
  for (let i = 0; i < v; i++) for (let c = 0; c < columns; c++) M[i * columns + c] = entry(i, c);
  const out = new Float64Array(m * columns);
  for (let k = 0; k < m; k++) {
    const o = k * columns;
    for (let i = 0; i < v; i++) {
      const xi = data[k * v + i];
      if (xi === 0) continue;
      const row = i * columns;
      for (let c = 0; c < columns; c++) out[o + c] += xi * M[row + c];
    }
  }
  return { data: out, examples: m, visibleSize: columns };
}

function checkFits(dataset: Dataset, basis: PcaBasis): void {
  if (dataset.visibleSize !== basis.size) throw new DataError(SOURCE, `a basis of ${basis.size} values does not fit examples of ${dataset.visibleSize}`);
}

/** xRot = Uᵀx: each example in the eigenbasis (component j is its coordinate along U's column j). */
export function rotate(dataset: Dataset, basis: PcaBasis): Dataset {
  checkFits(dataset, basis);
  const v = basis.size;
  return transform(dataset, v, (i, c) => basis.eigenvectors[i * v + c]);
}

/** x̃ = U(:, 1:k)·U(:, 1:k)ᵀ·x: each example reduced to its first k components, back in its own coordinates. */
export function reduce(dataset: Dataset, basis: PcaBasis, k: number): Dataset {
  checkFits(dataset, basis);
  const v = basis.size;
  if (!(Number.isInteger(k) && k >= 0 && k <= v)) throw new DataError(SOURCE, `cannot keep ${k} of ${v} components`);
  const U = basis.eigenvectors;
  // P = U_k U_kᵀ is symmetric, so row·P is P applied to the example.
  return transform(dataset, v, (i, c) => {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += U[i * v + j] * U[c * v + j];
    return sum;
  });
}

/** 1/√(λⱼ + ε) for each component; 0 for a null direction without ε (see the header). */
export function whiteningGains(basis: PcaBasis, epsilon: number): Float64Array {
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) throw new DataError(SOURCE, `ε must be ≥ 0, got ${epsilon}`);
  return basis.eigenvalues.map((lambda) => (epsilon === 0 && lambda <= basis.nullLimit ? 0 : 1 / Math.sqrt(Math.max(lambda, 0) + epsilon)));
}

/** The directions whitening without ε leaves out: those whose eigenvalue is 0 to round-off. */
export function nullDirections(basis: PcaBasis): number {
  return basis.eigenvalues.filter((lambda) => lambda <= basis.nullLimit).length;
}

/** xPCAWhite = diag(1 ./ sqrt(λ + ε))·Uᵀ·x. */
export function pcaWhiten(dataset: Dataset, basis: PcaBasis, epsilon: number): Dataset {
  checkFits(dataset, basis);
  const v = basis.size;
  const gains = whiteningGains(basis, epsilon);
  return transform(dataset, v, (i, c) => basis.eigenvectors[i * v + c] * gains[c]);
}

/** xZCAWhite = U·diag(1 ./ sqrt(λ + ε))·Uᵀ·x: whitened, and turned back to look like the data. */
export function zcaWhiten(dataset: Dataset, basis: PcaBasis, epsilon: number): Dataset {
  checkFits(dataset, basis);
  const v = basis.size;
  const U = basis.eigenvectors;
  const gains = whiteningGains(basis, epsilon);
  return transform(dataset, v, (i, c) => {
    let sum = 0;
    for (let j = 0; j < v; j++) sum += U[i * v + j] * gains[j] * U[c * v + j];
    return sum;
  });
}

/** How far a v × v covariance is from diagonal, and its diagonal from 1 (UFLDL's check of whitening). */
export function covarianceSummary(sigma: ArrayLike<number>, v: number): { largestOffDiagonal: number; diagonal: { min: number; max: number } } {
  let largestOffDiagonal = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v; i++) {
    for (let j = 0; j < v; j++) {
      const s = sigma[i * v + j];
      if (i === j) {
        min = Math.min(min, s);
        max = Math.max(max, s);
      } else {
        largestOffDiagonal = Math.max(largestOffDiagonal, Math.abs(s));
      }
    }
  }
  return { largestOffDiagonal, diagonal: { min, max } };
}

/**
 * A correlated 2-D point cloud like pca_2d's pcaData (45 points along the diagonal): standard
 * normal points scaled by `spread` (σ along and across the main axis) and turned by `angle`,
 * then centred, so that its mean is 0 as the exercise's data are.
 */
export function correlatedPoints2d(seed: number, count = 45, spread: readonly [number, number] = [0.35, 0.08], angle = Math.PI / 4): Dataset {
  if (!(Number.isInteger(count) && count >= 2)) throw new DataError(SOURCE, `a point cloud needs at least 2 points, got ${count}`);
  const rng = new Random(seed);
  const data = new Float64Array(2 * count);
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  for (let k = 0; k < count; k++) {
    const a = spread[0] * rng.normal();
    const b = spread[1] * rng.normal();
    data[2 * k] = c * a - s * b;
    data[2 * k + 1] = s * a + c * b;
  }
  const points = { data, examples: count, visibleSize: 2 };
  removeValueMeans(points);
  return points;
}
