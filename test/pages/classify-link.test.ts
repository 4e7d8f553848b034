/**
 * The classification page's set-up ↔ link codec (src/pages/classify/link.ts): every field
 * survives the round trip, and unusable values give the defaults and the list of bad fields.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClassifyLink, defaultSetup, encodeClassifyLink, numberFields, parseField } from '../../src/pages/classify/link';

describe('classification link', () => {
  it('every field round-trips for any set-up in range (property)', () => {
    const field = (name: keyof typeof numberFields) => fc.integer({ min: numberFields[name].min, max: numberFields[name].max });
    const setups = fc.record({
      task: fc.constantFrom('softmax', 'stl', 'stacked', 'conv' as const),
      digits: field('digits'),
      hiddenSize: field('hiddenSize'),
      seed: field('seed'),
      autoencoderIterations: field('autoencoderIterations'),
      softmaxIterations: field('softmaxIterations'),
      finetuneIterations: field('finetuneIterations'),
      patches: field('patches'),
      poolDim: field('poolDim'),
    });
    fc.assert(
      fc.property(setups, (setup) => {
        expect(decodeClassifyLink(`?${encodeClassifyLink(setup)}`)).toEqual({ setup, problems: [] });
      }),
      { numRuns: 300 },
    );
  });

  it('the names in a link, and no link at all', () => {
    const setup = { task: 'conv' as const, digits: 1000, hiddenSize: 36, seed: -3, autoencoderIterations: 20, softmaxIterations: 50, finetuneIterations: 7, patches: 2000, poolDim: 3 };
    expect(encodeClassifyLink(setup).toString()).toBe('task=conv&digits=1000&hidden=36&seed=-3&ae=20&softmax=50&finetune=7&patches=2000&pool=3');
    expect(decodeClassifyLink('')).toEqual({ setup: defaultSetup, problems: [] });
    expect(decodeClassifyLink('?digits=1000&softmax=30').setup).toEqual({ ...defaultSetup, digits: 1000, softmaxIterations: 30 });
    // The conv settings default to the CLI's: 20,000 patches, pooling regions of 5 (21 → 4×4).
    expect(defaultSetup).toMatchObject({ patches: 20_000, poolDim: 5 });
  });

  it('bad and out-of-range values: the defaults in their place, each listed with its text', () => {
    const { setup, problems } = decodeClassifyLink('?task=svm&digits=50&hidden=abc&seed=1.5&ae=0&softmax=&finetune=10001&patches=0&pool=22');
    expect(setup).toEqual(defaultSetup);
    expect(problems).toEqual([
      { field: 'task', value: 'svm' },
      { field: 'digits', value: '50' },
      { field: 'hiddenSize', value: 'abc' },
      { field: 'seed', value: '1.5' },
      { field: 'autoencoderIterations', value: '0' },
      { field: 'softmaxIterations', value: '' },
      { field: 'finetuneIterations', value: '10001' },
      { field: 'patches', value: '0' },
      // A region of 22 does not fit the 21×21 maps of 8×8 patches over 28×28 digits.
      { field: 'poolDim', value: '22' },
    ]);
  });

  it('the range check the form uses too', () => {
    expect(parseField('digits', '100')).toBe(100);
    expect(parseField('digits', '10000')).toBe(10_000);
    expect(parseField('digits', '99')).toBeUndefined();
    expect(parseField('hiddenSize', ' 25 ')).toBe(25);
    expect(parseField('hiddenSize', '1e3')).toBe(1000);
    expect(parseField('seed', 'Infinity')).toBeUndefined();
    expect(parseField('poolDim', '21')).toBe(21);
    expect(parseField('poolDim', '22')).toBeUndefined();
  });
});
