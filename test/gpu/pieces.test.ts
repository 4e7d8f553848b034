/**
 * Data beyond one storage binding: the autoencoder evaluates it in pieces (src/gpu/autoencoder.ts).
 * Forced small bindings give many pieces of a small set, compared with the float64 reference and
 * with the same model in one piece; one real set (45,000 × 784 float32 = 141 MB) is larger than
 * lavapipe's 128 MiB binding and trains.
 */
import { describe, expect, it } from 'vitest';
import { GpuSparseAutoencoder, pieceRowsFor } from '../../src/gpu/autoencoder';
import { compareCost, compareGradient, makeClassifierFixture, makeFixture } from '../../src/gpu/checks';
import { GpuClassifier } from '../../src/gpu/classifier';
import { classifierCost } from '../../src/reference/classifier';
import { ResourceLimitError } from '../../src/gpu/errors';
import { minimizeLbfgs } from '../../src/optim/lbfgs';
import { Random } from '../../src/random';
import { UFLDL_HYPERPARAMETERS, sparseAutoencoderCost } from '../../src/reference/autoencoder';
import { initializeParameters, thetaLayout, type Shape } from '../../src/reference/params';
import { createGpuTrainingEngine } from '../../src/train/gpu-engine';
import { gpuCompute } from '../../src/classify/gpu-compute';
import { expectPass, useGpuContext } from './context';

const gpu = useGpuContext();

function blocks(shape: Shape): Record<string, readonly [number, number]> {
  const L = thetaLayout(shape);
  return { W1: [L.W1, L.W2], W2: [L.W2, L.b1], b1: [L.b1, L.b2], b2: [L.b2, L.length] };
}

describe('an evaluation in pieces', () => {
  const shape = { visibleSize: 64, hiddenSize: 25 };
  const m = 1000;
  const { data, theta } = makeFixture(m, 64, 25, 7);
  const dataset = { data, examples: m, visibleSize: 64 };
  // 70,000 bytes: 273 rows of 64 floats, so pieces of 256 examples: 256, 256, 256, 232.
  const maxBindingBytes = 70_000;

  it('splits as planned', () => {
    expect(pieceRowsFor(64, 25, 256, maxBindingBytes)).toBe(256);
  });

  it('matches the float64 reference and the one-piece evaluation', async () => {
    const pieced = await GpuSparseAutoencoder.create(gpu(), shape, UFLDL_HYPERPARAMETERS, dataset, { theta, maxBindingBytes });
    const whole = await GpuSparseAutoencoder.create(gpu(), shape, UFLDL_HYPERPARAMETERS, dataset, { theta });
    try {
      expect(pieced.pieces).toBe(4);
      expect(whole.pieces).toBe(1);
      const a = await pieced.evaluate({ meanActivation: true });
      const gradA = await pieced.readGradient();
      const b = await whole.evaluate({ meanActivation: true });
      const gradB = await whole.readGradient();
      const hp32 = { sparsityParam: Math.fround(0.01), lambda: Math.fround(1e-4), beta: 3 };
      const ref = sparseAutoencoderCost(theta, shape, hp32, dataset);
      const label = { examples: m, pieces: 4 };
      expectPass([compareCost(label, a, ref), compareGradient(label, gradA, ref.grad, blocks(shape))]);
      // The same sums in another grouping: as close to the one-piece result as to float64.
      expect(Math.abs(a.cost - b.cost) / b.cost).toBeLessThan(1e-6);
      for (let j = 0; j < 25; j++) expect(Math.abs(a.meanActivation![j] - b.meanActivation![j])).toBeLessThan(1e-6);
      expectPass(compareGradient(label, gradA, gradB, blocks(shape)));
    } finally {
      pieced.destroy();
      whole.destroy();
    }
  });

  it('evaluates a mini-batch anywhere in the set bit for bit as one piece does, and refuses one larger than a piece', async () => {
    const pieced = await GpuSparseAutoencoder.create(gpu(), shape, UFLDL_HYPERPARAMETERS, dataset, { theta, maxBindingBytes });
    const whole = await GpuSparseAutoencoder.create(gpu(), shape, UFLDL_HYPERPARAMETERS, dataset, { theta });
    try {
      for (const batch of [
        { start: 0, count: 100 },
        { start: 301, count: 97 },
        { start: 760, count: 240 },
      ]) {
        pieced.setBatch(batch);
        whole.setBatch(batch);
        const a = await pieced.evaluate();
        const b = await whole.evaluate();
        expect(a).toEqual(b);
        expect(Array.from(await pieced.readGradient())).toEqual(Array.from(await whole.readGradient()));
      }
      expect(() => pieced.setBatch({ start: 0, count: 241 })).toThrow(/more than one piece of this data set holds \(240\)/);
    } finally {
      pieced.destroy();
      whole.destroy();
    }
  });

  it('refuses a model whose 256 examples cannot fit a binding, saying what to do', async () => {
    await expect(GpuSparseAutoencoder.create(gpu(), shape, UFLDL_HYPERPARAMETERS, dataset, { theta, maxBindingBytes: 8_000 })).rejects.toThrow(ResourceLimitError);
  });
});

