/** The classification page's words (src/pages/classify/views.ts) for its status facts; e2e/classify.spec.ts reads them in a browser. */
import { describe, expect, it } from 'vitest';
import { initialState, reduce } from '../../src/pages/classify/state';
import { fieldRangeText, linkProblemsText, padClassifierText, pooledMapsCaption, pooledMapsMetaText, stageMetaText, stageRecordText, statusText } from '../../src/pages/classify/views';

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

describe('classification page words for the conv task', () => {
  const stage = { status: 'running' as const, iteration: 1200, totalIterations: 10_000, cost: NaN, elapsedSeconds: 12.25 };

  it('the convolution stage counts images, training and test; the others iterations and J', () => {
    expect(stageMetaText({ ...stage, status: 'waiting', iteration: 0, unit: 'images' })).toBe('10,000 images (training and test)');
    expect(stageMetaText({ ...stage, unit: 'images' })).toBe('images 1,200 / 10,000 · 12.3 s');
    expect(stageMetaText({ ...stage, status: 'waiting', totalIterations: 400 })).toBe('400 iterations');
    expect(stageMetaText({ ...stage, iteration: 7, totalIterations: 400, cost: 2.25 })).toMatch(/^iteration 7 \/ 400 · J 2\.25 · 12\.3 s$/);
  });

  it('a finished convolution in images and images per second; a trained stage in iterations and J', () => {
    const convolved = { name: 'convolution and pooling', kind: 'convolution' as const, iterations: 200, evaluations: 0, initialCost: 0, finalCost: 0, seconds: 4, exitReason: 'every image convolved and pooled' };
    expect(stageRecordText(convolved)).toBe('200 images in 4.0 s, 50 images/s; every image convolved and pooled');
    expect(stageRecordText({ ...convolved, name: 'softmax', kind: 'softmax', iterations: 40, evaluations: 42, initialCost: 2.5, finalCost: 0.5, exitReason: 'maximum iterations' })).toBe(
      '40 iterations, 42 evaluations; J 2.5 → 0.5; maximum iterations',
    );
  });

  it('the pooled maps and the pad say what the softmax reads', () => {
    const maps = { index: 1, picture: { width: 1, height: 1, values: new Float32Array(1) }, digits: 4, features: 200, pooledDim: 3, poolDim: 7 };
    expect(pooledMapsMetaText(maps)).toBe('first 4 test digits · 200 maps of 3×3 each');
    expect(pooledMapsCaption(maps)).toContain('mean-pooled over regions of 7×7 (1,800 values per digit, what the softmax reads)');
    const classifier = { shape: { inputSize: 1800, hiddenSizes: [], numClasses: 10 }, theta: new Float64Array(0) };
    expect(padClassifierText({ task: 'conv', classifier, pooledMaps: maps })).toBe(
      'read as the test digits were: convolved with the 200 features, mean-pooled by 7 (3×3 per feature), then the softmax on the pooled features, 1800-10, on the GPU',
    );
    expect(padClassifierText({ task: 'softmax', classifier: { ...classifier, shape: { ...classifier.shape, inputSize: 784 } } })).toBe('read by the softmax on raw pixels, 784-10, on the GPU');
  });

  it('a link’s bad task lists all four tasks; the conv fields say their range', () => {
    expect(linkProblemsText([{ field: 'task', value: 'svm' }])).toContain('task “svm” is not one of softmax, stl, stacked, conv');
    expect(fieldRangeText('poolDim', '22')).toBe('pooling region side must be a whole number from 1 to 21, got “22”');
    expect(fieldRangeText('patches', '0')).toBe('patches must be a whole number from 1 to 100,000, got “0”');
  });
});
