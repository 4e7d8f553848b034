/** The gradient-check page's badges (src/pages/gradcheck/views.ts) for its facts; e2e/gradcheck.spec.ts and no-webgpu.spec.ts read them in a browser. */
import { describe, expect, it } from 'vitest';
import { initialState, reduce } from '../../src/pages/gradcheck/state';
import { overallBadge, partBadge } from '../../src/pages/gradcheck/views';

describe('gradient-check page words', () => {
  it('a part: running (in the worker’s words once it says), waiting, its verdict, skipped, an error', () => {
    expect(partBadge(initialState.numeric.badge)).toEqual({ kind: 'running', text: 'running…' });
    expect(partBadge(initialState.gpu.badge)).toEqual({ kind: 'running', text: 'waiting…' });
    const loading = reduce(initialState, { type: 'status', part: 'numeric', text: 'loading the natural images…' });
    expect(partBadge(loading.numeric.badge)).toEqual({ kind: 'running', text: 'loading the natural images…' });
    expect(partBadge({ kind: 'pass' })).toEqual({ kind: 'pass', text: 'PASS' });
    expect(partBadge({ kind: 'fail' })).toEqual({ kind: 'fail', text: 'FAIL' });
    expect(partBadge({ kind: 'skipped' })).toEqual({ kind: 'skip', text: 'not available' });
    expect(partBadge({ kind: 'error' })).toEqual({ kind: 'fail', text: 'error' });
  });

  it('the page: under way, all passed, passed without the GPU, a failed check, an error', () => {
    expect(overallBadge(initialState.overall)).toEqual({ kind: 'running', text: 'running…' });
    const skipped = [{ type: 'numeric-done', pass: true } as const, { type: 'gpu-skipped', reason: 'No adapter.' } as const].reduce(reduce, initialState);
    expect(overallBadge(skipped.overall)).toEqual({ kind: 'pass', text: 'reference passes · GPU not checked' });
    expect(overallBadge({ kind: 'pass', gpuChecked: true })).toEqual({ kind: 'pass', text: 'all checks pass' });
    expect(overallBadge({ kind: 'fail' })).toEqual({ kind: 'fail', text: 'a check failed' });
    expect(overallBadge({ kind: 'error' })).toEqual({ kind: 'fail', text: 'error' });
  });
});
