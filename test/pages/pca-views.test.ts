/** The PCA page's words for its state (src/pages/pca/views.ts): the numbers as the page shows them. */
import { describe, expect, it } from 'vitest';
import {
  describeCloud,
  describeK,
  describePatches,
  describeWhitened,
  deviceBadge,
  formatEpsilon,
  formatPercent,
  linkProblemsText,
  statusBadge,
} from '../../src/pages/pca/views';
import { loaded, projected } from './pca-fixtures';

const load = { type: 'load', id: 1, patches: 10_000, seed: 1, gpu: true } as const;

describe('PCA page views', () => {
  it('ε and the variance as the sliders label them', () => {
    expect(formatEpsilon(0)).toBe('0 (none)');
    expect(formatEpsilon(0.1)).toBe('0.1');
    expect(formatEpsilon(10 ** -1.5)).toBe('0.032');
    expect(formatEpsilon(1e-5)).toBe('1.0e-5');
    expect(formatPercent(0.99)).toBe('99.0%');
    expect(formatPercent(0.995)).toBe('99.5%');
  });

  it('the badges: the load under way or done, and where Σ was formed', () => {
    expect(statusBadge({ kind: 'loading' })).toEqual({ kind: 'running', text: 'loading…' });
    expect(statusBadge({ kind: 'worker', text: 'Eigendecomposition (float64)…' }).text).toBe('Eigendecomposition (float64)…');
    expect(statusBadge({ kind: 'loaded', patches: 10_000, seconds: 26.54, device: 'gpu' })).toEqual({ kind: 'pass', text: '10,000 patches · WebGPU · 26.5 s' });
    expect(statusBadge({ kind: 'failed' }).kind).toBe('fail');
    expect(deviceBadge(loaded(load))).toEqual({ kind: 'pass', text: 'Σ on the GPU · matches float64' });
    expect(deviceBadge(loaded(load, 'cpu'))).toEqual({ kind: 'skip', text: 'Σ in float64 (no WebGPU)' });
  });

  it('k99, k90, the device and the null direction', () => {
    const text = describePatches(loaded(load));
    expect(text).toContain('10,000 patches of 12×12 (seed 1). k = 113 components retain 99% of the variance and k = 36 retain 90%.');
    expect(text).toContain('Σ formed on the GPU (google · swiftshader), within float32');
    expect(text).toContain('1 null direction (eigenvalue ≤ 1.2e-5');
    expect(describePatches(loaded(load, 'cpu'))).toContain('Σ formed in float64 on the CPU');
    expect(describeCloud(loaded(load).cloud)).toContain('the first component holds 92.3% of the variance');
  });

  it('k for the slider, and the whitened covariance with and without ε', () => {
    expect(describeK(projected({ type: 'project', loadId: 1, variance: 0.99, epsilon: 0.1 }), 144)).toBe(
      'k = 113 of 144 components retain 99.01% of the variance (asked: at least 99.0%).',
    );
    const withEpsilon = describeWhitened(projected({ type: 'project', loadId: 1, variance: 0.99, epsilon: 0.1 }), 1);
    expect(withEpsilon).toContain('largest off-diagonal 8.6e-9');
    expect(withEpsilon).toContain('λ/(λ + ε) on the diagonal');
    const identity = { largestOffDiagonal: 2.9e-6, diagonal: { min: 0, max: 1.00001 } };
    const without = describeWhitened(projected({ type: 'project', loadId: 1, variance: 0.99, epsilon: 0 }, 113, identity), 1);
    expect(without).toContain('the identity but for 1 null direction left at 0');
    expect(without).toMatch(/passes\.$/);
    const bad = describeWhitened(projected({ type: 'project', loadId: 1, variance: 0.99, epsilon: 0 }, 113, { ...identity, largestOffDiagonal: 3e-3 }), 2);
    expect(bad).toMatch(/fails\.$/);
  });

  it("the link's unusable values, with the ranges they must be in", () => {
    expect(linkProblemsText([{ field: 'variance', value: '1.5' }, { field: 'epsilon', value: 'x' }])).toBe(
      "The link's variance=1.5 (must be from 0.5 to 1), epsilon=x (must be 0 or from 1e-8 to 1) could not be used; the default is in its place.",
    );
  });
});
