import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/classify/pipeline';
import { UFLDL_HYPERPARAMETERS } from '../../src/reference/autoencoder';
import { ConfigError, presets, validateConfig, type TrainConfig } from '../../src/train/config';

const triple = ({ sparsityParam, lambda, beta }: { sparsityParam: number; lambda: number; beta: number }) => ({ sparsityParam, lambda, beta });

// The exercises' numbers, written here once to check them; everything else imports them.
describe('the presets: UFLDL’s ρ, λ, β', () => {
  it('"Sparse Autoencoder" (train.m): ρ = 0.01, λ = 1e-4, β = 3, as UFLDL_HYPERPARAMETERS', () => {
    expect(triple(UFLDL_HYPERPARAMETERS)).toEqual({ sparsityParam: 0.01, lambda: 1e-4, beta: 3 });
    expect(triple(presets['ufldl-natural'])).toEqual(triple(UFLDL_HYPERPARAMETERS));
  });

  it('"Vectorization": ρ = 0.1, λ = 3e-3, β = 3; the later exercises’ autoencoders and fine-tuning take them', () => {
    expect(triple(presets['ufldl-mnist'])).toEqual({ sparsityParam: 0.1, lambda: 3e-3, beta: 3 });
    expect(triple(defaultSettings)).toEqual(triple(presets['ufldl-mnist']));
    expect(defaultSettings.finetuneLambda).toBe(presets['ufldl-mnist'].lambda);
  });
});

describe('the linear decoder preset (linearDecoderExercise)', () => {
  const p = presets['ufldl-linear-decoder'];

  it('192-400 on 8×8×3 whitened color patches, ρ = 0.035, λ = 3e-3, β = 5, L-BFGS 400, linear output', () => {
    expect(triple(p)).toEqual({ sparsityParam: 0.035, lambda: 3e-3, beta: 5 });
    expect(p).toMatchObject({ preset: 'ufldl-linear-decoder', data: 'natural-color', patchSize: 8, hiddenSize: 400, optimizer: 'lbfgs', iterations: 400, output: 'linear' });
    expect(() => validateConfig(p)).not.toThrow();
  });

  it('takes 20,000 patches: 400 iterations (~440 evaluations of 5 matmuls of m × 192 × 400) fit 20 minutes at the measured rate', () => {
    expect(p.patches).toBe(20_000);
    const flops = 5 * 2 * p.patches * 3 * p.patchSize ** 2 * p.hiddenSize;
    // 0.66 s per evaluation measured on lavapipe at m = 20,000: about 23 GFLOP/s.
    const seconds = (1.1 * p.iterations * flops) / 23e9;
    expect(seconds).toBeLessThan(20 * 60);
  });

  it('an unknown output layer is refused in one line', () => {
    expect(() => validateConfig({ ...p, output: 'tanh' } as unknown as TrainConfig)).toThrow(ConfigError);
    expect(() => validateConfig({ ...p, output: 'tanh' } as unknown as TrainConfig)).toThrow("unknown output layer 'tanh' (choose sigmoid or linear)");
  });
});
