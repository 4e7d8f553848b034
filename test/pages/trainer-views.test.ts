/**
 * The trainer page's words (src/pages/trainer/views.ts) for the facts its reducer holds: the
 * status line, problems, the data line, ρ̂'s label and the banner for a saved run. The states
 * come from the reducer, as on the page; e2e/trainer.spec.ts reads the same words in a browser.
 */
import { describe, expect, it } from 'vitest';
import { initialState, reduce } from '../../src/pages/trainer/state';
import type { SavedCheckpoint, SavedModel } from '../../src/pages/trainer/store';
import { dataInfoText, describeSaved, formatCost, formatSeconds, problemText, rhoLabel, saveFailedText, statusParts } from '../../src/pages/trainer/views';
import { config, progress, ready, run, savedModel, start, summary } from './trainer-fixtures';

describe('trainer page words', () => {
  it('the status line before a run, while the worker prepares it, and once it trains', () => {
    expect(statusParts(initialState)).toEqual(['Choose data and settings, then start training.']);
    let s = run(start);
    expect(statusParts(s)).toEqual(['Starting…']);
    s = reduce(s, { type: 'status', text: 'Loading and whitening the natural images…' });
    expect(statusParts(s)).toEqual(['Loading and whitening the natural images…']);
    s = reduce(s, ready({ adapter: { vendor: 'google', architecture: 'swiftshader', description: '', software: true } as never }));
    expect(statusParts(s)).toEqual(['2000 patches of 8×8 from the embedded whitened natural images', '64-25', expect.stringMatching(/^WebGPU on /)]);
    const cpu = run(start, ready({ device: { backend: 'cpu', adapter: 'float64' }, fallback: 'WebGPU is not available here' }));
    expect(statusParts(cpu)).toEqual(['2000 patches of 8×8 from the embedded whitened natural images', '64-25', 'float64 reference on the CPU', 'WebGPU is not available here']);
    const tuned = run(start, ready({ device: { backend: 'webgpu', adapter: 'google swiftshader', kernels: { summary: 'unrolled 8×8, tuned 0.4 s ago (raced 1 of 3 in 0.4 s)', kernels: 'unrolled 8×8', source: 'tuned' } } }));
    expect(statusParts(tuned)[2]).toBe('WebGPU on google swiftshader; kernels: unrolled 8×8, tuned 0.4 s ago (raced 1 of 3 in 0.4 s)');
    const checkpointed = reduce(s, { type: 'checkpoint', iteration: 10, totalIterations: 30, cost: 10, bytes: new Uint8Array(8) });
    expect(statusParts(checkpointed)).toContain('checkpoint saved at iteration 10');
  });

  it('how a run stands: paused, done, diverged (with a hint only where there is a learning rate), stopped', () => {
    const paused = run(start, ready(), progress(6, 12), { type: 'ended', reason: 'paused', summary: summary({ iterations: 6 }), theta: new Float64Array(3) });
    expect(statusParts(paused).at(-1)).toBe('paused at iteration 6: resume continues from here');
    const done = run(start, ready(), progress(30, 0.7, 3), { type: 'ended', reason: 'finished', summary: summary(), theta: new Float64Array(3) });
    expect(statusParts(done).at(-1)).toBe('done: 30 iterations, 33 evaluations in 3.0 s; J 40.0000 → 0.700000 (reached the iteration limit)');
    const stopped = run(start, ready(), { type: 'ended', reason: 'stopped', summary: summary({ iterations: 12, exitReason: 'step-size' }), theta: new Float64Array(3) });
    expect(statusParts(stopped).at(-1)).toBe('stopped: 12 iterations, 33 evaluations in 3.0 s; J 40.0000 → 0.700000 (step size)');
    const diverging = summary({ iterations: 0, divergedAt: 1, finalCost: 40, exitReason: 'non-finite' });
    const gd = run({ type: 'start-requested', config: { ...config, optimizer: 'gd', learningRate: 1e30 }, device: 'gpu' }, ready(), progress(0, 40), {
      type: 'ended',
      reason: 'finished',
      summary: diverging,
      theta: new Float64Array(3),
    });
    expect(statusParts(gd).at(-1)).toBe('diverged: the cost is not finite at iteration 1; shown is θ from iteration 0, the last with a finite cost (J 40.0000) — try a smaller learning rate');
    const lbfgs = run(start, ready(), { type: 'ended', reason: 'finished', summary: diverging, theta: new Float64Array(3) });
    expect(statusParts(lbfgs).at(-1)).toBe('diverged: the cost is not finite at iteration 1; shown is θ from iteration 0, the last with a finite cost (J 40.0000)');
  });

  it('a lost device says which checkpoint is kept, or that none is; a failure names its step', () => {
    const bytes = new Uint8Array(8);
    const lost = run(start, ready(), progress(10, 12), { type: 'checkpoint', iteration: 10, totalIterations: 30, cost: 12, bytes }, progress(11, 11), {
      type: 'error',
      message: 'lost',
      during: 'device',
    });
    expect(statusParts(lost)).toEqual(['The GPU was lost at iteration 11. Its checkpoint from iteration 10 is kept in this browser: resume from it on a new device.']);
    const early = run(start, ready(), progress(1, 30), { type: 'error', message: 'lost', during: 'device' });
    expect(statusParts(early)).toEqual(['The GPU was lost at iteration 1. No checkpoint of this run had been saved yet: start it again.']);
    expect(statusParts(run({ type: 'error', message: 'lost', during: 'device' }))).toEqual(['The GPU was lost. No checkpoint of this run had been saved yet: start it again.']);
    const steps = { data: 'Could not load the data.', engine: 'Could not set up the engine.', config: 'Could not use these settings.', training: 'Could not train.' } as const;
    for (const [during, text] of Object.entries(steps)) {
      expect(statusParts(run(start, { type: 'error', message: 'x', during: during as keyof typeof steps }))).toEqual([text]);
    }
  });

  it('problems, the data line, ρ̂ and a failed save', () => {
    expect(problemText({ kind: 'message', message: 'bytes.mat: values run from 0 to 255' })).toBe('bytes.mat: values run from 0 to 255');
    expect(problemText({ kind: 'bad-iterations', text: '2.5' })).toBe('iterations must be a whole number ≥ 0, got 2.5');
    expect(problemText({ kind: 'file-unreadable', message: 'NotReadableError' })).toBe('the file could not be read: NotReadableError');
    expect(dataInfoText({ kind: 'none' })).toBe('');
    expect(dataInfoText({ kind: 'choose' })).toBe('Drop a file on the page or choose one.');
    expect(dataInfoText({ kind: 'reading', names: ['a.png', 'b.png'] })).toBe('Reading a.png, b.png…');
    expect(dataInfoText({ kind: 'files', names: ['a.png', 'b.png'] })).toBe('a.png, b.png');
    expect(dataInfoText({ kind: 'inspected', description: '500 patches of 8×8 from IMAGES in IMAGES.mat', examples: 12500, visibleSize: 64 })).toBe(
      '500 patches of 8×8 from IMAGES in IMAGES.mat (12,500 examples of 64 values)',
    );
    expect(rhoLabel({ values: new Float64Array(1), iteration: 5 })).toBe('iteration 5');
    expect(rhoLabel({ values: new Float64Array(1), iteration: 30, allExamples: true })).toBe('iteration 30, all examples');
    expect(saveFailedText('QuotaExceededError')).toBe('The run could not be saved for a reload: QuotaExceededError');
    expect(formatSeconds(3)).toBe('3.0 s');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(formatCost(NaN)).toBe('–');
  });

  it('the banner for a saved model, a diverged one, an unfinished run and a lost device; a restored run says when', () => {
    const model = savedModel();
    expect(describeSaved(model)).toMatchObject({ title: 'Your last trained model', action: 'Show it' });
    expect(describeSaved(model).text).toMatch(/^Finished .*: natural images, 25 hidden units, L-BFGS on WebGPU — 30 iterations, cost 0\.700000\.$/);
    const diverged: SavedModel = { ...model, iterations: 5, finalCost: 20, divergedAt: 6, exitReason: 'non-finite' };
    expect(describeSaved(diverged)).toMatchObject({ title: 'Your last run diverged', action: 'Show it' });
    expect(describeSaved(diverged).text).toContain('the cost was not finite at iteration 6; kept is θ from iteration 5, cost 20.0000');
    const checkpoint: SavedCheckpoint = {
      kind: 'checkpoint',
      config,
      device: 'gpu',
      description: 'natural',
      history: { x: [0, 10], y: [[40, 12], [1, 1], [1, 1], [1, 1]] },
      savedAt: 0,
      elapsedSeconds: 1,
      evaluations: 11,
      iteration: 10,
      totalIterations: 30,
      cost: 12,
      bytes: new Uint8Array(8),
    };
    expect(describeSaved(checkpoint, 'device-lost')).toMatchObject({ title: 'The GPU was lost during training', action: 'Resume' });
    expect(describeSaved(checkpoint, 'device-lost').text).toContain('iteration 10 of 30, cost 12.0000');
    expect(describeSaved(checkpoint)).toMatchObject({ title: 'An unfinished run was saved', action: 'Resume' });
    const restored = run({ type: 'model-restored', record: model });
    expect(statusParts(restored).at(-1)).toMatch(/^restored from Dec [12], 2026/);
  });
});
