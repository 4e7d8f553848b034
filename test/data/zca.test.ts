import { describe, expect, it } from 'vitest';
import { applyZcaWhitening, fitZcaWhitening, rewhiten, zcaWhiten } from '../../src/data/zca';
import type { Dataset } from '../../src/reference/autoencoder';
import { Random } from '../../src/random';

/** m correlated examples of v values: x = A·z + offset with z standard normal, A fixed and random. */
function correlated(m: number, v: number, seed: number): Dataset {
  const rng = new Random(seed);
  const A = Float64Array.from({ length: v * v }, () => rng.normal());
  const offset = Float64Array.from({ length: v }, (_, i) => 3 + i);
  const data = new Float64Array(m * v);
  const z = new Float64Array(v);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < v; i++) z[i] = rng.normal();
    for (let i = 0; i < v; i++) {
      let sum = offset[i];
      for (let j = 0; j < v; j++) sum += A[i * v + j] * z[j];
      data[k * v + i] = sum;
    }
  }
  return { data, examples: m, visibleSize: v };
}

/** XXᵀ/m of row-major m × v data (not centred: the data are expected to be). */
function covariance({ data, examples: m, visibleSize: v }: Dataset): Float64Array {
  const c = new Float64Array(v * v);
  for (let k = 0; k < m; k++) for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) c[i * v + j] += (data[k * v + i] * data[k * v + j]) / m;
  return c;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('ZCA whitening', () => {
  const v = 6;
  const raw = correlated(2000, v, 1);

  it('removes the mean patch, and its ZCAWhite is symmetric', () => {
    const data = { ...raw, data: raw.data.slice() };
    const w = zcaWhiten(data, 0.1);
    for (let i = 0; i < v; i++) {
      let mean = 0;
      for (let k = 0; k < raw.examples; k++) mean += raw.data[k * v + i] / raw.examples;
      expect(w.meanPatch[i]).toBeCloseTo(mean, 12);
      let after = 0;
      for (let k = 0; k < data.examples; k++) after += data.data[k * v + i] / data.examples;
      expect(Math.abs(after)).toBeLessThan(1e-12);
    }
    for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) expect(w.zca[i * v + j]).toBe(w.zca[j * v + i]);
  });

  it('is Σ’s eigendecomposition: Σ = U·diag(s)·Uᵀ with U orthogonal', () => {
    const w = fitZcaWhitening(raw, 0.1);
    const centred = { ...raw, data: raw.data.map((x, n) => x - w.meanPatch[n % v]) };
    const sigma = covariance(centred);
    const U = w.eigenvectors;
    const rebuilt = new Float64Array(v * v);
    const gram = new Float64Array(v * v);
    for (let i = 0; i < v; i++) {
      for (let j = 0; j < v; j++) {
        for (let k = 0; k < v; k++) {
          rebuilt[i * v + j] += U[i * v + k] * w.eigenvalues[k] * U[j * v + k];
          gram[i * v + j] += U[k * v + i] * U[k * v + j];
        }
      }
    }
    const scale = Math.max(...w.eigenvalues);
    expect(maxAbsDifference(rebuilt, sigma) / scale).toBeLessThan(1e-12);
    expect(maxAbsDifference(gram, Float64Array.from({ length: v * v }, (_, n) => (n % (v + 1) === 0 ? 1 : 0)))).toBeLessThan(1e-12);
  });

  it('leaves the covariance U·diag(s/(s + ε))·Uᵀ, which is I as ε → 0', () => {
    for (const epsilon of [0.1, 5, 0]) {
      const data = { ...raw, data: raw.data.slice() };
      const w = zcaWhiten(data, epsilon);
      const expected = new Float64Array(v * v);
      for (let i = 0; i < v; i++) {
        for (let j = 0; j < v; j++) {
          for (let k = 0; k < v; k++) expected[i * v + j] += w.eigenvectors[i * v + k] * (w.eigenvalues[k] / (w.eigenvalues[k] + epsilon)) * w.eigenvectors[j * v + k];
        }
      }
      expect(maxAbsDifference(covariance(data), expected), `ε = ${epsilon}`).toBeLessThan(1e-10);
      if (epsilon === 0) {
        const identity = Float64Array.from({ length: v * v }, (_, n) => (n % (v + 1) === 0 ? 1 : 0));
        expect(maxAbsDifference(covariance(data), identity)).toBeLessThan(1e-10);
      }
      if (epsilon === 5) {
        // A large ε shrinks the small-variance directions: the covariance is visibly not I.
        expect(Math.min(...w.eigenvalues)).toBeLessThan(5);
        const identity = Float64Array.from({ length: v * v }, (_, n) => (n % (v + 1) === 0 ? 1 : 0));
        expect(maxAbsDifference(covariance(data), identity)).toBeGreaterThan(0.05);
      }
    }
  });

  it('whitens new patches with the same mean and matrix (what a model file carries)', () => {
    const w = fitZcaWhitening(raw, 0.1);
    const fitted = { ...raw, data: raw.data.slice() };
    applyZcaWhitening(fitted, w);
    const one = { data: raw.data.slice(5 * v, 6 * v), examples: 1, visibleSize: v };
    applyZcaWhitening(one, w);
    expect(maxAbsDifference(one.data, fitted.data.subarray(5 * v, 6 * v))).toBe(0);
    expect(() => applyZcaWhitening({ data: new Float64Array(5), examples: 1, visibleSize: 5 }, w)).toThrow(/does not fit patches of 5/);
  });

  it('rewhitens patches whitened by one fit as another fit whitens the raw patches (a model.json shown on new patches)', () => {
    const own = { ...raw, data: raw.data.slice() };
    const first = zcaWhiten(own, 0.1);
    const other = fitZcaWhitening(correlated(500, v, 2), 0.1);
    const direct = { ...raw, data: raw.data.slice() };
    applyZcaWhitening(direct, other);
    rewhiten(own, first, other);
    let scale = 0;
    for (const x of direct.data) scale = Math.max(scale, Math.abs(x));
    expect(maxAbsDifference(own.data, direct.data)).toBeLessThan(1e-10 * scale);
    expect(maxAbsDifference(own.data, raw.data)).toBeGreaterThan(0.1);
  });
});
