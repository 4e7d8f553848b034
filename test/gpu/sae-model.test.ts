/**
 * GpuTopKAutoencoder (src/gpu/sae.ts): one evaluation against saeCost (src/reference/sae.ts) with
 * the TopK or BatchTopK activation and the pre-bias, under MODEL_TOLERANCE, on inputs whose pre-activations
 * keep a margin from every selection boundary (so float32 round-off cannot change the kept set,
 * which is then compared exactly). The model's cost and gradient are half the twin's (its head is
 * (1/2m)Σ‖x̂ − x‖²; see the model's header).
 */
import { describe, expect, it } from 'vitest';
import { compareCost, compareGradient } from '../../src/gpu/comparison';
import { GpuReluL1Autoencoder, GpuTopKAutoencoder, type SaeSelection } from '../../src/gpu/sae';
import { roundoffBound, UNIT_ROUNDOFF } from '../../src/gpu/tolerance';
import { saeCost, saeLayout, updateThreshold, type SaeOptions, type SaeShape } from '../../src/reference/sae';
import { Random } from '../../src/random';
import { expectPass, useGpuContext } from './context';

const gpu = useGpuContext();

/**
 * The gap around the k-th largest of `values` and the smallest |v| among the k largest. Values
 * equal to the k-th (ties, bit for bit the same on both sides) do not narrow it: which of them are
 * kept is decided by column order on both sides.
 */
function gapAt(values: ArrayLike<number>, k: number): number {
  const sorted = Array.from(values).sort((a, b) => b - a);
  const kth = sorted[k - 1];
  const below = sorted.find((v) => v < kth);
  const above = sorted.findLast((v) => v > kth);
  let margin = Math.min(below === undefined ? Infinity : kth - below, above === undefined ? Infinity : above - kth);
  for (let j = 0; j < k; j++) margin = Math.min(margin, Math.abs(sorted[j]));
  return margin;
}

/** How far the pre-activations are from changing the kept set (AuxK's too) or a kept value's sign. */
function selectionMargin(pre: Float64Array, rows: number, h: number, selection: SaeSelection, dead?: boolean[]): number {
  let margin = selection.kind === 'batchtopk' ? gapAt(pre, selection.k * rows) : Infinity;
  for (let r = 0; r < rows; r++) {
    const row = pre.subarray(r * h, r * h + h);
    if (selection.kind === 'topk') margin = Math.min(margin, gapAt(row, selection.k));
    if (selection.auxK && dead) {
      const deadRow = Array.from(row).filter((_, i) => dead[i]);
      if (deadRow.length > 0) margin = Math.min(margin, gapAt(deadRow, Math.min(selection.auxK.kAux, deadRow.length)));
    }
  }
  return margin;
}

/**
 * float32 data and θ (W_enc, W_dec in [−0.5, 0.5], biases in [−0.1, 0.1]) whose twin keeps a
 * margin of 1e-4 from every selection boundary: the pre-activations' float32 error is ~1e-6.
 */
function fixture(shape: SaeShape, examples: number, selection: SaeSelection, dead?: boolean[], ties = false) {
  const auxK = selection.auxK && dead ? { ...selection.auxK, dead } : undefined;
  const options: SaeOptions = { activation: { kind: selection.kind, k: selection.k }, subtractDecoderBias: true, auxK };
  for (let seed = 1; seed < 100; seed++) {
    const rng = new Random(seed);
    const L = saeLayout(shape);
    const theta = Float32Array.from({ length: L.length }, (_, i) => (i < L.b1 ? rng.uniform() - 0.5 : 0.2 * rng.uniform() - 0.1));
    // Ties: latent 2j + 1 encodes as latent 2j does (W_enc's rows and b_enc), so every row's
    // pre-activations come in equal pairs, the same bits in float32 and float64.
    const h = shape.latents;
    if (ties) {
      for (let j = 0; j + 1 < h; j += 2) {
        for (let i = 0; i < shape.inputs; i++) theta[L.W1 + j + 1 + i * h] = theta[L.W1 + j + i * h];
        theta[L.b1 + j + 1] = theta[L.b1 + j];
      }
    }
    const data = Float32Array.from({ length: examples * shape.inputs }, () => 2 * rng.uniform() - 1);
    const reference = saeCost(theta, data, examples, shape, options);
    if (selectionMargin(reference.pre, examples, shape.latents, selection, dead) > 1e-4) return { theta, data, reference };
  }
  throw new Error('no seed below 100 keeps the margin');
}

