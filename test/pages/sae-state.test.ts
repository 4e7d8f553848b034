/** The SAE page's settings ↔ link codec and its reducer (src/pages/sae/state.ts), without a DOM. */
import { describe, expect, it } from 'vitest';
import { defaultSaeSettings } from '../../src/train/sae-trainer';
import { canStart, decodeSaeLink, DEFAULT_SETTINGS, encodeSaeLink, initialState, reduce, summary, type Message, type SaeState } from '../../src/pages/sae/state';
import { finished, ready, snapshot } from './sae-fixtures';

const run = (...messages: Message[]): SaeState => messages.reduce<SaeState>((s, m) => reduce(s, m, () => 42), initialState());

describe('SAE page settings and links', () => {
  it('defaults are the command line’s on its default synthetic data', () => {
    const cli = defaultSaeSettings('topk', 64, 40000);
    expect(DEFAULT_SETTINGS).toMatchObject({ variant: 'topk', k: cli.k, l1: cli.l1, latents: cli.latents, batchSize: cli.batchSize, steps: cli.steps, learningRate: cli.learningRate, seed: 1 });
    expect(DEFAULT_SETTINGS).toMatchObject({ data: 'synthetic', features: 256, dimensions: 64, active: 5, examples: 40000 });
    expect(DEFAULT_SETTINGS.k).toBe(5);
  });

  it('a link round-trips every setting', () => {
    const settings = { ...DEFAULT_SETTINGS, variant: 'relu-l1' as const, l1: 0.25, latents: 128, steps: 300, learningRate: 0.003, seed: 9, features: 32, dimensions: 16, active: 3, examples: 2000 };
    const decoded = decodeSaeLink(`?${encodeSaeLink(settings)}`);
    expect(decoded.settings).toEqual(settings);
    expect(decoded.problems).toEqual([]);
    expect(decoded.autostart).toBe(false);
  });

  it('a file’s link names the tensor and leaves the synthetic sizes out', () => {
    const query = encodeSaeLink({ ...DEFAULT_SETTINGS, data: 'file', tensor: 'acts' });
    expect(query.get('tensor')).toBe('acts');
    expect(query.has('features')).toBe(false);
    expect(decodeSaeLink(`?${query}`).settings).toMatchObject({ data: 'file', tensor: 'acts' });
  });

  it('bad values are reported and replaced by the defaults', () => {
    const decoded = decodeSaeLink('?variant=gated&k=zero&steps=-3&lr=0&seed=1.5&l1=-1&latents=64&data=web');
    expect(decoded.settings).toMatchObject({ variant: 'topk', k: 5, steps: 4000, learningRate: 1e-3, seed: 1, l1: 0.3, latents: 64, data: 'synthetic' });
    expect(decoded.problems.map((p) => p.field).sort()).toEqual(['data', 'k', 'l1', 'learningRate', 'seed', 'steps', 'variant']);
    expect(decoded.problems.find((p) => p.field === 'steps')!.reason).toBe('must be a positive integer');
  });

  it('values that clash are reported: k above the latents, more active than directions', () => {
    const decoded = decodeSaeLink('?k=80&latents=64&active=50&features=32');
    expect(decoded.problems.map((p) => p.field)).toEqual(['k', 'active']);
    expect(decoded.settings).toMatchObject({ k: 5, latents: 64, active: 5, features: 32 });
  });
});

