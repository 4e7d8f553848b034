import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/classify/pipeline';
import { UFLDL_HYPERPARAMETERS } from '../../src/reference/autoencoder';
import { presets } from '../../src/train/config';

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