async function checkModel(
  shape: SaeShape,
  examples: number,
  selection: SaeSelection,
  maxBindingBytes?: number,
  dead?: boolean[],
  extra: { decoder?: 'dense' | 'sparse'; ties?: boolean } = {},
) {
  const { theta, data, reference } = fixture(shape, examples, selection, dead, extra.ties);
  const model = await GpuTopKAutoencoder.create(gpu(), shape, selection, { data, examples, visibleSize: shape.inputs }, { theta, maxBindingBytes, decoder: extra.decoder });
  try {
    if (extra.decoder) expect(model.sparseDecoder).toBe(extra.decoder === 'sparse');
    if (dead) model.setDeadLatents(dead);
    const evaluation = await model.evaluate();
    const grad = await model.readGradient();
    const L = model.layout;
    const blocks = { W_enc: [L.W1, L.W2], W_dec: [L.W2, L.b1], b_enc: [L.b1, L.b2], b_dec: [L.b2, L.length] } as const;
    const described = { examples, inputs: shape.inputs, latents: shape.latents, selection: selection.kind, k: selection.k, pieces: model.pieces, decoder: model.sparseDecoder ? 'sparse' : 'dense' };
    expectPass([
      compareCost(
        described,
        { cost: 2 * evaluation.cost, parts: { reconstruction: 2 * evaluation.parts.reconstruction, auxK: 2 * evaluation.parts.auxK } },
        { cost: reference.cost, parts: { reconstruction: reference.parts.reconstruction, auxK: reference.parts.auxK } },
      ),
      compareGradient(described, Float64Array.from(grad, (g) => 2 * g), reference.grad, blocks),
    ]);
    expect(Math.abs(2 * evaluation.parts.auxK - reference.parts.auxK)).toBeLessThanOrEqual(1e-5 * reference.parts.auxK);
    return model;
  } catch (error) {
    model.destroy();
    throw error;
  }
}

