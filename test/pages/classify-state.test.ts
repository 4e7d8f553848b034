/**
 * The classification page's reducer (src/pages/classify/state.ts): what each worker message
 * and page request does to the state, with no DOM.
 */
import { describe, expect, it } from 'vitest';
import type { FromWorker } from '../../src/pages/classify/protocol';
import { accuracyNameOf, accuracyNames, initialState, reduce, type ClassifyState, type Message } from '../../src/pages/classify/state';

const ready: FromWorker = {
  type: 'ready',
  task: 'stacked',
  stages: [
    { name: 'sparse autoencoder, layer 1', kind: 'autoencoder', iterations: 20 },
    { name: 'sparse autoencoder, layer 2', kind: 'autoencoder', iterations: 20 },
    { name: 'softmax on layer 2 features', kind: 'softmax', iterations: 50 },
    { name: 'fine-tuning the stack', kind: 'finetune', iterations: 20 },
  ],
  counts: { train: 500, test: 500 },
  numClasses: 10,
  device: 'WebGPU on google · swiftshader',
};

const picture = (fill: number) => ({ width: 3, height: 3, values: new Float32Array(9).fill(fill) });

function record(name: string, kind: 'autoencoder' | 'softmax' | 'finetune', accuracy?: number) {
  return { name, kind, iterations: 20, evaluations: 22, initialCost: 2.3, finalCost: 0.4, seconds: 1.5, exitReason: 'maximum iterations', accuracy };
}

const run = (...messages: Message[]) => messages.reduce<ClassifyState>(reduce, initialState);

const classifier = { shape: { inputSize: 784, hiddenSizes: [], numClasses: 10 }, theta: new Float64Array(7840) };

