import { describe, expect, it } from 'vitest';
import { parseTrainArguments, UsageError } from '../../src/cli/args';
import { presets } from '../../src/train/config';

describe('train command line', () => {
  it('defaults to the natural-image preset on the GPU', () => {
    const args = parseTrainArguments([]);
    expect(args.config).toEqual(presets['ufldl-natural']);
    expect(args.device).toBe('gpu');
    expect(args.out).toBe('out');
  });

  it('applies flags over a preset', () => {
    const args = parseTrainArguments(['--preset', 'ufldl-mnist', '--hidden', '50', '--iters', '0', '--optimizer', 'adam', '--device', 'cpu']);
    expect(args.config).toMatchObject({ data: 'mnist', hiddenSize: 50, iterations: 0, optimizer: 'adam', preset: 'custom' });
    expect(args.device).toBe('cpu');
  });

  it.each([
    [['--hidden', '0'], /hidden size must be a positive integer/],
    [['--sparsity', '1'], /sparsity ρ must lie strictly between 0 and 1/],
    [['--sparsity', '0'], /sparsity ρ/],
    [['--lambda', '-1'], /λ \(lambda\) must be ≥ 0/],
    [['--beta', '-0.5'], /β \(beta\) must be ≥ 0/],
    [['--preset', 'nope'], /unknown preset 'nope'/],
    [['--optimizer', 'newton'], /unknown optimizer 'newton'/],
    [['--iters', 'many'], /--iters needs a number, got 'many'/],
    [['--device', 'tpu'], /--device must be gpu or cpu/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ])('refuses %j with a one-line message', (argv, message) => {
    expect(() => parseTrainArguments(argv as string[])).toThrow(UsageError);
    expect(() => parseTrainArguments(argv as string[])).toThrow(message);
  });
});