describe('GpuTopKAutoencoder against saeCost (TopK, pre-bias)', () => {
  it('a 12-40 model, k = 5, 32 examples: cost, gradient, and the kept latents exactly', async () => {
    const shape = { inputs: 12, latents: 40 };
    const model = await checkModel(shape, 32, { kind: 'topk', k: 5 });
    try {
      const { reference } = fixture(shape, 32, { kind: 'topk', k: 5 });
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
    (await checkModel({ inputs: 7, latents: 33 }, 20, { kind: 'topk', k: 1 })).destroy();
  });

  it('600 examples evaluated in 3 pieces', async () => {
    const model = await checkModel({ inputs: 12, latents: 40 }, 600, { kind: 'topk', k: 4 }, 50_000);
    try {
      expect(model.pieces).toBe(3);
    } finally {
      model.destroy();
    }
  });
});

describe('GpuTopKAutoencoder with AuxK against saeCost (the residual a constant)', () => {
  const shape = { inputs: 12, latents: 40 };
  const deadEvery = (n: number) => Array.from({ length: 40 }, (_, i) => i % n === 1);

  it('k = 5, kAux = 6 among 10 dead latents: cost with its AuxK part, gradient', async () => {
    (await checkModel(shape, 32, { kind: 'topk', k: 5, auxK: { kAux: 6 } }, undefined, deadEvery(4))).destroy();
  });

  it('3 dead latents, fewer than kAux = 6: all of them reconstruct the residual; weight 1/8', async () => {
    (await checkModel(shape, 32, { kind: 'topk', k: 5, auxK: { kAux: 6, coefficient: 1 / 8 } }, undefined, deadEvery(14))).destroy();
  });

  it('no dead latent: no AuxK term, the plain TopK gradient', async () => {
    const model = await checkModel(shape, 32, { kind: 'topk', k: 5, auxK: { kAux: 6 } }, undefined, new Array(40).fill(false));
    try {
      expect((await model.evaluate()).parts.auxK).toBe(0);
    } finally {
      model.destroy();
    }
  });

  it('600 examples in 3 pieces', async () => {
    const model = await checkModel(shape, 600, { kind: 'topk', k: 4, auxK: { kAux: 3 } }, 50_000, deadEvery(5));
    try {
      expect(model.pieces).toBe(3);
    } finally {
      model.destroy();
    }
  });
});

describe('GpuTopKAutoencoder, dense and sparse decoder, against saeCost', () => {
  const deadEvery = (n: number, h: number) => Array.from({ length: h }, (_, i) => i % n === 1);
  // [inputs, latents, examples, k, kAux, dead every n, ties, pieces' binding bytes]
  const cases: [string, number, number, number, number, number, number, boolean, number | undefined][] = [
    ['ties at every boundary: latents encode in equal pairs, k odd', 12, 40, 32, 5, 5, 4, true, undefined],
    ['k ≥ latents/2', 7, 33, 20, 17, 9, 3, false, undefined],
    ['k = latents (AuxK among all 11 dead)', 7, 33, 20, 33, 12, 3, false, undefined],
    ['600 examples in 3 pieces', 12, 40, 600, 4, 3, 5, false, 50_000],
  ];
  for (const decoder of ['dense', 'sparse'] as const) {
    it.each(cases)(`${decoder}: %s (%i-%i, %i examples, k %i, kAux %i)`, async (_name, inputs, latents, examples, k, kAux, every, ties, maxBindingBytes) => {
      const model = await checkModel({ inputs, latents }, examples, { kind: 'topk', k, auxK: { kAux } }, maxBindingBytes, deadEvery(every, latents), { decoder, ties });
      model.destroy();
    });
  }

  it('the rule: sparse at k/latents ≤ 1/8, by default; BatchTopK is refused the sparse form', async () => {
    const shape = { inputs: 7, latents: 33 };
    const { theta, data } = fixture(shape, 20, { kind: 'topk', k: 4 });
    const dataset = { data, examples: 20, visibleSize: 7 };
    const sparse = await GpuTopKAutoencoder.create(gpu(), shape, { kind: 'topk', k: 4 }, dataset, { theta });
    const dense = await GpuTopKAutoencoder.create(gpu(), shape, { kind: 'topk', k: 5 }, dataset, { theta });
    try {
      expect([sparse.sparseDecoder, dense.sparseDecoder]).toEqual([true, false]);
    } finally {
      sparse.destroy();
      dense.destroy();
    }
    await expect(GpuTopKAutoencoder.create(gpu(), shape, { kind: 'batchtopk', k: 4 }, dataset, { theta, decoder: 'sparse' })).rejects.toThrow(/sparse decoder needs the row-wise TopK/);
  });

  it('dispatches per evaluation: on the sparse form one B·latents·d product is left, the encoder’s (AuxK selects from a copy)', async () => {
    const shape = { inputs: 12, latents: 40 };
    const { theta, data } = fixture(shape, 32, { kind: 'topk', k: 5 });
    const dataset = { data, examples: 32, visibleSize: 12 };
    const counts: Record<string, [number, number]> = {};
    for (const decoder of ['dense', 'sparse'] as const) {
      for (const auxK of [false, true]) {
        const model = await GpuTopKAutoencoder.create(gpu(), shape, { kind: 'topk', k: 5, ...(auxK ? { auxK: { kAux: 6 } } : {}) }, dataset, { theta, decoder });
        counts[`${decoder}${auxK ? '+auxK' : ''}`] = [model.programs.length, model.programs.filter((p) => p.name.startsWith('matmul')).length];
        model.destroy();
      }
    }
    // [dispatches, of them products]. Dense: the encoder, the decoder, and two products for each
    // of their backward passes, with their reductions. Sparse: the encoder; the decode, δ_pre,
    // the latents' rows and the weight gradients; AuxK's pre-activations a copy; b_dec's path once at the end.
    expect(counts).toEqual({ dense: [21, 6], 'dense+auxK': [37, 12], sparse: [15, 1], 'sparse+auxK': [24, 1] });
  });
});

describe('GpuTopKAutoencoder with BatchTopK against saeCost', () => {
  it('a 12-40 model, k = 5 per example over 32: cost, gradient, the kept set; the running threshold after two batches', async () => {
    const shape = { inputs: 12, latents: 40 };
    const selection = { kind: 'batchtopk', k: 5, rate: 0.25 } as const;
    const model = await checkModel(shape, 32, selection);
    try {
      const { reference, theta, data } = fixture(shape, 32, selection);
      const z = await model.readLatents();
      const kept = (v: number) => (v > 0 ? 1 : 0);
      expect(Array.from(z, kept)).toEqual(Array.from(reference.z, kept));
      expect(Array.from(z).filter((v) => v > 0).length).toBeLessThanOrEqual(5 * 32);
      // Rows keep different numbers of latents: the selection is over the batch, not per row.
      const perRow = Array.from({ length: 32 }, (_, r) => Array.from(z.subarray(r * 40, r * 40 + 40)).filter((v) => v > 0).length);
      expect(new Set(perRow).size).toBeGreaterThan(1);
      await model.evaluate();
      const m = reference.batch!.minPositive!;
      const rate = Math.fround(0.25);
      const expected = updateThreshold(updateThreshold(0, m, rate), m, rate);
      // The smallest kept pre-activation carries the encoder's round-off: x − b (1 rounding), a
      // chain of K = 12 (+ the bias) over Σ|(x − b)·W| + |b_enc|; the two updates scale it by
      // at most 2α and add their own 4 roundings each.
      const L = saeLayout(shape);
      const at = reference.pre.indexOf(m);
      const [r, i] = [Math.floor(at / 40), at % 40];
      let terms = Math.abs(theta[L.b1 + i]);
      for (let c = 0; c < 12; c++) terms += (Math.abs(data[r * 12 + c]) + Math.abs(theta[L.b2 + c])) * Math.abs(theta[L.W1 + c * 40 + i]);
      const bound = 2 * rate * roundoffBound(12 + 2, 1, terms) + 8 * UNIT_ROUNDOFF * expected;
      expect(Math.abs((await model.readThreshold()) - expected)).toBeLessThanOrEqual(bound);
    } finally {
      model.destroy();
    }
  });

  it('a 7-33 model, k = 1 per example over 20', async () => {
    (await checkModel({ inputs: 7, latents: 33 }, 20, { kind: 'batchtopk', k: 1 })).destroy();
  });

  it('refuses data that come in pieces: the selection needs the whole batch', async () => {
    const { theta, data } = fixture({ inputs: 12, latents: 40 }, 600, { kind: 'topk', k: 4 });
    await expect(GpuTopKAutoencoder.create(gpu(), { inputs: 12, latents: 40 }, { kind: 'batchtopk', k: 4 }, { data, examples: 600, visibleSize: 12 }, { theta, maxBindingBytes: 50_000 })).rejects.toThrow(
      /BatchTopK selects over the whole batch, and 600 examples are evaluated in 3 pieces/,
    );
  });
});

describe('GpuTopKAutoencoder with BatchTopK and AuxK against saeCost (the residual a constant)', () => {
  const deadEvery = (n: number) => Array.from({ length: 40 }, (_, i) => i % n === 1);

  it('a 12-40 model, k = 5 per example over 32, kAux = 6 among 10 dead latents: cost with its AuxK part, gradient', async () => {
    (await checkModel({ inputs: 12, latents: 40 }, 32, { kind: 'batchtopk', k: 5, auxK: { kAux: 6 } }, undefined, deadEvery(4))).destroy();
  });

  it('a 7-33 model, k = 1 over 20, 3 dead latents, fewer than kAux = 4; weight 1/8', async () => {
    const dead = Array.from({ length: 33 }, (_, i) => i % 11 === 3);
    (await checkModel({ inputs: 7, latents: 33 }, 20, { kind: 'batchtopk', k: 1, auxK: { kAux: 4, coefficient: 1 / 8 } }, undefined, dead)).destroy();
  });
});

describe('GpuReluL1Autoencoder against saeCost (ReLU, L1 with decoder norms)', () => {
  // λ = 0.25: exact in float32, as is the λ/2 the model's half scale gives its kernels.
  const lambda = 0.25;

  function reluFixture(shape: SaeShape, examples: number) {
    const options: SaeOptions = { activation: { kind: 'relu' }, subtractDecoderBias: false, l1: lambda };
    for (let seed = 1; seed < 100; seed++) {
      const rng = new Random(seed);
      const L = saeLayout(shape);
      const theta = Float32Array.from({ length: L.length }, (_, i) => (i < L.b1 ? rng.uniform() - 0.5 : 0.2 * rng.uniform() - 0.1));
      const data = Float32Array.from({ length: examples * shape.inputs }, () => 2 * rng.uniform() - 1);
      const reference = saeCost(theta, data, examples, shape, options);
      // Away from ReLU's kink, so round-off cannot switch a latent on or off.
      if (Math.min(...Array.from(reference.pre, Math.abs)) > 1e-4) return { theta, data, reference };
    }
    throw new Error('no seed below 100 keeps the margin');
  }

  it.each([
    [12, 40, 32, undefined],
    [7, 33, 20, undefined],
    [12, 40, 600, 50_000],
  ])('a %i-%i model, %i examples: cost with its L1 part, gradient (decoder norms’ included)', async (inputs, latents, examples, maxBindingBytes) => {
    const shape = { inputs, latents };
    const { theta, data, reference } = reluFixture(shape, examples);
    const model = await GpuReluL1Autoencoder.create(gpu(), shape, lambda, { data, examples, visibleSize: inputs }, { theta, maxBindingBytes });
    try {
      const evaluation = await model.evaluate();
      const grad = await model.readGradient();
      const L = model.layout;
      const blocks = { W_enc: [L.W1, L.W2], W_dec: [L.W2, L.b1], b_enc: [L.b1, L.b2], b_dec: [L.b2, L.length] } as const;
      const described = { examples, inputs, latents, lambda, pieces: model.pieces };
      expect(reference.parts.l1).toBeGreaterThan(0.1 * reference.cost);
      expectPass([
        compareCost(
          described,
          { cost: 2 * evaluation.cost, parts: { reconstruction: 2 * evaluation.parts.reconstruction, l1: 2 * evaluation.parts.l1 } },
          { cost: reference.cost, parts: { reconstruction: reference.parts.reconstruction, l1: reference.parts.l1 } },
        ),
        compareGradient(described, Float64Array.from(grad, (g) => 2 * g), reference.grad, blocks),
      ]);
      const parts = Math.abs(2 * evaluation.parts.l1 - reference.parts.l1) / reference.parts.l1;
      expect(parts).toBeLessThan(1e-5);
      if (maxBindingBytes) expect(model.pieces).toBe(3);
    } finally {
      model.destroy();
    }
  });
});
