/**
 * GpuTopKAutoencoder (src/gpu/sae.ts): one evaluation against saeCost (src/reference/sae.ts) with
 * the TopK activation and the pre-bias, under MODEL_TOLERANCE, on inputs whose pre-activations
 * keep a margin from every selection boundary (so float32 round-off cannot change the kept set,
 * which is then compared exactly). The model's cost and gradient are half the twin's (its head is
 * (1/2m)Σ‖x̂ − x‖²; see the model's header).
 */
import { describe, expect, it } from 'vitest';
import { compareCost, compareGradient } from '../../src/gpu/comparison';
import { GpuTopKAutoencoder } from '../../src/gpu/sae';
import { saeCost, saeLayout, type SaeOptions, type SaeShape } from '../../src/reference/sae';
import { Random } from '../../src/random';
import { expectPass, useGpuContext } from './context';

const gpu = useGpuContext();

/** The gap around each row's k-th largest pre-activation and the smallest |pre| among the kept. */
function selectionMargin(pre: Float64Array, rows: number, h: number, k: number): number {
  let margin = Infinity;
  for (let r = 0; r < rows; r++) {
    const sorted = Array.from(pre.subarray(r * h, r * h + h)).sort((a, b) => b - a);
    if (k < h) margin = Math.min(margin, sorted[k - 1] - sorted[k]);
    for (let j = 0; j < k; j++) margin = Math.min(margin, Math.abs(sorted[j]));
  }
  return margin;
}

/**
 * float32 data and θ (W_enc, W_dec in [−0.5, 0.5], biases in [−0.1, 0.1]) whose twin keeps a
 * margin of 1e-4 from every selection boundary: the pre-activations' float32 error is ~1e-6.
 */
function fixture(shape: SaeShape, examples: number, k: number) {
  const options: SaeOptions = { activation: { kind: 'topk', k }, subtractDecoderBias: true };
  for (let seed = 1; seed < 100; seed++) {
    const rng = new Random(seed);
    const L = saeLayout(shape);
    const theta = Float32Array.from({ length: L.length }, (_, i) => (i < L.b1 ? rng.uniform() - 0.5 : 0.2 * rng.uniform() - 0.1));
    const data = Float32Array.from({ length: examples * shape.inputs }, () => 2 * rng.uniform() - 1);
    const reference = saeCost(theta, data, examples, shape, options);
    if (selectionMargin(reference.pre, examples, shape.latents, k) > 1e-4) return { theta, data, reference };
  }
  throw new Error('no seed below 100 keeps the margin');
}

async function checkModel(shape: SaeShape, examples: number, k: number, maxBindingBytes?: number) {
  const { theta, data, reference } = fixture(shape, examples, k);
  const model = await GpuTopKAutoencoder.create(gpu(), shape, k, { data, examples, visibleSize: shape.inputs }, { theta, maxBindingBytes });
  try {
    const evaluation = await model.evaluate();
    const grad = await model.readGradient();
    const L = model.layout;
    const blocks = { W_enc: [L.W1, L.W2], W_dec: [L.W2, L.b1], b_enc: [L.b1, L.b2], b_dec: [L.b2, L.length] } as const;
    const described = { examples, inputs: shape.inputs, latents: shape.latents, k, pieces: model.pieces };
    expectPass([
      compareCost(described, { cost: 2 * evaluation.cost, parts: { reconstruction: 2 * evaluation.parts.reconstruction } }, { cost: reference.cost, parts: { reconstruction: reference.parts.reconstruction } }),
      compareGradient(described, Float64Array.from(grad, (g) => 2 * g), reference.grad, blocks),
    ]);
    return model;
  } catch (error) {
    model.destroy();
    throw error;
  }
}

describe('GpuTopKAutoencoder against saeCost (TopK, pre-bias)', () => {
  it('a 12-40 model, k = 5, 32 examples: cost, gradient, and the kept latents exactly', async () => {
    const shape = { inputs: 12, latents: 40 };
    const model = await checkModel(shape, 32, 5);
    try {
      const { reference } = fixture(shape, 32, 5);
      const z = await model.readLatents();
      const kept = (v: number) => (v > 0 ? 1 : 0);
      expect(Array.from(z, kept)).toEqual(Array.from(reference.z, kept));
      // Each row keeps at most k positive latents.
      for (let r = 0; r < 32; r++) expect(Array.from(z.subarray(r * 40, r * 40 + 40)).filter((v) => v > 0).length).toBeLessThanOrEqual(5);
    } finally {
      model.destroy();
    }
  });

  it('a 7-33 model (no multiples of 4), k = 1', async () => {
    (await checkModel({ inputs: 7, latents: 33 }, 20, 1)).destroy();
  });

  it('600 examples evaluated in 3 pieces', async () => {
    const model = await checkModel({ inputs: 12, latents: 40 }, 600, 4, 50_000);
    try {
      expect(model.pieces).toBe(3);
    } finally {
      model.destroy();
    }
  });
});