describe('a classifier in pieces', () => {
  it('a stacked classifier over 900 examples in 4 pieces matches the reference and the one-piece cost; predictions agree', async () => {
    const spec = { examples: 900, inputSize: 60, hiddenSizes: [20, 12], numClasses: 5, seed: 2 };
    const { data, theta } = makeClassifierFixture(spec);
    // 256 rows of 60 floats (240 bytes) fit; 900 do not.
    const pieced = await GpuClassifier.create(gpu(), spec, 1e-3, data, { theta, maxBindingBytes: 256 * 240 + 100 });
    const whole = await GpuClassifier.create(gpu(), spec, 1e-3, data, { theta });
    try {
      expect(pieced.pieces).toBe(4);
      const a = await pieced.evaluate();
      const b = await whole.evaluate();
      const ref = classifierCost(theta, spec, Math.fround(1e-3), data);
      const L = pieced.layout;
      const blocks = { softmaxTheta: [0, L.softmaxLength] as const, W1: [L.layers[0].W, L.layers[0].b] as const, W2: [L.layers[1].W, L.layers[1].b] as const };
      expectPass([compareCost({ pieces: 4 }, a, ref), compareGradient({ pieces: 4 }, await pieced.readGradient(), ref.grad, blocks)]);
      // The cross-entropy partials lie as in one piece: the same cost, bit for bit.
      expect(a).toEqual(b);
      expect(Array.from(await pieced.predict(theta))).toEqual(Array.from(await whole.predict(theta)));
    } finally {
      pieced.destroy();
      whole.destroy();
    }
  });
});

describe('a classifier’s mini-batches in pieces (the model layer gives every network the same piecing)', () => {
  it('evaluates a batch anywhere in the set bit for bit as one piece does', async () => {
    const spec = { examples: 900, inputSize: 60, hiddenSizes: [20], numClasses: 5, seed: 4 };
    const { data, theta } = makeClassifierFixture(spec);
    const pieced = await GpuClassifier.create(gpu(), spec, 1e-3, data, { theta, maxBindingBytes: 256 * 240 + 100 });
    const whole = await GpuClassifier.create(gpu(), spec, 1e-3, data, { theta });
    try {
      expect(pieced.pieces).toBe(4);
      for (const batch of [
        { start: 0, count: 100 },
        { start: 333, count: 211 },
      ]) {
        pieced.setBatch(batch);
        whole.setBatch(batch);
        expect(await pieced.evaluate()).toEqual(await whole.evaluate());
        expect(Array.from(await pieced.readGradient())).toEqual(Array.from(await whole.readGradient()));
        expect(Array.from(await pieced.predict(theta))).toEqual(Array.from(await whole.predict(theta)));
      }
    } finally {
      pieced.destroy();
      whole.destroy();
    }
  });
});

