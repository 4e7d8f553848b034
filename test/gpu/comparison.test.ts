/** src/gpu/comparison.ts on made-up numbers: no GPU. */
import { describe, expect, it } from 'vitest';
import {
  autoencoderBlocks,
  compareCost,
  compareElementwise,
  compareEvaluation,
  compareGradient,
  compareVectors,
  formatCheck,
  relativeNorm,
  WORST_COUNT,
} from '../../src/gpu/comparison';
import { MODEL_TOLERANCE } from '../../src/gpu/tolerance';
import { relativeDifference } from '../../src/reference/gradcheck';
import { thetaLayout } from '../../src/reference/params';

describe('compareElementwise', () => {
  it('passes with every entry within its own bound, inclusive, and lists the worst by error/bound', () => {
    const reference = [1, 2, 3, 4, 5, 6, 7];
    const gpu = [1, 2.1, 3, 4.3, 5, 6, 7.05];
    const bounds = [0, 0.2, 0.1, 0.3, 0.1, 0.1, 1];
    const r = compareElementwise('x', { n: 7 }, gpu, reference, bounds);
    expect(r.pass).toBe(true);
    expect(r.maxError).toBeCloseTo(0.3, 12);
    // ratios: #3 1.0 (at its bound), #1 0.5, #6 0.05, then the exact ones
    expect(r.worst.map((w) => w.index).slice(0, 3)).toEqual([3, 1, 6]);
    expect(r.worst).toHaveLength(WORST_COUNT);
    expect(r.bound).toBe(0.3);
  });

  it('fails on one entry past its bound, on a non-zero error where the bound is 0, and on NaN', () => {
    expect(compareElementwise('x', {}, [1, 2.5], [1, 2], [0, 0.4]).pass).toBe(false);
    const zero = compareElementwise('padding', {}, [0, 1e-30], [0, 0], [0, 0]);
    expect(zero.pass).toBe(false);
    expect(zero.worst[0].index).toBe(1);
    const nan = compareElementwise('x', {}, [1, NaN, 3], [1, 2, 3], [1, 1, 1]);
    expect(nan.pass).toBe(false);
    expect(nan.maxError).toBe(Infinity);
    expect(nan.worst[0].index).toBe(1);
  });

  it('refuses arrays of different lengths', () => {
    expect(() => compareElementwise('x', {}, [1], [1, 2], [0, 0])).toThrow(RangeError);
  });
});

describe('relativeNorm and compareVectors', () => {
  it('measure ‖a − b‖/‖b‖ and UFLDL’s ‖a − b‖/‖a + b‖ over a range', () => {
    const a = Float64Array.of(9, 3, 4, 9);
    const b = Float64Array.of(0, 3, 0, 0);
    expect(relativeNorm(a, b, 1, 3)).toBeCloseTo(4 / 3, 15);
    expect(relativeNorm([0, 0], [0, 0])).toBe(0);
    expect(relativeNorm([1, 0], [0, 0])).toBe(Infinity);
    const r = compareVectors('v', {}, a, b, { measure: 'relativeNorm', limit: 2 }, 1, 3);
    expect(r.pass).toBe(true);
    expect(r.maxError).toBeCloseTo(4 / 3, 15);
    expect(r.details).toEqual({ relativeError: r.maxError, relativeDifference: relativeDifference([3, 4], [3, 0]), maxDifference: 4, entries: 2 });
    expect(r.worst.map((w) => w.index)).toEqual([2, 1]);
    expect(Number.isNaN(r.worst[0].bound)).toBe(true);
  });

  it('hold the relative norm to its limit inclusively, UFLDL’s relative difference strictly', () => {
    const a = [1.5, 0];
    const b = [1, 0];
    expect(compareVectors('v', {}, a, b, { measure: 'relativeNorm', limit: 0.5 }).pass).toBe(true);
    const ufldl = relativeDifference(a, b);
    expect(compareVectors('v', {}, a, b, { measure: 'relativeDifference', limit: ufldl }).pass).toBe(false);
    expect(compareVectors('v', {}, a, b, { measure: 'relativeDifference', limit: ufldl * 1.01 }).pass).toBe(true);
  });

  it('fail on a non-finite value and list it first', () => {
    const r = compareVectors('v', {}, [1, NaN, 3], [1, 2, 3], { measure: 'relativeNorm', limit: 1 });
    expect(r.pass).toBe(false);
    expect(r.maxError).toBe(Infinity);
    expect(r.worst[0].index).toBe(1);
  });
});

