/**
 * The trainer's set-up ↔ link codec (src/pages/trainer/link.ts): every field survives the round
 * trip, old links still read, and a link's unusable values give the preset's value in their place
 * and a list of what was wrong (which the page marks on the form).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTrainerLink, encodeTrainerLink, matchingPreset, numberFields, passthroughParams, tuneBudgetOf, type TrainerSetup } from '../../src/pages/trainer/link';
import { presets, type PresetName, type TrainConfig } from '../../src/train/config';

const roundTrip = (setup: TrainerSetup) => decodeTrainerLink(`?${encodeTrainerLink(setup)}`);

describe('trainer link', () => {
  it('each preset round-trips, named as that preset, with no problems', () => {
    for (const name of Object.keys(presets) as PresetName[]) {
      const config = { ...presets[name] };
      const back = roundTrip({ config, data: config.data as TrainerSetup['data'], device: 'gpu' });
      expect(back.problems).toEqual([]);
      expect(back.config).toEqual(config);
      expect(back.config.preset).toBe(name);
      expect(back.data).toBe(config.data);
      expect(back.device).toBe('gpu');
    }
  });

  it('every field round-trips for any valid set-up (property)', () => {
    const setups = fc.record({
      hiddenSize: fc.integer({ min: 1, max: 5000 }),
      seed: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      patchSize: fc.integer({ min: 1, max: 32 }),
      patches: fc.integer({ min: 1, max: 200_000 }),
      sparsityParam: fc.double({ min: 1e-6, max: 0.999, noNaN: true }),
      beta: fc.double({ min: 0, max: 100, noNaN: true }),
      lambda: fc.double({ min: 0, max: 1, noNaN: true }),
      iterations: fc.integer({ min: 0, max: 100_000 }),
      learningRate: fc.double({ min: 1e-9, max: 10, noNaN: true }),
      momentum: fc.double({ min: 0, max: 0.999, noNaN: true }),
      batchSize: fc.integer({ min: 1, max: 10_000 }),
      optimizer: fc.constantFrom('lbfgs', 'gd', 'sgd', 'adam' as const),
      output: fc.constantFrom('sigmoid', 'linear' as const),
      data: fc.constantFrom('natural', 'natural-color', 'mnist' as const),
      device: fc.constantFrom('gpu', 'cpu' as const),
    });
    fc.assert(
      fc.property(setups, ({ data, device, output, ...fields }) => {
        const config: TrainConfig = { ...presets['ufldl-natural'], ...fields, data, preset: 'custom' };
        if (output === 'linear') config.output = output;
        config.preset = matchingPreset(config) ?? 'custom';
        const back = roundTrip({ config, data, device });
        expect(back.problems).toEqual([]);
        expect(back.config).toEqual(config);
        expect(back.data).toBe(data);
        expect(back.device).toBe(device);
        // Every number field was in the link.
        expect([...back.given].sort()).toEqual(numberFields.map(([field]) => field).sort());
      }),
      { numRuns: 300 },
    );
  });

  it('a custom set-up says custom; a preset changed back to its values is that preset again', () => {
    const config = { ...presets['ufldl-mnist'], hiddenSize: 64, preset: 'custom' as const };
    const link = encodeTrainerLink({ config, data: 'mnist' });
    expect(link.get('preset')).toBe('custom');
    expect(link.get('hidden')).toBe('64');
    expect(decodeTrainerLink(`?${link}`).config).toEqual(config);
    link.set('hidden', '196');
    expect(decodeTrainerLink(`?${link}`).config).toEqual(presets['ufldl-mnist']);
  });

  it("the user's files are not in a link; an empty field is left out, not written as NaN", () => {
    const config = { ...presets['ufldl-natural'], data: 'mine.mat', patches: NaN, preset: 'custom' as const };
    const link = encodeTrainerLink({ config, data: 'file' });
    expect(link.has('data')).toBe(false);
    expect(link.has('patches')).toBe(false);
    expect(decodeTrainerLink(`?${link}`).problems).toEqual([]);
  });

  it('older and shorter links still read: ?data=, ?output=, aliases, a preset with changes', () => {
    expect(decodeTrainerLink('?data=mnist').config).toEqual(presets['ufldl-mnist']);
    expect(decodeTrainerLink('?data=natural-color').config).toEqual(presets['ufldl-linear-decoder']);
    const linear = decodeTrainerLink('?output=linear&iters=7&sparsity=0.2&batchSize=32');
    expect(linear.config).toMatchObject({ output: 'linear', iterations: 7, sparsityParam: 0.2, batchSize: 32, preset: 'custom', data: 'natural' });
    expect([...linear.given].sort()).toEqual(['batchSize', 'iterations', 'sparsityParam']);
    const changed = decodeTrainerLink('?preset=ufldl-mnist&iterations=5');
    expect(changed.config).toEqual({ ...presets['ufldl-mnist'], iterations: 5, preset: 'custom' });
    expect(changed.data).toBe('mnist');
  });

  it('bad and out-of-range values: the defaults in their place, and each listed with its field and text', () => {
    const link = decodeTrainerLink('?preset=nope&data=cifar&hidden=abc&rho=1.5&iterations=-2&patches=2.5&lr=0&seed=&optimizer=newton&output=relu&device=tpu&beta=7');
    const defaults = presets['ufldl-natural'];
    expect(link.config).toEqual({ ...defaults, beta: 7, preset: 'custom' });
    expect(link.data).toBe('natural');
    expect(link.device).toBeUndefined();
    expect(link.problems.map((p) => [p.field, p.value])).toEqual([
      ['preset', 'nope'],
      ['data', 'cifar'],
      ['hiddenSize', 'abc'],
      ['sparsityParam', '1.5'],
      ['iterations', '-2'],
      ['patches', '2.5'],
      ['learningRate', '0'],
      ['seed', ''],
      ['optimizer', 'newton'],
      ['output', 'relu'],
      ['device', 'tpu'],
    ]);
    const reason = (field: string) => link.problems.find((p) => p.field === field)?.reason;
    expect(reason('hiddenSize')).toBeUndefined(); // not a number at all
    expect(reason('sparsityParam')).toMatch(/between 0 and 1/);
    expect(reason('iterations')).toMatch(/≥ 0/);
    expect(reason('patches')).toMatch(/positive integer/);
    expect(reason('learningRate')).toMatch(/> 0/);
    expect([...link.given]).toEqual(['beta']);
  });

  it("a run's own options: kept apart from the settings", () => {
    const link = decodeTrainerLink('?live=3&checkpointEvery=4&autostart=1&testHooks=1&examples=x');
    expect(link).toMatchObject({ maxExamples: undefined, liveEvery: 3, checkpointEvery: 4, autostart: true, testHooks: true, problems: [] });
    expect(decodeTrainerLink('?examples=1000').maxExamples).toBe(1000);
    expect(decodeTrainerLink('').autostart).toBe(false);
  });

  it('the kernel tuner\'s budget: ?tune=N first, then the remembered one, else the tuner\'s default', () => {
    expect(passthroughParams).toContain('tune');
    expect(tuneBudgetOf('0', '5')).toBe(0); // the link turns tuning off
    expect(tuneBudgetOf('300', null)).toBe(300);
    expect(tuneBudgetOf(null, '1')).toBe(1);
    expect(tuneBudgetOf('soon', '1')).toBe(1);
    expect(tuneBudgetOf('-3', null)).toBeUndefined();
    expect(tuneBudgetOf(null, null)).toBeUndefined();
    expect(tuneBudgetOf('', ' ')).toBeUndefined();
  });
});