describe('SAE page state', () => {
  it('a run: start → ready → progress and snapshots → finished, stored once', () => {
    const started = run({ type: 'start', device: 'gpu' });
    expect(started.phase).toBe('loading');
    expect(started.request).toEqual({ type: 'start', settings: DEFAULT_SETTINGS, device: 'gpu' });
    const training = reduce(started, ready());
    expect(training.phase).toBe('training');
    expect(canStart(training)).toBe(false);
    const going = [
      { type: 'progress', step: 80, steps: 4000, reconstruction: 0.5, auxiliary: 0.01, dead: 4, elapsedSeconds: 2 },
      { type: 'snapshot', snapshot: snapshot() },
    ].reduce<SaeState>((s, m) => reduce(s, m as Message), training);
    expect(going.loss).toEqual([{ step: 80, reconstruction: 0.5, auxiliary: 0.01 }]);
    expect(summary(going)).toMatchObject({ phase: 'training', step: 80, l0: 3, fvu: 0.25, mmcs: 0.9 });
    const done = reduce(going, finished(), () => 42);
    expect(done.phase).toBe('finished');
    expect(done.save).toEqual({
      savedAt: 42,
      settings: DEFAULT_SETTINGS,
      data: 'synthetic: 256 directions',
      device: 'vendor google, architecture swiftshader',
      steps: 4000,
      seconds: 12.5,
      metrics: { l0: 3, fvu: 0.25, dead: 2, latents: 512, mmcs: 0.9 },
    });
    expect(summary(done).snapshotExamples).toBe(40000);
    // Unrelated messages keep the same save object: main.ts stores it once.
    expect(reduce(done, { type: 'hover', id: 3 }).save).toBe(done.save);
    expect(canStart(done)).toBe(true);
  });

  it('a stopped or diverged run is not stored', () => {
    const training = run({ type: 'start', device: 'gpu' }, ready());
    const stopped = reduce(reduce(training, { type: 'stop' }), finished({ exitReason: 'cancelled', steps: 100 }));
    expect(stopped.phase).toBe('finished');
    expect(stopped.save).toBeUndefined();
    const diverged = reduce(training, finished({ exitReason: 'non-finite' }));
    expect(diverged.phase).toBe('error');
    expect(diverged.save).toBeUndefined();
    expect(diverged.error).toMatch(/smaller learning rate/);
  });

  it('pause waits for the worker, resume and stop send their requests', () => {
    const training = run({ type: 'start', device: 'gpu' }, ready());
    const pausing = reduce(training, { type: 'pause' });
    expect(pausing.phase).toBe('pausing');
    expect(pausing.request).toEqual({ type: 'pause' });
    const paused = reduce(pausing, { type: 'paused' });
    expect(paused.phase).toBe('paused');
    expect(reduce(paused, { type: 'resume' })).toMatchObject({ phase: 'training', request: { type: 'resume' } });
    expect(reduce(paused, { type: 'stop' })).toMatchObject({ phase: 'stopping', request: { type: 'stop' } });
    // Nothing to pause when idle.
    expect(reduce(initialState(), { type: 'pause' })).toEqual(initialState());
  });

  it('settings that do not parse keep Start disabled; settings do not change under a run', () => {
    const bad = run({ type: 'settings', settings: DEFAULT_SETTINGS, problems: [{ field: 'k', value: '', reason: 'not a number' }] });
    expect(canStart(bad)).toBe(false);
    expect(reduce(bad, { type: 'start', device: 'gpu' }).request).toBeUndefined();
    const clash = run({ type: 'settings', settings: { ...DEFAULT_SETTINGS, k: 600 }, problems: [] });
    expect(clash.problems.map((p) => p.field)).toEqual(['k']);
    const training = run({ type: 'start', device: 'gpu' }, ready());
    expect(reduce(training, { type: 'settings', settings: { ...DEFAULT_SETTINGS, k: 9 }, problems: [] }).settings.k).toBe(5);
  });

  it('a link’s replaced value stays marked until its field changes', () => {
    const decoded = decodeSaeLink('?k=zero&steps=-1');
    const state = initialState(decoded.settings, decoded.problems);
    expect(canStart(state)).toBe(true);
    expect(summary(state).problems).toEqual(['k', 'steps']);
    const edited = reduce(state, { type: 'settings', settings: { ...state.settings, k: 7 }, problems: [] });
    expect(summary(edited).problems).toEqual(['steps']);
  });

  it('a file: inspected before Start; a bad one is refused in words and nothing else changes', () => {
    const base = run({ type: 'settings', settings: { ...DEFAULT_SETTINGS, data: 'file' }, problems: [] });
    expect(canStart(base)).toBe(false);
    const file = { name: 'acts.npy', bytes: new Uint8Array(4) };
    const chosen = reduce(base, { type: 'file', file });
    expect(chosen.request).toEqual({ type: 'inspect', file, tensor: '' });
    expect(canStart(chosen)).toBe(false);
    const good = reduce(chosen, { type: 'inspected', ok: true, name: 'acts.npy', examples: 1000, dimensions: 32 });
    expect(canStart(good)).toBe(true);
    expect(reduce(good, { type: 'start', device: 'gpu', file }).request).toMatchObject({ type: 'start', file });
    const bad = reduce(chosen, { type: 'inspected', ok: false, name: 'acts.npy', message: 'acts.npy: not a .npy file' });
    expect(bad.file).toEqual({ name: 'acts.npy', error: 'acts.npy: not a .npy file' });
    expect(canStart(bad)).toBe(false);
    expect(bad.settings).toEqual(base.settings);
    // A late answer about another file is ignored.
    expect(reduce(chosen, { type: 'inspected', ok: true, name: 'old.npy', examples: 1, dimensions: 1 }).file).toEqual({ name: 'acts.npy' });
  });

  it('a data error while loading a file returns to idle with the message on the file', () => {
    const file = { name: 'acts.npy', bytes: new Uint8Array(4) };
    const ready_ = run(
      { type: 'settings', settings: { ...DEFAULT_SETTINGS, data: 'file' }, problems: [] },
      { type: 'file', file },
      { type: 'inspected', ok: true, name: 'acts.npy', examples: 1000, dimensions: 32 },
      { type: 'start', device: 'gpu', file },
    );
    const failed = reduce(ready_, { type: 'error', message: 'acts.npy: truncated', during: 'data' });
    expect(failed).toMatchObject({ phase: 'idle', error: 'acts.npy: truncated', file: { error: 'acts.npy: truncated' } });
  });

  it('an error under a run ends it; the loss curve is thinned past its limit', () => {
    const training = run({ type: 'start', device: 'gpu' }, ready());
    expect(reduce(training, { type: 'error', message: 'device lost', during: 'training' })).toMatchObject({ phase: 'error', error: 'device lost' });
    let s = training;
    for (let step = 1; step <= 2500; step++) s = reduce(s, { type: 'progress', step, steps: 2500, reconstruction: 1 / step, auxiliary: 0, dead: 0, elapsedSeconds: step });
    expect(s.loss.length).toBeLessThanOrEqual(2000);
    expect(s.loss[s.loss.length - 1].step).toBe(2500);
    expect(s.loss.every((p, i) => i === 0 || p.step > s.loss[i - 1].step)).toBe(true);
  });

  it('stored runs and the hovered one', () => {
    const runs = [{ id: 4 } as never, { id: 9 } as never];
    const listed = run({ type: 'runs', runs }, { type: 'hover', id: 9 });
    expect(listed.hovered).toBe(9);
    expect(summary(listed).runs).toBe(2);
    // The hovered run deleted: nothing hovered.
    expect(reduce(listed, { type: 'runs', runs: [runs[0]] }).hovered).toBeUndefined();
  });
});