describe('fits checked before work: what create() would refuse, refused without creating anything', () => {
  it('an autoencoder and a classifier too large for one binding, with the message create() gives', async () => {
    // maxBindingBytes 8,000: 256 examples of 64 floats cannot fit (as 'refuses a model whose 256 examples…').
    const shape = { visibleSize: 64, hiddenSize: 25 };
    const { data } = makeFixture(1000, 64, 25, 7);
    const options = { maxBindingBytes: 8_000 };
    let created: unknown;
    try {
      await GpuSparseAutoencoder.create(gpu(), shape, UFLDL_HYPERPARAMETERS, { data, examples: 1000, visibleSize: 64 }, options);
    } catch (error) {
      created = error;
    }
    expect(created).toBeInstanceOf(ResourceLimitError);
    expect(() => GpuSparseAutoencoder.checkFits(gpu(), shape, 1000, options)).toThrow((created as Error).message);
    expect(() => GpuSparseAutoencoder.checkFits(gpu(), shape, 1000)).not.toThrow();
    const classifier = { inputSize: 64, hiddenSizes: [25], numClasses: 10 };
    expect(() => GpuClassifier.checkFits(gpu(), classifier, 1000, options)).toThrow(ResourceLimitError);
    expect(() => GpuClassifier.checkFits(gpu(), classifier, 1000)).not.toThrow();
  });

  it('a classification run asks it of every stage’s model before the first starts', () => {
    const limit = gpu().device.limits.maxStorageBufferBindingSize;
    // A stage whose θ and data fit, but whose W1 (visible × hidden, padded) would not fit a binding.
    const hidden = Math.ceil(limit / (4 * 8)) + 4;
    const compute = gpuCompute(gpu());
    const stage = { name: 'autoencoder', thetaLength: 1000, examples: 10, width: 8, autoencoder: { visibleSize: 8, hiddenSize: hidden } };
    expect(() => compute.checkFits([stage], 10)).toThrow(/needs .* in one GPU buffer; this adapter's largest is/);
    expect(() => compute.checkFits([{ ...stage, autoencoder: { visibleSize: 8, hiddenSize: 25 } }], 10)).not.toThrow();
  });
});

describe('a data set larger than the adapter’s binding', () => {
  it('45,000 × 784 (141 MB of float32) evaluates against the reference and trains with L-BFGS', async () => {
    const shape = { visibleSize: 784, hiddenSize: 8 };
    const m = 45_000;
    const rng = new Random(5);
    const data = new Float64Array(m * 784);
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(rng.uniform());
    const dataset = { data, examples: m, visibleSize: 784 };
    expect(m * 784 * 4).toBeGreaterThan(gpu().device.limits.maxStorageBufferBindingSize);
    const theta = initializeParameters(shape, 3).map(Math.fround);
    const hp = { sparsityParam: 0.1, lambda: 3e-3, beta: 3 };
    const model = await GpuSparseAutoencoder.create(gpu(), shape, hp, dataset, { theta });
    try {
      expect(model.pieces).toBeGreaterThan(1);
      const evaluation = await model.evaluate();
      const ref = sparseAutoencoderCost(theta, shape, { sparsityParam: Math.fround(0.1), lambda: Math.fround(3e-3), beta: 3 }, dataset);
      expectPass([compareCost({ examples: m }, evaluation, ref), compareGradient({ examples: m }, await model.readGradient(), ref.grad, blocks(shape))]);
    } finally {
      model.destroy();
    }
    const engine = await createGpuTrainingEngine(gpu(), shape, hp, dataset);
    const backend = await engine.lbfgs(10);
    try {
      const result = await minimizeLbfgs(backend, theta, { maxIterations: 3 });
      expect(result.iterations).toBe(3);
      expect(result.cost).toBeLessThan(sparseAutoencoderCost(theta, shape, hp, dataset).cost);
    } finally {
      backend.dispose();
      engine.destroy();
    }
  });
});
