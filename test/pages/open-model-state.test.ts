/**
 * Opening a model.json on the trainer and the classification page (their reducers,
 * src/pages/trainer/state.ts and src/pages/classify/state.ts): an opened model is shown as a
 * finished run; a refused one changes nothing but the message; nothing is opened over a run.
 */
import { describe, expect, it } from 'vitest';
import type { UnitStatistics } from '../../src/analysis/units';
import type { FromWorker as ClassifyFromWorker } from '../../src/pages/classify/protocol';
import { initialState as classifyInitial, reduce as classifyReduce, type ClassifyState, type Message as ClassifyMessage } from '../../src/pages/classify/state';
import { modelRefusedText as classifyRefusedText, padClassifierText, statusText } from '../../src/pages/classify/views';
import type { FromWorker } from '../../src/pages/trainer/protocol';
import { reduce } from '../../src/pages/trainer/state';
import { modelFileText, modelRefusedText, statusParts } from '../../src/pages/trainer/views';
import { config, progress, ready, run, start, summary } from './trainer-fixtures';

const units: UnitStatistics = {
  deadUnits: [3],
  alwaysOnUnits: [],
  meanL0: 2.5,
  varianceExplained: 0.8,
  thresholds: { dead: 1e-4, alwaysOn: 0.5, active: 0.5 },
};

const opened = (extra: Partial<Extract<FromWorker, { type: 'model-opened' }>> = {}): FromWorker => ({
  type: 'model-opened',
  name: 'model.json',
  config: { ...config, hiddenSize: 16, sparsityParam: 0.05 },
  description: '2000 patches of 8×8 from the embedded whitened natural images, 2000 examples',
  shape: { visibleSize: 64, hiddenSize: 16 },
  pixelGeometry: { width: 8, height: 8 },
  geometry: { width: 8, height: 8 },
  sample: new Float64Array(640),
  sampleCount: 10,
  theta: new Float64Array(2 * 64 * 16 + 80),
  meanActivation: new Float64Array(16).fill(0.05),
  units,
  whitened: false,
  ...extra,
});

const refused: FromWorker = { type: 'model-refused', name: 'bad.json', message: 'bad.json: not readable as JSON (Unexpected token)' };

describe('trainer page: opening a model.json', () => {
  it('chosen, it is being opened; opened, it is a finished run of its own with ρ̂ over all examples and the units', () => {
    let s = run({ type: 'model-chosen', name: 'model.json' });
    expect(s.modelFile).toEqual({ kind: 'opening', name: 'model.json' });
    expect(modelFileText(s.modelFile)).toBe('Opening model.json…');
    s = reduce(s, opened());
    expect(s.phase).toBe('finished');
    expect(s.modelFile).toEqual({ kind: 'opened', name: 'model.json' });
    expect(s.run).toMatchObject({ shape: { visibleSize: 64, hiddenSize: 16 }, opened: { name: 'model.json', units }, rho: { allExamples: true } });
    expect(s.run!.config.sparsityParam).toBe(0.05);
    expect(s.run!.theta).toHaveLength(2 * 64 * 16 + 80);
    // Nothing to keep for a reload: the file is the model.
    expect(s.save).toBeUndefined();
    expect(statusParts(s).join(' • ')).toMatch(/64-16 .* opened model\.json: its features, ρ̂ and reconstructions on these data/);
    // Its pictures come as a view, as a run's do.
    s = reduce(s, { type: 'view', iteration: 0, features: { width: 4, height: 4, values: new Float32Array(16) }, reconstructions: new Float64Array(640) });
    expect(s.run!.featuresDrawn).toBe(1);
    // A color model says its own whitening was applied to the patches.
    expect(statusParts(run(opened({ whitened: true }))).join(' ')).toMatch(/whitened with its own meanPatch and ZCAWhite/);
  });

  it('a refused file leaves the run shown, the phase and the data as they were, with the reason', () => {
    const before = run(start, ready(), progress(0, 40), { type: 'ended', reason: 'finished', summary: summary(), theta: new Float64Array(3) });
    const chosen = reduce(before, { type: 'model-chosen', name: 'bad.json' });
    const after = reduce(chosen, refused);
    expect(after.run).toBe(before.run);
    expect(after.phase).toBe('finished');
    expect(after.data).toBe(before.data);
    expect(after.statusLine).toBe(before.statusLine);
    expect(after.modelFile).toEqual({ kind: 'refused', name: 'bad.json', message: refused.type === 'model-refused' ? refused.message : '' });
    expect(modelRefusedText(after.modelFile as never)).toBe('bad.json could not be opened: not readable as JSON (Unexpected token). The page is as it was.');
    // The next run's start clears the message.
    expect(reduce(after, start).modelFile).toBeUndefined();
  });

  it('nothing is opened while a run is on: the choice is ignored and a late reply does not replace the run', () => {
    const training = run(start, ready(), progress(1, 20));
    expect(reduce(training, { type: 'model-chosen', name: 'model.json' })).toBe(training);
    expect(reduce(training, opened())).toBe(training);
  });
});

