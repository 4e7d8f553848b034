/**
 * The classifier on the GPU (softmax regression and the stacked network) against the float64
 * reference (src/reference/classifier.ts): the softmax kernel per entry under the round-off
 * policy, whole evaluations under MODEL_TOLERANCE, for every matmul variant the adapter offers.
 */
import { describe, expect, it } from 'vitest';
import { MATMUL_VARIANTS } from '../../src/gpu/adapter';
import { checkClassifierEvaluation, checkSoftmax, makeClassifierFixture } from '../../src/gpu/checks';
import { GpuClassifier } from '../../src/gpu/classifier';
import { classifierProbabilities, predictClasses } from '../../src/reference/classifier';
import { Random } from '../../src/random';
import { expectPass, useGpuContext, withVariant } from './context';

const gpu = useGpuContext();

describe('softmax kernel', () => {
  it.each([
    [1, 2, 4],
    [100, 10, 8],
    [1000, 10, 30],
    [129, 7, 1],
  ])('rows=%i classes=%i spread ±%i', async (rows, classes, spread) => {
    expectPass(await checkSoftmax(gpu(), { rows, classes, spread }));
  });
});

describe('classifier evaluation against the float64 reference', () => {
  const cases: Array<[string, { examples: number; inputSize: number; hiddenSizes: number[]; numClasses: number; lambda: number }]> = [
    ['softmax regression, tiny', { examples: 5, inputSize: 3, hiddenSizes: [], numClasses: 2, lambda: 1e-4 }],
    ['softmax regression, MNIST-shaped', { examples: 2000, inputSize: 784, hiddenSizes: [], numClasses: 10, lambda: 1e-4 }],
    ['one hidden layer', { examples: 300, inputSize: 30, hiddenSizes: [17], numClasses: 5, lambda: 3e-3 }],
    ['stacked 784-200-200-10', { examples: 500, inputSize: 784, hiddenSizes: [200, 200], numClasses: 10, lambda: 1e-4 }],
  ];
  describe.each(MATMUL_VARIANTS)('%s variant (refused where the adapter does not offer it)', (variant) => {
    for (const [name, spec] of cases) {
      it(name, () => withVariant(gpu(), variant, () => checkClassifierEvaluation(gpu(), { ...spec, variant })));
    }
  });
});

describe('classifier with fused hidden deltas (subgroups: δₗ in the epilogue of δ_above·W_abovepᵀ)', () => {
  it('one dispatch fewer per hidden layer than step by step, both within the model tolerance', async () => {
    const spec = { examples: 300, inputSize: 30, hiddenSizes: [17, 11], numClasses: 5, lambda: 3e-3, variant: 'subgroups' as const };
    await withVariant(gpu(), 'subgroups', async () => {
      const fused = await checkClassifierEvaluation(gpu(), spec);
      const unfused = await checkClassifierEvaluation(gpu(), { ...spec, fused: false });
      const [f, u] = [fused[0].shape, unfused[0].shape];
      expect([f.fused, u.fused]).toEqual([true, false]);
      expect(Number(u.dispatches) - Number(f.dispatches)).toBe(spec.hiddenSizes.length);
      return [...fused, ...unfused];
    });
  });
});

describe('GpuClassifier', () => {
  const spec = { examples: 257, inputSize: 20, hiddenSizes: [9], numClasses: 4, seed: 5 };
  const { data, theta } = makeClassifierFixture(spec);

  it('evaluates deterministically, and writeTheta changes the result', async () => {
    const model = await GpuClassifier.create(gpu(), spec, 1e-3, data, { theta });
    try {
      const first = await model.evaluate();
      const g1 = await model.readGradient();
      const second = await model.evaluate();
      expect(second).toEqual(first);
      expect(Array.from(await model.readGradient())).toEqual(Array.from(g1));
      model.writeTheta(theta.map((t) => t * 2));
      expect((await model.evaluate()).cost).not.toBe(first.cost);
    } finally {
      model.destroy();
    }
  });

  it('predicts the reference’s classes', async () => {
    // Softmax regression with θ ~ N(0, 1): the classes are far from ties and all occur.
    const flat = { ...spec, hiddenSizes: [] };
    const rng = new Random(8);
    const sharp = Float64Array.from({ length: flat.inputSize * flat.numClasses }, () => Math.fround(rng.normal()));
    const model = await GpuClassifier.create(gpu(), flat, 0, data, { theta: sharp });
    try {
      const predicted = await model.predict(sharp);
      const reference = predictClasses(classifierProbabilities(sharp, flat, data), spec.examples, spec.numClasses);
      const agree = predicted.filter((c, i) => c === reference[i]).length;
      expect(agree).toBe(spec.examples);
      expect(new Set(predicted).size).toBeGreaterThan(1);
    } finally {
      model.destroy();
    }
  });

  it('refuses labels outside the classes and θ of the wrong length', async () => {
    await expect(GpuClassifier.create(gpu(), spec, 0, { ...data, labels: data.labels.map(() => 4) })).rejects.toThrow(/label 0 is 4/);
    const model = await GpuClassifier.create(gpu(), spec, 0, data);
    try {
      expect(() => model.writeTheta(new Float32Array(3))).toThrow(/θ has 3 values/);
    } finally {
      model.destroy();
    }
  });
});
