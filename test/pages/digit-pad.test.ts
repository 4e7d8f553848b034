/**
 * A drawn digit prepared as MNIST's were (src/pages/classify/digit-pad.ts): the ink's box scaled
 * to 20 pixels on its longer side, aspect kept, centre of mass at the field's centre.
 */
import { describe, expect, it } from 'vitest';
import { centreOfMass, INK_BOX, MNIST_SIDE, mnistDigitFromInk, softmaxOf, strongestFeatures, strongestPooledFeatures } from '../../src/pages/classify/digit-pad';

/** A width × height canvas of zeros with the rectangle [x0, x1) × [y0, y1) inked. */
function inkRect(width: number, height: number, x0: number, y0: number, x1: number, y1: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * width + x] = 1;
  return ink;
}

/** The box of the non-zero pixels of a 28 × 28 digit. */
function box(digit: Float32Array): { width: number; height: number; left: number; top: number } {
  let [left, top, right, bottom] = [MNIST_SIDE, MNIST_SIDE, -1, -1];
  for (let r = 0; r < MNIST_SIDE; r++) {
    for (let c = 0; c < MNIST_SIDE; c++) {
      if (digit[r * MNIST_SIDE + c] > 1e-9) [left, right, top, bottom] = [Math.min(left, c), Math.max(right, c), Math.min(top, r), Math.max(bottom, r)];
    }
  }
  return { width: right - left + 1, height: bottom - top + 1, left, top };
}

describe('a drawn digit as MNIST prepared its digits', () => {
  it('a small stroke drawn in a corner: scaled to 20 on its long side, aspect kept, centred by mass', () => {
    // 30 × 60 (1:2) in the top-left of a 280 × 280 pad.
    const digit = mnistDigitFromInk(inkRect(280, 280, 5, 10, 35, 70), 280, 280);
    const b = box(digit);
    expect(b.height).toBe(INK_BOX);
    expect(b.width).toBe(10);
    const com = centreOfMass(digit);
    expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5);
    // A full rectangle stays full: area averaging keeps solid ink at 1.
    expect(Math.max(...digit)).toBeCloseTo(1, 12);
    expect(digit.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('the centre of mass, not the box, is centred: an L puts its box off-centre', () => {
    // A vertical bar with a foot to the right: more mass on the left.
    const ink = inkRect(200, 200, 50, 20, 70, 180);
    for (let y = 160; y < 180; y++) for (let x = 70; x < 150; x++) ink[y * 200 + x] = 1;
    const digit = mnistDigitFromInk(ink, 200, 200);
    const com = centreOfMass(digit);
    expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5);
    const b = box(digit);
    expect(b.height).toBe(20);
    // Centred by its box it would start at column 4 (20 wide: 4 … 23); its mass lies left, so it moves right.
    expect(b.left).toBeGreaterThan(4);
  });

  it('gray levels average the ink under each pixel; nothing drawn is all zeros', () => {
    // A 1-pixel line in a 200-pixel box: each small pixel covers 10 × 10, so a tenth of ink.
    const ink = inkRect(300, 300, 0, 0, 200, 1);
    ink[199 * 300] = 1; // makes the box 200 × 200
    const digit = mnistDigitFromInk(ink, 300, 300);
    const row = box(digit).top;
    expect(digit[row * MNIST_SIDE + 10]).toBeCloseTo(0.1, 6); // float32
    expect(mnistDigitFromInk(new Float32Array(100), 10, 10).every((v) => v === 0)).toBe(true);
  });

  it('softmax sums to 1 and keeps the order of the logits, even for large ones', () => {
    const p = softmaxOf([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[0]);
    expect(p[0]).toBeGreaterThan(p[2]);
    expect(p[1] / p[0]).toBeCloseTo(Math.E, 10);
  });

  it("a first layer's strongest sigmoid features, from θ's row-major inputs × outputs block", () => {
    // 3 inputs, 2 outputs at W = 4, b = 10.
    const theta = new Float64Array(12);
    theta.set([1, -1, 0, 2, 3, 0], 4); // W[i][j]
    theta.set([0.5, -0.5], 10);
    const x = [1, 0.5, 2];
    const z0 = 1 * 1 + 0.5 * 0 + 2 * 3 + 0.5;
    const z1 = 1 * -1 + 0.5 * 2 + 2 * 0 - 0.5;
    const top = strongestFeatures(theta, { W: 4, b: 10, inputs: 3, outputs: 2 }, x, 2);
    expect(top.map((f) => f.unit)).toEqual([0, 1]);
    expect(top[0].activation).toBeCloseTo(1 / (1 + Math.exp(-z0)), 14);
    expect(top[1].activation).toBeCloseTo(1 / (1 + Math.exp(-z1)), 14);
  });

  it('conv: the pooled features that rise most above their response to blank paper, not the largest pooled values', () => {
    // Three features of 2×2 maps. Feature 0 answers background (σ(b) ≈ 0.95, every cell 0.95):
    // the largest values but no rise. Feature 1 rises by 0.4 in one cell, feature 2 by 0.2.
    const sigma = (z: number) => 1 / (1 + Math.exp(-z));
    const bias = [3, 0, -1];
    const pooled = [
      ...[0, 0, 0, 0].map(() => sigma(3)),
      0.5, 0.9, 0.5, 0.5,
      sigma(-1) + 0.2, sigma(-1), sigma(-1) - 0.1, sigma(-1),
    ];
    const top = strongestPooledFeatures(pooled, bias, 2, 3);
    expect(top.map((f) => f.unit)).toEqual([1, 2, 0]);
    expect(top[0].strength).toBeCloseTo(0.4, 12);
    expect(top[1].strength).toBeCloseTo(0.2, 12);
    expect(top[2].strength).toBeCloseTo(0, 12);
    expect(strongestPooledFeatures(pooled, bias, 2, 1)).toHaveLength(1);
    expect(() => strongestPooledFeatures(pooled.slice(1), bias, 2, 1)).toThrow(/11 pooled values are not 3 maps of 2×2/);
  });
});