const sample = { count: 1, side: 28, pixels: new Float32Array(784), labels: Uint8Array.of(7), predictions: Uint8Array.of(7) };
const classifier = { shape: { inputSize: 784, hiddenSizes: [16], numClasses: 10 }, theta: new Float64Array(10) };
const classifyOpened: ClassifyFromWorker = {
  type: 'model-opened',
  name: 'stacked.json',
  task: 'stacked',
  accuracies: { 'after fine-tuning': 0.9 },
  reported: { 'before fine-tuning': 0.7, 'after fine-tuning': 0.9 },
  confusion: [[9, 1], [0, 10]],
  testCount: 20,
  sample,
  counts: { train: 20, test: 20 },
  numClasses: 10,
  device: 'WebGPU on google · swiftshader',
  classifier,
};
const classifyRun = (...messages: ClassifyMessage[]) => messages.reduce<ClassifyState>(classifyReduce, classifyInitial);

describe('classification page: opening a model.json', () => {
  it('opened, it is a finished classifier: accuracy under its task’s last name, confusion, digits, the pad’s classifier', () => {
    let s = classifyRun({ type: 'model-chosen', name: 'stacked.json' });
    expect(s.modelFile).toEqual({ kind: 'opening', name: 'stacked.json' });
    s = classifyReduce(s, classifyOpened);
    expect(s).toMatchObject({ phase: 'finished', task: 'stacked', accuracies: { 'after fine-tuning': 0.9 }, testCount: 20, numClasses: 10, classifier, sample, stages: [] });
    expect(s.modelFile).toEqual({ kind: 'opened', name: 'stacked.json' });
    expect(statusText(s.status)).toBe('Opened stacked.json, scored on the test digits below (the run that wrote it reported before fine-tuning 70.0%, after fine-tuning 90.0%)');
    // The pad reads digits with it.
    s = classifyReduce(s, { type: 'digit-predicted', id: 1, pixels: new Float32Array(784), probabilities: Float64Array.of(0.1, 0.9) });
    expect(s.digit?.predicted).toBe(1);
  });

  it('a refused file keeps the classifier, the results and the drawn digit', () => {
    const before = classifyRun(classifyOpened, { type: 'digit-predicted', id: 1, pixels: new Float32Array(784), probabilities: Float64Array.of(0.9, 0.1) });
    const after = classifyRun(classifyOpened, { type: 'digit-predicted', id: 1, pixels: before.digit!.pixels, probabilities: before.digit!.probabilities }, { type: 'model-chosen', name: 'model.json' }, {
      type: 'model-refused',
      name: 'model.json',
      message: 'model.json: is not a classifier model (format undefined, expected "ufldl-classifier"; a sparse autoencoder\'s model.json is for npm run train)',
    });
    expect(after).toMatchObject({ phase: 'finished', classifier, accuracies: before.accuracies, confusion: before.confusion, digit: { predicted: 0 } });
    expect(after.modelFile?.kind).toBe('refused');
    expect(classifyRefusedText(after.modelFile as { name: string; message: string })).toMatch(/^model\.json could not be opened: is not a classifier model .* The page is as it was\.$/);
    // A file the browser could not read is refused the same way.
    expect(classifyReduce(before, { type: 'model-unreadable', name: 'x.json', message: 'gone' }).classifier).toBe(classifier);
  });

  it('a conv model opens with its pooled maps, and the pad reads through its convolution; another model clears them', () => {
    const pooledMaps = { index: -1, picture: { width: 4, height: 2, values: new Float32Array(8) }, digits: 1, features: 8, pooledDim: 3, poolDim: 7 };
    const convClassifier = { shape: { inputSize: 72, hiddenSizes: [], numClasses: 10 }, theta: new Float64Array(730) };
    let s = classifyRun({ type: 'model-chosen', name: 'conv.json' }, { ...classifyOpened, name: 'conv.json', task: 'conv', accuracies: { 'pooled convolved features': 0.8 }, classifier: convClassifier, pooledMaps } as ClassifyFromWorker);
    expect(s).toMatchObject({ phase: 'finished', task: 'conv', pooledMaps, stages: [], accuracies: { 'pooled convolved features': 0.8 } });
    expect(padClassifierText(s)).toMatch(/convolved with the 8 features, mean-pooled by 7 \(3×3 per feature\)/);
    s = classifyReduce(s, classifyOpened);
    expect(s.pooledMaps).toBeUndefined();
  });

  it('nothing is opened over a run in progress', () => {
    const running = classifyRun({ type: 'requested', task: 'softmax' });
    expect(classifyReduce(running, { type: 'model-chosen', name: 'm.json' })).toBe(running);
    expect(classifyReduce(running, classifyOpened)).toBe(running);
  });
});
