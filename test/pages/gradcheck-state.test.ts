/**
 * The gradient-check page's reducer (src/pages/gradcheck/state.ts): the worker's messages in
 * order, and the verdict the page shows at the end.
 */
import { describe, expect, it } from 'vitest';
import { initialState, reduce, summary, type GradcheckState } from '../../src/pages/gradcheck/state';
import type { CheckMessage, GpuResult, NumericRow } from '../../src/pages/gradcheck/worker';

const run = (...messages: CheckMessage[]) => messages.reduce<GradcheckState>(reduce, initialState);

const row = (id: string, relativeDifference: number, pass = true): NumericRow => ({
  id,
  title: id,
  detail: '',
  parameters: 10,
  evaluations: 20,
  seconds: 0.01,
  result: { block: 'all', entries: 10, relativeDifference, relativeError: relativeDifference, maxDifference: 1e-12, limit: 1e-9, pass, worst: [] },
});

const gpu = (pass: boolean) => ({ pass, blocks: [], kernels: [] }) as unknown as GpuResult;

describe('gradient-check page state', () => {
  it('rows arrive one by one; the numerical verdict, then the GPU one, decide the page', () => {
    let s = run({ type: 'status', part: 'numeric', text: 'loading the natural images…' }, { type: 'numeric-setup', text: '10 examples' });
    expect(s.gpu.badge).toEqual({ kind: 'waiting' });
    expect(s.numeric).toMatchObject({ badge: { kind: 'running', text: 'loading the natural images…' }, setup: '10 examples', rows: [] });
    s = [row('quadratic', 1e-11), row('natural', 2e-11)].reduce((x, r) => reduce(x, { type: 'numeric-row', row: r }), s);
    s = reduce(s, { type: 'numeric-done', pass: true });
    expect(s.numeric.badge).toEqual({ kind: 'pass' });
    expect(s.state).toBe('running');
    s = reduce(s, { type: 'gpu-result', result: gpu(true) });
    expect(s).toMatchObject({ state: 'done', overall: { kind: 'pass', gpuChecked: true }, gpu: { pass: true, badge: { kind: 'pass' } } });
    expect(summary(s)).toMatchObject({ state: 'done', numericPass: true, gpuPass: true, gpuSkipped: false, error: '' });
    expect(summary(s).rows).toEqual([
      { id: 'quadratic', relativeDifference: 1e-11, pass: true },
      { id: 'natural', relativeDifference: 2e-11, pass: true },
    ]);
  });

  it('a failing block fails the page; no WebGPU skips the GPU part; errors are shown', () => {
    expect(run({ type: 'numeric-done', pass: true }, { type: 'gpu-result', result: gpu(false) }).overall).toEqual({ kind: 'fail' });
    const skipped = run({ type: 'numeric-done', pass: true }, { type: 'gpu-skipped', reason: 'No adapter.' });
    expect(skipped).toMatchObject({ state: 'done', overall: { kind: 'pass', gpuChecked: false }, gpu: { skipped: 'No adapter.', badge: { kind: 'skipped' } } });
    const gpuError = run({ type: 'numeric-done', pass: true }, { type: 'gpu-error', message: 'device lost' });
    expect(gpuError).toMatchObject({ state: 'done', overall: { kind: 'fail' }, gpu: { error: 'device lost', pass: false, badge: { kind: 'error' } } });
    const failed = run({ type: 'error', message: 'the worker failed: x' }, { type: 'gpu-skipped', reason: 'late' });
    expect(failed).toMatchObject({ state: 'error', error: 'the worker failed: x', overall: { kind: 'error' } });
  });
});