describe('compareGradient', () => {
  const shape = { visibleSize: 4, hiddenSize: 3 };
  const L = thetaLayout(shape);
  const reference = Float64Array.from({ length: L.length }, (_, i) => 1 + i);

  it('autoencoderBlocks are W1, W2, b1, b2 in θ’s order, covering θ', () => {
    const blocks = autoencoderBlocks(shape);
    expect(Object.keys(blocks)).toEqual(['W1', 'W2', 'b1', 'b2']);
    const ranges = Object.values(blocks);
    expect(ranges[0][0]).toBe(0);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1]);
    expect(ranges[ranges.length - 1][1]).toBe(L.length);
  });

  it('compares the whole under MODEL_TOLERANCE and each block on its own, with its worst entries', () => {
    const gpu = Float32Array.from(reference);
    gpu[L.b1 + 1] *= 1 + 2e-4; // one bias off: b1's block fails (1.2e-4), the whole does not (5e-5)
    const r = compareGradient({ case: 'one bias' }, gpu, reference, autoencoderBlocks(shape));
    expect(r.bound).toBe(MODEL_TOLERANCE.gradientRelativeNorm);
    expect(r.maxError).toBeCloseTo(relativeNorm(gpu, reference), 15);
    expect(r.pass).toBe(true);
    expect(r.blocks.map((b) => b.name)).toEqual(['W1', 'W2', 'b1', 'b2']);
    const b1 = r.blocks[2];
    expect(b1.pass).toBe(false);
    expect(b1.worst[0].index).toBe(L.b1 + 1);
    expect(b1.details!.entries).toBe(3);
    expect(r.blocks.filter((b) => b.name !== 'b1').every((b) => b.pass)).toBe(true);
    expect(r.details!.b1).toBe(b1.details!.relativeError);
    expect(r.worst[0].index).toBe(L.b1 + 1);
    expect(formatCheck(r)).toMatch(/\n {2}FAIL b1: .* over 3 entries, worst #\d+/);
  });

  it('fails the whole on a NaN anywhere', () => {
    const gpu = Float64Array.from(reference);
    gpu[0] = NaN;
    const r = compareGradient({}, gpu, reference, autoencoderBlocks(shape));
    expect(r.pass).toBe(false);
    expect(r.blocks[0].pass).toBe(false);
  });
});

describe('compareCost and compareEvaluation', () => {
  const parts = { reconstruction: 1, weightDecay: 0.5, sparsity: 0.25 };

  it('holds J to MODEL_TOLERANCE.costRelative with each part’s relative error in the details', () => {
    const gpu = { cost: 1.75 * (1 + 5e-6), parts: { ...parts, sparsity: 0.25 * (1 + 1e-3) } };
    const r = compareCost({}, gpu, { cost: 1.75, parts });
    expect(r.pass).toBe(true);
    expect(r.maxError).toBeCloseTo(5e-6, 12);
    expect(r.details!.sparsityRelative).toBeCloseTo(1e-3, 12);
    expect(compareCost({}, { cost: 1.75 * (1 + 2e-5), parts }, { cost: 1.75, parts }).pass).toBe(false);
    expect(compareCost({}, { cost: NaN, parts }, { cost: 1.75, parts }).pass).toBe(false);
  });

  it('gives [J, ∇J with its blocks]', () => {
    const shape = { visibleSize: 2, hiddenSize: 1 };
    const grad = Float64Array.from({ length: thetaLayout(shape).length }, (_, i) => i + 1);
    const [cost, gradient] = compareEvaluation({}, { cost: 1, parts, grad }, { cost: 1, parts, grad }, autoencoderBlocks(shape));
    expect(cost.pass && gradient.pass).toBe(true);
    expect(gradient.maxError).toBe(0);
    expect(gradient.blocks?.map((b) => b.name)).toEqual(['W1', 'W2', 'b1', 'b2']);
  });
});