describe('classification page state', () => {
  it('a request starts loading from a clean state, and a second request while busy is ignored', () => {
    const before = run({ type: 'requested', task: 'softmax' }, { type: 'status', text: 'Loading the MNIST digits…' });
    expect(before).toMatchObject({ phase: 'loading', task: 'softmax', status: { kind: 'message', text: 'Loading the MNIST digits…' }, stages: [], accuracies: {} });
    expect(reduce(before, { type: 'requested', task: 'stacked' })).toBe(before);
  });

  it('ready lists the stages as waiting; progress moves one stage and extends its cost curve', () => {
    let s = run({ type: 'requested', task: 'stacked' }, ready);
    expect(s.phase).toBe('running');
    expect(s.stages.map((x) => x.status)).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
    expect(s.stages[3]).toMatchObject({ kind: 'finetune', totalIterations: 20 });
    const progress = (iteration: number, cost: number): FromWorker => ({ type: 'progress', index: 0, iteration, totalIterations: 20, cost, elapsedSeconds: iteration / 10 });
    s = [progress(0, 50), progress(1, 20), progress(2, 10)].reduce(reduce, s);
    expect(s.stages[0]).toMatchObject({ status: 'running', iteration: 2, cost: 10, elapsedSeconds: 0.2 });
    expect(s.stages[0].curve).toEqual({ x: [0, 1, 2], y: [50, 20, 10] });
    expect(s.stages[1].status).toBe('waiting');
    // A point at an iteration already there replaces it and those after; a non-finite cost is not drawn.
    s = reduce(s, progress(1, 15));
    expect(s.stages[0].curve).toEqual({ x: [0, 1], y: [50, 15] });
    s = reduce(s, progress(3, NaN));
    expect(s.stages[0].curve.x).toEqual([0, 1]);
    // The message changes the one stage and leaves the earlier state unchanged.
    const before = s;
    reduce(s, progress(4, 5));
    expect(before.stages[0].iteration).toBe(3);
  });

  it('a finished stage is done with its record; its accuracy arrives under the name the task gives it', () => {
    let s = run({ type: 'requested', task: 'stacked' }, ready);
    s = reduce(s, { type: 'features', layer: 0, index: 0, iteration: 5, picture: picture(0.1), hiddenSize: 25 });
    s = reduce(s, { type: 'features', layer: 0, index: 0, iteration: 20, picture: picture(0.2), hiddenSize: 25 });
    s = reduce(s, { type: 'stage-done', index: 0, record: record('sparse autoencoder, layer 1', 'autoencoder') });
    expect(s.stages[0]).toMatchObject({ status: 'done', iteration: 20, cost: 0.4 });
    expect(s.stages[0].curve).toEqual({ x: [20], y: [0.4] });
    expect(s.features[0]).toMatchObject({ iteration: 20, final: true });
    expect(s.accuracies).toEqual({});
    // A live picture sent late does not replace the final one.
    expect(reduce(s, { type: 'features', layer: 0, index: 0, iteration: 19, picture: picture(0.3), hiddenSize: 25 })).toBe(s);

    s = reduce(s, { type: 'stage-done', index: 2, record: record('softmax on layer 2 features', 'softmax', 0.71) });
    expect(s.accuracies).toEqual({ 'before fine-tuning': 0.71 });
    s = reduce(s, { type: 'stage-done', index: 3, record: record('fine-tuning the stack', 'finetune', 0.86) });
    expect(s.accuracies).toEqual({ 'before fine-tuning': 0.71, 'after fine-tuning': 0.86 });
  });

  it('names the accuracies of each task by its classifier stages', () => {
    const stl = [{ kind: 'autoencoder' as const }, { kind: 'softmax' as const }, { kind: 'softmax' as const }];
    expect([0, 1, 2].map((i) => accuracyNameOf('stl', stl, i))).toEqual([undefined, 'self-taught features', 'raw pixels']);
    expect(accuracyNameOf('softmax', [{ kind: 'softmax' }], 0)).toBe('raw pixels');
    const conv = [{ kind: 'autoencoder' as const }, { kind: 'convolution' as const }, { kind: 'softmax' as const }];
    // The convolution trains no classifier: the softmax after it is conv's first.
    expect([0, 1, 2].map((i) => accuracyNameOf('conv', conv, i))).toEqual([undefined, undefined, 'pooled convolved features']);
  });

  it('finished keeps the result: accuracies, confusion, the test digits', () => {
    const sample = { count: 2, side: 28, pixels: new Float32Array(2 * 784), labels: Uint8Array.of(7, 2), predictions: Uint8Array.of(7, 3) };
    const s = run(
      { type: 'requested', task: 'softmax' },
      { ...ready, task: 'softmax', stages: [{ name: 'softmax on raw pixels', kind: 'softmax', iterations: 50 }] } as FromWorker,
      { type: 'stage-done', index: 0, record: record('softmax on raw pixels', 'softmax', 0.8) },
      { type: 'finished', accuracies: { 'raw pixels': 0.8 }, confusion: [[4, 1], [0, 5]], testCount: 10, sample, seconds: 12.34, classifier },
    );
    expect(s).toMatchObject({ phase: 'finished', accuracies: { 'raw pixels': 0.8 }, confusion: [[4, 1], [0, 5]], testCount: 10, seconds: 12.34 });
    expect(s.sample).toBe(sample);
    expect(s.classifier).toBe(classifier);
    expect(s.status).toEqual({ kind: 'finished', seconds: 12.34 });
    expect(s.stages[0].status).toBe('done');
  });

  it('drawn digits: the newest prediction is kept with its argmax; late, stale or after-run replies change nothing', () => {
    const finished = run(
      { type: 'requested', task: 'softmax' },
      { ...ready, task: 'softmax', stages: [{ name: 'softmax on raw pixels', kind: 'softmax', iterations: 50 }] } as FromWorker,
      { type: 'finished', accuracies: {}, confusion: [], testCount: 0, sample: { count: 0, side: 28, pixels: new Float32Array(0), labels: new Uint8Array(0), predictions: new Uint8Array(0) }, seconds: 1, classifier },
    );
    const pixels = new Float32Array(784);
    const probabilities = Float64Array.from({ length: 10 }, (_, c) => (c === 7 ? 0.55 : 0.05));
    let s = reduce(finished, { type: 'digit-predicted', id: 2, pixels, probabilities });
    expect(s.digit).toMatchObject({ id: 2, predicted: 7 });
    expect(s.digit!.probabilities).toBe(probabilities);
    // An older request answered late does not replace the newer answer.
    expect(reduce(s, { type: 'digit-predicted', id: 1, pixels, probabilities: probabilities.slice().reverse() })).toBe(s);
    s = reduce(s, { type: 'digit-failed', id: 3, message: 'device lost' });
    expect(s.digitError).toBe('device lost');
    s = reduce(s, { type: 'digit-cleared' });
    expect(s.digit).toBeUndefined();
    expect(s.digitError).toBeUndefined();
    // A new run forgets the classifier and the digit; replies for the old one are ignored.
    const next = reduce(reduce(finished, { type: 'digit-predicted', id: 4, pixels, probabilities }), { type: 'requested', task: 'stl' });
    expect(next.classifier).toBeUndefined();
    expect(next.digit).toBeUndefined();
    expect(reduce(next, { type: 'digit-predicted', id: 5, pixels, probabilities })).toBe(next);
  });

  it('a stop request waits for the worker; stopped marks the stage under way', () => {
    let s = run({ type: 'requested', task: 'stacked' }, ready, { type: 'progress', index: 1, iteration: 4, totalIterations: 20, cost: 3, elapsedSeconds: 1 });
    s = reduce(s, { type: 'stop-requested' });
    expect(s).toMatchObject({ phase: 'stopping', status: { kind: 'stopping' } });
    // Progress still arriving does not undo the stop.
    s = reduce(s, { type: 'progress', index: 1, iteration: 5, totalIterations: 20, cost: 2.9, elapsedSeconds: 1.1 });
    expect(s.phase).toBe('stopping');
    s = reduce(s, { type: 'stopped', accuracies: {}, seconds: 3.25 });
    expect(s.phase).toBe('stopped');
    expect(s.stages.map((x) => x.status)).toEqual(['waiting', 'stopped', 'waiting', 'waiting']);
    expect(s.status).toEqual({ kind: 'stopped', seconds: 3.25 });
    // Once stopped, another stop request changes nothing; a new request starts afresh.
    expect(reduce(s, { type: 'stop-requested' })).toBe(s);
    expect(reduce(s, { type: 'requested', task: 'softmax' })).toMatchObject({ phase: 'loading', stages: [], features: [] });
  });

  it('an error ends the run with its message and what it happened during', () => {
    const s = run(
      { type: 'requested', task: 'stl' },
      { ...ready, task: 'stl' } as FromWorker,
      { type: 'progress', index: 0, iteration: 1, totalIterations: 20, cost: 3, elapsedSeconds: 1 },
      { type: 'error', message: 'the GPU device was lost', during: 'run' },
    );
    expect(s).toMatchObject({ phase: 'error', error: 'the GPU device was lost', status: { kind: 'failed', during: 'run' } });
    expect(s.stages[0].status).toBe('stopped');
    const noGpu = run({ type: 'requested', task: 'softmax' }, { type: 'error', message: 'no adapter', during: 'webgpu' });
    expect(noGpu).toMatchObject({ phase: 'error', status: { kind: 'failed', during: 'webgpu' } });
  });

  it('conv: the convolution stage counts images and has no cost; the pooled maps arrive; its softmax names the accuracy', () => {
    const convReady: FromWorker = {
      type: 'ready',
      task: 'conv',
      stages: [
        { name: 'sparse autoencoder (8×8 patches of the training images)', kind: 'autoencoder', iterations: 15 },
        { name: 'convolution and pooling', kind: 'convolution', iterations: 200 },
        { name: 'softmax on the pooled features', kind: 'softmax', iterations: 40 },
      ],
      counts: { train: 100, test: 100 },
      numClasses: 10,
      device: 'WebGPU on google · swiftshader',
    };
    let s = run({ type: 'requested', task: 'conv' }, convReady);
    expect(s.stages.map((x) => x.unit)).toEqual([undefined, 'images', undefined]);
    expect(s.stages[1]).toMatchObject({ status: 'waiting', totalIterations: 200 });
    s = reduce(s, { type: 'progress', index: 1, iteration: 100, totalIterations: 200, cost: NaN, elapsedSeconds: 2, unit: 'images' });
    expect(s.stages[1]).toMatchObject({ status: 'running', iteration: 100, unit: 'images' });
    expect(s.stages[1].curve).toEqual({ x: [], y: [] });
    expect(s.pooledMaps).toBeUndefined();
    const maps = { index: 1, picture: picture(0.5), digits: 4, features: 16, pooledDim: 3, poolDim: 7 };
    s = reduce(s, { type: 'pooled-maps', ...maps });
    expect(s.pooledMaps).toEqual(maps);
    // The convolution's record carries placeholder costs (0): not a cost, not a point of a curve.
    const convolved = { name: 'convolution and pooling', kind: 'convolution' as const, iterations: 200, evaluations: 0, initialCost: 0, finalCost: 0, seconds: 4, exitReason: 'every image convolved and pooled' };
    s = reduce(s, { type: 'stage-done', index: 1, record: convolved });
    expect(s.stages[1]).toMatchObject({ status: 'done', iteration: 200, totalIterations: 200, elapsedSeconds: 4 });
    expect(s.stages[1].cost).toBeNaN();
    expect(s.stages[1].curve).toEqual({ x: [], y: [] });
    expect(s.accuracies).toEqual({});
    s = reduce(s, { type: 'stage-done', index: 2, record: record('softmax on the pooled features', 'softmax', 0.67) });
    expect(s.accuracies).toEqual({ 'pooled convolved features': 0.67 });
    expect(accuracyNames('conv')).toEqual(['pooled convolved features']);
    // A new run forgets the maps.
    s = reduce({ ...s, phase: 'finished' }, { type: 'requested', task: 'conv' });
    expect(s.pooledMaps).toBeUndefined();
  });

  it('conv: a drawn digit keeps the pooled features the worker found strongest', () => {
    const finished = run(
      { type: 'requested', task: 'conv' },
      { type: 'finished', accuracies: {}, confusion: [], testCount: 0, sample: { count: 0, side: 28, pixels: new Float32Array(0), labels: new Uint8Array(0), predictions: new Uint8Array(0) }, seconds: 1, classifier: { shape: { inputSize: 144, hiddenSizes: [], numClasses: 10 }, theta: new Float64Array(1450) } },
    );
    const pooled = [{ unit: 3, strength: 0.4, patchDim: 8, weights: new Float32Array(64), pooledDim: 3, map: new Float32Array(9) }];
    const probabilities = Float64Array.from({ length: 10 }, (_, c) => (c === 1 ? 0.91 : 0.01));
    const s = reduce(finished, { type: 'digit-predicted', id: 1, pixels: new Float32Array(784), probabilities, pooled });
    expect(s.digit).toMatchObject({ id: 1, predicted: 1 });
    expect(s.digit!.pooled).toBe(pooled);
    expect(s.digit!.features).toBeUndefined();
  });
});
