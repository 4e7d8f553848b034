/**
 * The trainer page's reducer (src/pages/trainer/state.ts): what each worker message and page
 * event does to the state, and what it asks main.ts to save, with no DOM. The state holds facts;
 * their words are test/pages/trainer-views.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { initialState, reduce, type Message } from '../../src/pages/trainer/state';
import type { SavedCheckpoint, SavedModel } from '../../src/pages/trainer/store';
import { presets } from '../../src/train/config';
import { config, parts, progress, ready, run, savedModel, start, summary } from './trainer-fixtures';

describe('trainer page state', () => {
  it('a start request makes a fresh run and loads; ready trains on the engine the worker chose', () => {
    let s = run(start);
    expect(s).toMatchObject({ phase: 'loading', statusLine: { kind: 'starting' }, savedIteration: -1 });
    expect(s.run).toMatchObject({ iteration: 0, totalIterations: 30, featuresDrawn: 0 });
    // A second start while busy changes nothing.
    expect(reduce(s, start)).toBe(s);
    s = reduce(s, { type: 'status', text: 'Loading and whitening the natural images…' });
    expect(s.statusLine).toEqual({ kind: 'worker', text: 'Loading and whitening the natural images…' });
    s = reduce(s, ready({ adapter: { vendor: 'google', architecture: 'swiftshader', description: '', software: true } as never }));
    expect(s.phase).toBe('training');
    expect(s.device).toBe('webgpu: google swiftshader');
    expect(s.statusLine).toEqual({ kind: 'run' });
    expect(s.run).toMatchObject({
      description: '2000 patches of 8×8 from the embedded whitened natural images',
      shape: { visibleSize: 64, hiddenSize: 25 },
      engine: { backend: 'webgpu', adapter: expect.stringMatching(/swiftshader/i) },
    });
    expect(run(start, ready({ device: { backend: 'cpu', adapter: 'float64' } })).run!.engine).toEqual({ backend: 'cpu' });
    // The sample is drawn before any reconstruction arrives.
    expect(s.run!.reconstructions).toEqual({});
  });

  it('progress moves the counters, the cost history and the rates; an earlier iteration replaces the history after it', () => {
    let s = run(start, ready(), progress(0, 40, 0), progress(1, 20, 1), progress(2, 10, 5));
    const r = s.run!;
    expect(r).toMatchObject({ iteration: 2, cost: 10, initialCost: 40, parts });
    expect(r.history.x).toEqual([0, 1, 2]);
    expect(r.history.y[0]).toEqual([40, 20, 10]);
    expect(r.history.y[3]).toEqual([0.2, 0.2, 0.2]);
    // The rates over the last seconds: from the newest point at least 4 s before the last (t = 1 to t = 5).
    expect(r.speed).toEqual({ iterations: 0.25, evaluations: 0.25 });
    s = reduce(s, progress(1, 15, 6));
    expect(s.run!.history.x).toEqual([0, 1]);
    expect(s.run!.history.y[0]).toEqual([40, 15]);
    // The state before is unchanged.
    expect(r.history.x).toEqual([0, 1, 2]);
  });

  it('a view draws features, reconstructions and ρ̂, and counts the pictures', () => {
    const image = { width: 3, height: 3, values: new Float32Array(9) };
    const rho = new Float64Array(25).fill(0.02);
    let s = run(start, ready(), { type: 'view', iteration: 5, features: image, reconstructions: new Float64Array(640), meanActivation: rho });
    expect(s.run).toMatchObject({ featuresDrawn: 1, features: { iteration: 5 }, reconstructions: { iteration: 5 }, rho: { iteration: 5, values: rho } });
    expect(s.run!.rho!.allExamples).toBeUndefined();
    s = reduce(s, { type: 'view', iteration: 10, features: image, reconstructions: new Float64Array(640) });
    expect(s.run).toMatchObject({ featuresDrawn: 2, rho: { iteration: 5 } });
    // No run, nothing to draw.
    expect(reduce(initialState, { type: 'view', iteration: 1, features: image, reconstructions: new Float64Array(1) })).toBe(initialState);
  });

  it('the linear decoder: color features are kept as RGB, and its embedded data’s errors are not the user’s file’s', () => {
    const colorStart: Message = { type: 'start-requested', config: { ...presets['ufldl-linear-decoder'], patches: 500 }, device: 'gpu' };
    const colorReady = ready({ shape: { visibleSize: 192, hiddenSize: 400, output: 'linear' }, pixelGeometry: { width: 8, height: 8, channels: 3 }, geometry: { width: 8, height: 24 } });
    const image = { width: 2, height: 1, channels: 3 as const, values: Float32Array.of(1, 0, -1, 0.5, 0.5, 0.5) };
    const s = run(colorStart, colorReady, { type: 'view', iteration: 1, features: image, reconstructions: new Float64Array(1920) });
    expect(s.run!.features!.image).toEqual(image);
    expect(s.run!.shape).toEqual({ visibleSize: 192, hiddenSize: 400, output: 'linear' });
    const failed = run(colorStart, { type: 'error', message: 'natural images: no fetch', during: 'data' });
    expect(failed.error).toEqual({ kind: 'message', message: 'natural images: no fetch' });
    expect(failed.data.error).toBeUndefined();
  });

  it('a checkpoint asks for a save with the history up to its iteration; a saved write is counted', () => {
    let s = run(start, ready(), progress(0, 40), progress(5, 20), progress(10, 10), progress(12, 9));
    const bytes = new Uint8Array(8);
    s = reduce(s, { type: 'checkpoint', iteration: 10, totalIterations: 30, cost: 10, bytes });
    expect(s.run!.checkpointIteration).toBe(10);
    expect(s.save!.record).toMatchObject({ kind: 'checkpoint', iteration: 10, cost: 10, bytes, config });
    expect(s.save!.record.history.x).toEqual([0, 5, 10]);
    expect(s.statusLine).toEqual({ kind: 'run' });
    s = reduce(s, { type: 'saved', iteration: 10 });
    expect(s.savedIteration).toBe(10);
  });

  it('pause, resume and stop: requests wait for the worker; resume checks the iterations first', () => {
    let s = run(start, ready(), progress(6, 12));
    s = reduce(s, { type: 'pause-requested' });
    expect(s.phase).toBe('pausing');
    s = reduce(s, { type: 'ended', reason: 'paused', summary: summary({ iterations: 6, evaluations: 7, seconds: 0.6, finalCost: 11.9 }), theta: new Float64Array(3) });
    expect(s.phase).toBe('paused');
    expect(s.run!.cost).toBe(12); // the cost reported, not the pass over the data
    expect(s.statusLine).toEqual({ kind: 'run', note: { kind: 'paused', iteration: 6 } });
    expect(s.save).toBeUndefined();
    const refused = reduce(s, { type: 'resume-requested', iterations: 2.5, text: '2.5' });
    expect(refused).toMatchObject({ phase: 'paused', error: { kind: 'bad-iterations', text: '2.5' } });
    s = reduce(refused, { type: 'resume-requested', iterations: 40, text: '40' });
    expect(s).toMatchObject({ phase: 'training', error: undefined, statusLine: { kind: 'run' } });
    expect(s.run).toMatchObject({ totalIterations: 40, config: { iterations: 40 }, resumedFrom: { iteration: 6, cost: 12 } });
    s = reduce(s, progress(7, 11.5));
    expect(s.run!.resumedFrom).toEqual({ iteration: 6, cost: 12, next: 7 });
    s = reduce(s, { type: 'stop-requested' });
    expect(s.phase).toBe('stopping');
    expect(reduce(initialState, { type: 'stop-requested' })).toBe(initialState);
  });

  it('the end of a run keeps θ, says how it ended and asks to save the model', () => {
    const units = { deadUnits: [], alwaysOnUnits: [], meanL0: 0.5, varianceExplained: 0.8, thresholds: { dead: 1e-4, alwaysOn: 0.5 } };
    const ended = summary({ units: units as never });
    const s = run(start, ready(), progress(0, 40, 0), progress(30, 0.7, 3), { type: 'ended', reason: 'finished', summary: ended, theta: new Float64Array(3) });
    expect(s.phase).toBe('finished');
    expect(s.run).toMatchObject({ iteration: 30, cost: 0.7, rho: { iteration: 30, allExamples: true }, summary: ended });
    expect(s.statusLine).toEqual({ kind: 'run', note: { kind: 'ended', reason: 'finished', summary: ended, optimizer: 'lbfgs' } });
    expect(s.save!.record).toMatchObject({ kind: 'model', iterations: 30, finalCost: 0.7, exitReason: 'max-iterations' });
  });

  it('a diverged run names the iteration and keeps the last finite θ', () => {
    const diverged = summary({ iterations: 0, divergedAt: 1, finalCost: 40, exitReason: 'non-finite' });
    const theta = new Float64Array(3);
    const s = run(
      { type: 'start-requested', config: { ...config, optimizer: 'gd', learningRate: 1e30 }, device: 'gpu' },
      ready(),
      progress(0, 40),
      { type: 'ended', reason: 'finished', summary: diverged, theta },
    );
    expect(s.statusLine).toEqual({ kind: 'run', note: { kind: 'ended', reason: 'finished', summary: diverged, optimizer: 'gd' } });
    expect(s.run).toMatchObject({ iteration: 0, cost: 40, theta });
  });

  it('a failed save keeps IndexedDB\'s message; a later save clears it', () => {
    const failed = run(start, { type: 'save-failed', message: 'QuotaExceededError' });
    expect(failed.saveError).toBe('QuotaExceededError');
    expect(reduce(failed, { type: 'saved', iteration: 3 })).toMatchObject({ saveError: undefined, savedIteration: 3 });
  });

  it('a non-finite state is never asked to be saved; a diverged model is, with where it diverged', () => {
    const training = run(start, ready(), progress(0, 40), progress(5, 20));
    const bad = reduce(training, { type: 'checkpoint', iteration: 5, totalIterations: 30, cost: NaN, bytes: new Uint8Array(8) });
    expect(bad.run!.checkpointIteration).toBe(5);
    expect(bad.save).toBe(training.save);
    const infinite = reduce(training, { type: 'ended', reason: 'finished', summary: summary({ finalCost: Infinity }), theta: new Float64Array(3) });
    expect(infinite.save).toBeUndefined();
    const nanTheta = reduce(training, { type: 'ended', reason: 'finished', summary: summary(), theta: Float64Array.of(1, NaN) });
    expect(nanTheta.save).toBeUndefined();
    const diverged = reduce(training, { type: 'ended', reason: 'finished', summary: summary({ iterations: 5, divergedAt: 6, finalCost: 20, exitReason: 'non-finite' }), theta: new Float64Array(3) });
    const record = diverged.save!.record as SavedModel;
    expect(record).toMatchObject({ kind: 'model', iterations: 5, finalCost: 20, divergedAt: 6 });
  });

  it('a lost device ends the run, says what happened and which checkpoint is kept; its offer comes from IndexedDB', () => {
    const bytes = new Uint8Array(8);
    const training = run(start, ready(), progress(0, 40), progress(10, 12), { type: 'checkpoint', iteration: 10, totalIterations: 30, cost: 12, bytes }, progress(11, 11));
    const lost = reduce(training, { type: 'error', message: 'the WebGPU device was lost (destroyed): Device was destroyed.', during: 'device' });
    const lostMessage = 'the WebGPU device was lost (destroyed): Device was destroyed.';
    expect(lost).toMatchObject({ phase: 'error', deviceLost: lostMessage, error: { kind: 'message', message: lostMessage }, lastError: lostMessage });
    expect(lost.statusLine).toEqual({ kind: 'device-lost', iteration: 11, checkpointIteration: 10 });
    const stored = { ...(training.save!.record as Omit<SavedCheckpoint, 'savedAt'>), savedAt: 0 };
    const offered = reduce(lost, { type: 'saved-found', record: stored, reason: 'device-lost' });
    expect(offered.offer).toEqual({ record: stored, reason: 'device-lost' });
    expect(stored).toMatchObject({ kind: 'checkpoint', iteration: 10, totalIterations: 30, cost: 12 });
    // Resuming starts a new run, which clears what the lost one said.
    expect(reduce(offered, start)).toMatchObject({ phase: 'loading', deviceLost: undefined, offer: undefined, error: undefined });
    // Before any checkpoint there is nothing to resume.
    const early = run(start, ready(), progress(1, 30), { type: 'error', message: 'lost', during: 'device' });
    expect(early.statusLine).toEqual({ kind: 'device-lost', iteration: 1, checkpointIteration: undefined });
  });

  it('errors: settings, data (shown by the user’s file), training; a run with a model is stopped, not lost', () => {
    const fileRun: Message = { type: 'start-requested', config: { ...config, data: 'bytes.mat' }, device: 'gpu' };
    const data = run(fileRun, { type: 'error', message: 'bytes.mat: values run from 0 to 255', during: 'data' });
    const problem = { kind: 'message', message: 'bytes.mat: values run from 0 to 255' };
    expect(data).toMatchObject({ phase: 'error', error: problem, lastError: 'bytes.mat: values run from 0 to 255' });
    expect(data.data.error).toEqual(problem);
    expect(data.statusLine).toEqual({ kind: 'failed', step: 'data' });
    const natural = run(start, { type: 'error', message: 'natural images: no fetch', during: 'data' });
    expect(natural.data.error).toBeUndefined();
    const exported = run({ type: 'error', message: 'there is no model to export yet', during: 'export' });
    expect(exported).toMatchObject({ phase: 'idle', error: { kind: 'message', message: 'there is no model to export yet' } });
    const paused = run(start, ready(), progress(3, 9), { type: 'ended', reason: 'paused', summary: summary({ iterations: 3 }), theta: new Float64Array(3) });
    expect(reduce(paused, { type: 'worker-failed', message: 'the training worker failed: x' }).phase).toBe('stopped');
    // A new start clears the error.
    expect(reduce(data, start)).toMatchObject({ phase: 'loading', error: undefined, lastError: '' });
  });

  it('the user’s files: read, checked by the worker, refused with the worker’s message', () => {
    let s = run({ type: 'files-chosen', names: ['IMAGES.mat'] });
    expect(s.data).toMatchObject({ info: { kind: 'reading', names: ['IMAGES.mat'] }, valid: false });
    const files = [{ name: 'IMAGES.mat', bytes: new Uint8Array(4) }];
    s = reduce(s, { type: 'files-read', files });
    s = reduce(s, { type: 'inspected', ok: true, description: '500 patches of 8×8 from IMAGES in IMAGES.mat', examples: 500, visibleSize: 64 });
    const inspected = { kind: 'inspected', description: '500 patches of 8×8 from IMAGES in IMAGES.mat', examples: 500, visibleSize: 64 };
    expect(s.data).toMatchObject({ files, valid: true, info: inspected });
    // The file choice again keeps what its files hold.
    expect(reduce(s, { type: 'data-choice-changed', choice: 'file' }).data.info).toEqual(inspected);
    s = reduce(s, { type: 'inspected', ok: false, message: 'broken.mat: truncated' });
    expect(s.data).toMatchObject({ valid: false, info: { kind: 'none' }, error: { kind: 'message', message: 'broken.mat: truncated' } });
    expect(reduce(s, { type: 'data-choice-changed', choice: 'natural' }).data).toMatchObject({ info: { kind: 'none' }, error: undefined });
    expect(reduce(initialState, { type: 'data-choice-changed', choice: 'file' }).data.info).toEqual({ kind: 'choose' });
    expect(reduce(s, { type: 'files-unreadable', message: 'NotReadableError' }).data).toEqual({
      valid: false,
      info: { kind: 'none' },
      error: { kind: 'file-unreadable', message: 'NotReadableError' },
    });
    expect(reduce(initialState, { type: 'files-restored', files }).data).toEqual({ files, valid: true, info: { kind: 'files', names: ['IMAGES.mat'] } });
    // Not while a run is on.
    const training = run(start, ready());
    expect(reduce(training, { type: 'files-chosen', names: ['x.mat'] })).toBe(training);
  });

  it('a saved run is offered at load, and only while idle; a restored model is a finished run', () => {
    const model = savedModel();
    const offered = run({ type: 'saved-found', record: model, reason: 'reload' });
    expect(offered.offer).toEqual({ record: model, reason: 'reload' });
    expect(reduce(run(start), { type: 'saved-found', record: model, reason: 'reload' }).offer).toBeUndefined();
    const restored = run({ type: 'offer-taken' }, { type: 'model-restored', record: model });
    expect(restored).toMatchObject({ phase: 'finished', offer: undefined });
    expect(restored.run).toMatchObject({ restored: true, iteration: 30, cost: 0.7, theta: model.theta, history: model.history });
    expect(restored.statusLine).toEqual({ kind: 'run', note: { kind: 'restored', savedAt: model.savedAt } });
    expect(restored.run!.rho).toEqual({ values: model.meanActivation, iteration: 30, allExamples: true });
  });
});
