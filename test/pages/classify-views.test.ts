/** The classification page's words (src/pages/classify/views.ts) for its status facts; e2e/classify.spec.ts reads them in a browser. */
import { describe, expect, it } from 'vitest';
import { initialState, reduce } from '../../src/pages/classify/state';
import { statusText } from '../../src/pages/classify/views';

describe('classification page words', () => {
  it('the status line through a run: before, starting, the worker’s words, training, the end', () => {
    expect(statusText(initialState.status)).toBe('Choose a task and start.');
    const requested = reduce(initialState, { type: 'requested', task: 'softmax' });
    expect(statusText(requested.status)).toBe('Starting…');
    expect(statusText(reduce(requested, { type: 'status', text: 'Loading the MNIST digits…' }).status)).toBe('Loading the MNIST digits…');
    expect(statusText(reduce(requested, { type: 'stop-requested' }).status)).toBe('Stopping…');
    expect(statusText({ kind: 'training' })).toBe('Training');
    expect(statusText({ kind: 'finished', seconds: 12.34 })).toBe('Finished in 12.3 s');
    expect(statusText({ kind: 'stopped', seconds: 3.25 })).toBe('Stopped after 3.3 s');
  });

  it('a failure by what it happened during', () => {
    expect(statusText({ kind: 'failed', during: 'data' })).toBe('The digits could not be loaded');
    expect(statusText({ kind: 'failed', during: 'webgpu' })).toBe('WebGPU could not be set up');
    expect(statusText({ kind: 'failed', during: 'run' })).toBe('The run failed');
  });
});
