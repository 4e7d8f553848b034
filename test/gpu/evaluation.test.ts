/**
 * The whole cost and gradient on the GPU against sparseAutoencoderCostDetailed (float64), with
 * the model's fixed tolerances (MODEL_TOLERANCE: cost relative error ≤ 1e-5, gradient relative
 * norm ≤ 1e-4, explained in src/gpu/tolerance.ts), and the intermediates under
 * INTERMEDIATE_TOLERANCE, compared by src/gpu/comparison.ts.
 */
import { describe, expect, it } from 'vitest';
import { MATMUL_VARIANTS } from '../../src/gpu/adapter';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { ResourceLimitError } from '../../src/gpu/errors';
import { checkEvaluation, DEFAULT_HYPERPARAMETERS, makeFixture } from '../../src/gpu/checks';
import { autoencoderBlocks, compareCost, compareElementwise, compareEvaluation, compareVectors } from '../../src/gpu/comparison';
import { INTERMEDIATE_TOLERANCE } from '../../src/gpu/tolerance';
import { sparseAutoencoderCostDetailed } from '../../src/reference/autoencoder';
import { thetaLayout } from '../../src/reference/params';
import { expectPass, useGpuContext, withVariant } from './context';

const gpu = useGpuContext();

describe('whole evaluation against the float64 reference', () => {
  describe.each(MATMUL_VARIANTS)('%s variant (refused where the adapter does not offer it)', (variant) => {
    it.each([
      [7, 3, 1],
      [1, 64, 25],
      [10000, 64, 25],
      [1000, 784, 196],
    ])('m=%i v=%i h=%i', (examples, visibleSize, hiddenSize) =>
      withVariant(gpu(), variant, () => checkEvaluation(gpu(), { examples, visibleSize, hiddenSize, variant })));
  });

  it('m=10000 v=784 h=196 (MNIST-sized), the adapter’s variant', async () => {
    expectPass(await checkEvaluation(gpu(), { examples: 10000, visibleSize: 784, hiddenSize: 196 }));
  });

  // linearDecoderExercise: a linear output over data of any sign, at its 192-400 shape too.
  describe.each(MATMUL_VARIANTS)('a linear output (the linear decoder), %s variant', (variant) => {
    it.each([
      [7, 3, 1],
      [500, 192, 400],
    ])('m=%i v=%i h=%i', (examples, visibleSize, hiddenSize) =>
      withVariant(gpu(), variant, () =>
        checkEvaluation(gpu(), { examples, visibleSize, hiddenSize, output: 'linear', hyperparameters: { sparsityParam: 0.035, lambda: 3e-3, beta: 5 }, variant }),
      ));
  });

  it('other hyperparameters (λ = 0.003, β = 0.5, ρ = 0.1)', async () => {
    const hyperparameters = { sparsityParam: 0.1, lambda: 0.003, beta: 0.5 };
    expectPass(await checkEvaluation(gpu(), { examples: 333, visibleSize: 64, hiddenSize: 25, hyperparameters }));
  });
});

describe('GpuSparseAutoencoder', () => {
  const shape = { visibleSize: 64, hiddenSize: 25 };
  const m = 500;
  const { data, theta } = makeFixture(m, shape.visibleSize, shape.hiddenSize, 11);
  const dataset = { data, examples: m, visibleSize: shape.visibleSize };

  it('evaluate() twice gives bit-identical cost, ρ̂ and gradient (deterministic reductions)', async () => {
    const model = await GpuSparseAutoencoder.create(gpu(), shape, DEFAULT_HYPERPARAMETERS, dataset, { theta });
    try {
      const first = await model.evaluate({ meanActivation: true });
      const grad1 = await model.readGradient();
      const second = await model.evaluate({ meanActivation: true });
      const grad2 = await model.readGradient();
      expect(second.cost).toBe(first.cost);
      expect(second.parts).toEqual(first.parts);
      expect(Array.from(second.meanActivation!)).toEqual(Array.from(first.meanActivation!));
      expect(Array.from(grad2)).toEqual(Array.from(grad1));
    } finally {
      model.destroy();
    }
  });

  it('reads back θ, ρ̂ and the cost buffer; writeTheta changes the result', async () => {
    const model = await GpuSparseAutoencoder.create(gpu(), shape, DEFAULT_HYPERPARAMETERS, dataset, { theta });
    try {
      expect(Array.from(await model.readTheta())).toEqual(Array.from(Float32Array.from(theta)));
      const first = await model.evaluate({ meanActivation: true });
      expect(Array.from(await model.readMeanActivation())).toEqual(Array.from(first.meanActivation!));
      const costs = await model.readCost();
      expect(costs[0]).toBe(first.cost);
      const ref = sparseAutoencoderCostDetailed(theta, shape, DEFAULT_HYPERPARAMETERS, dataset);
      const rhoBounds = new Float64Array(shape.hiddenSize).fill(INTERMEDIATE_TOLERANCE.meanActivationAbsolute);
      expectPass(compareElementwise('ρ̂', shape, first.meanActivation!, ref.meanActivation, rhoBounds));
      const theta2 = theta.map((t) => Math.fround(t * 0.5));
      model.writeTheta(theta2);
      const second = await model.evaluate();
      const ref2 = sparseAutoencoderCostDetailed(theta2, shape, DEFAULT_HYPERPARAMETERS, dataset);
      expectPass(compareCost({ theta: 'θ/2' }, second, ref2));
    } finally {
      model.destroy();
    }
  });

  it('intermediates a2, a3, δ3, δ2 match the reference steps', async () => {
    const model = await GpuSparseAutoencoder.create(gpu(), shape, DEFAULT_HYPERPARAMETERS, dataset, { theta });
    try {
      await model.evaluate();
      const got = await model.readIntermediates();
      const ref = sparseAutoencoderCostDetailed(theta, shape, DEFAULT_HYPERPARAMETERS, dataset);
      const activations = { measure: 'relativeNorm', limit: INTERMEDIATE_TOLERANCE.activationRelativeNorm } as const;
      const deltas = { measure: 'relativeNorm', limit: INTERMEDIATE_TOLERANCE.deltaRelativeNorm } as const;
      expectPass([
        compareVectors('a2', shape, got.a2, ref.a2, activations),
        compareVectors('a3', shape, got.a3, ref.a3, activations),
        compareVectors('δ3', shape, got.delta3, ref.delta3, deltas),
        compareVectors('δ2', shape, got.delta2, ref.delta2, deltas),
      ]);
    } finally {
      model.destroy();
    }
  });

  it('evaluates a contiguous batch [start, start + count) through uniforms', async () => {
    const model = await GpuSparseAutoencoder.create(gpu(), shape, DEFAULT_HYPERPARAMETERS, dataset, { theta });
    try {
      const start = 123;
      const count = 77;
      model.setBatch({ start, count });
      const result = await model.evaluate();
      const grad = await model.readGradient();
      const v = shape.visibleSize;
      const batch = { data: data.subarray(start * v, (start + count) * v), examples: count, visibleSize: v };
      const ref = sparseAutoencoderCostDetailed(theta, shape, DEFAULT_HYPERPARAMETERS, batch);
      expectPass(compareEvaluation({ start, count }, { ...result, grad }, ref, autoencoderBlocks(shape)));
      expect(() => model.setBatch({ start: 450, count: 51 })).toThrow(RangeError);
    } finally {
      model.destroy();
    }
  });

  it('setHyperparameters changes the cost without recompiling', async () => {
    const model = await GpuSparseAutoencoder.create(gpu(), shape, DEFAULT_HYPERPARAMETERS, dataset, { theta });
    try {
      const created = gpu().pipelines.stats.pipelinesCreated;
      const hp = { sparsityParam: 0.05, lambda: 0.01, beta: 1 };
      model.setHyperparameters(hp);
      const result = await model.evaluate();
      const ref = sparseAutoencoderCostDetailed(theta, shape, { sparsityParam: Math.fround(0.05), lambda: Math.fround(0.01), beta: 1 }, dataset);
      expectPass(compareCost(hp, result, ref));
      expect(gpu().pipelines.stats.pipelinesCreated).toBe(created);
    } finally {
      model.destroy();
    }
  });

  it('encodeEvaluation records into a caller’s pass, with caller-owned θ and gradient buffers', async () => {
    const ctx = gpu();
    const model = await GpuSparseAutoencoder.create(ctx, shape, DEFAULT_HYPERPARAMETERS, dataset, { theta });
    const L = thetaLayout(shape);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const myTheta = ctx.device.createBuffer({ size: L.length * 4, usage });
    const myGrad = ctx.device.createBuffer({ size: L.length * 4, usage });
    try {
      const scaled = theta.map((t) => Math.fround(t * 0.25));
      ctx.device.queue.writeBuffer(myTheta, 0, Float32Array.from(scaled));
      const encoder = ctx.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      model.encodeEvaluation(pass, myTheta, myGrad);
      pass.end();
      ctx.device.queue.submit([encoder.finish()]);
      const [cost, reconstruction, weightDecay, sparsity] = await model.readCost();
      const read = ctx.device.createBuffer({ size: L.length * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const copy = ctx.device.createCommandEncoder();
      copy.copyBufferToBuffer(myGrad, 0, read, 0, L.length * 4);
      ctx.device.queue.submit([copy.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const grad = new Float32Array(read.getMappedRange().slice(0));
      read.destroy();
      const ref = sparseAutoencoderCostDetailed(scaled, shape, DEFAULT_HYPERPARAMETERS, dataset);
      expectPass(compareEvaluation({ theta: 'caller’s θ/4' }, { cost, parts: { reconstruction, weightDecay, sparsity }, grad }, ref, autoencoderBlocks(shape)));
      // The model's own θ and gradient were not touched.
      expect(Array.from(await model.readTheta())).toEqual(Array.from(Float32Array.from(theta)));
    } finally {
      myTheta.destroy();
      myGrad.destroy();
      model.destroy();
    }
  });

  it('rejects mismatched inputs with clear errors', async () => {
    const ctx = gpu();
    await expect(GpuSparseAutoencoder.create(ctx, { visibleSize: 65, hiddenSize: 25 }, DEFAULT_HYPERPARAMETERS, dataset)).rejects.toThrow(/65/);
    await expect(GpuSparseAutoencoder.create(ctx, shape, { ...DEFAULT_HYPERPARAMETERS, sparsityParam: 1 }, dataset)).rejects.toThrow(/ρ/);
    const model = await GpuSparseAutoencoder.create(ctx, shape, DEFAULT_HYPERPARAMETERS, dataset);
    expect(() => model.writeTheta(new Float64Array(3))).toThrow(/needs/);
    model.destroy();
    expect(() => model.writeTheta(theta)).toThrow(/destroyed/);
  });
});

describe('models larger than the adapter can bind', () => {
  it('are refused before any buffer is made, saying what needs how much and what the adapter allows', async () => {
    const ctx = gpu();
    const limit = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
    // W1 alone (visible 64 × hidden, float32) one hidden unit past the limit.
    const hiddenSize = Math.ceil(limit / (64 * 4)) + 1;
    const dataset = { data: new Float64Array(2 * 64).fill(0.5), examples: 2, visibleSize: 64 };
    const made = ctx.counters.buffersCreated;
    const attempt = GpuSparseAutoencoder.create(ctx, { visibleSize: 64, hiddenSize }, DEFAULT_HYPERPARAMETERS, dataset);
    await expect(attempt).rejects.toThrow(ResourceLimitError);
    await expect(attempt).rejects.toThrow(/needs [\d.]+ [KMGT]?B in one GPU buffer; this adapter's largest is [\d.]+ [KMGT]?B: use fewer hidden units/);
    expect(ctx.counters.buffersCreated).toBe(made);
  });
});
