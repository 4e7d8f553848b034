/**
 * The vector-free two-loop recursion (src/optim/vector-free.ts) against the textbook one, in
 * float64: the same directions from inner products alone, and inner products kept up to date
 * through pairs that come, go (a full memory) and are skipped, in two stores that take turns.
 */
import { describe, expect, it } from 'vitest';
import { twoLoopDirection } from '../../src/optim/lbfgs-cpu';
import { directionCoefficients, InnerProductTable, innerProductsOf, type InnerProducts } from '../../src/optim/vector-free';
import { Random } from '../../src/random';
import { relativeNorm } from '../../src/gpu/comparison';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

function maxRelativeDifference(a: InnerProducts, b: InnerProducts): number {
  let worst = 0;
  for (const key of ['ss', 'sy', 'yy', 'gs', 'gy'] as const) {
    const scale = Math.max(...Array.from(b[key], Math.abs), 1e-300);
    for (let i = 0; i < a[key].length; i++) worst = Math.max(worst, Math.abs(a[key][i] - b[key][i]) / scale);
  }
  return worst;
}

describe('vector-free L-BFGS', () => {
  it('gives the two-loop direction from inner products, through a full memory and skipped pairs', () => {
    const n = 40;
    const capacity = 6;
    const rng = new Random(12);
    // A quadratic's secant pairs y = A·s (A SPD), with now and then a pair the optimizer skips.
    const A = (v: Float64Array) => Float64Array.from(v, (x, i) => (1 + (i % 9)) * x + 0.3 * v[(i + 1) % n] + 0.3 * v[(i + n - 1) % n]);
    const table = new InnerProductTable(capacity);
    const pairs: { s: Float64Array; y: Float64Array }[] = [];
    const ys: number[] = [];
    let hDiag = 1;
    let g = Float64Array.from({ length: n }, () => rng.normal());
    const stores = new Set<ArrayBufferLike>();
    for (let step = 0; step < 20; step++) {
      // d from the coefficients, formed from the vectors, against the textbook recursion.
      const { a, b, c } = directionCoefficients(table.current, ys, hDiag);
      const d = Float64Array.from(g, (gi, i) => c * gi + pairs.reduce((sum, p, j) => sum + a[j] * p.s[i] + b[j] * p.y[i], 0));
      const reference = new Float64Array(n);
      twoLoopDirection(g, { s: pairs.map((p) => p.s), y: pairs.map((p) => p.y), ys, hDiag }, reference);
      expect(relativeNorm(d, reference)).toBeLessThan(1e-12);

      // A step t·d and the new gradient g₊ = g + A·s (plus noise, so pairs are not exact).
      const t = 0.5 + rng.uniform();
      const s = Float64Array.from(d, (v) => t * v);
      const gPlus = Float64Array.from(A(s), (v, i) => g[i] + v + 1e-3 * rng.normal());
      const y = Float64Array.from(gPlus, (v, i) => v - g[i]);
      const skip = step % 7 === 3;
      table.accept(
        {
          step: t,
          ds: pairs.map((p) => dot(d, p.s)),
          dy: pairs.map((p) => dot(d, p.y)),
          dd: dot(d, d),
          deltaS: pairs.map((p) => dot(y, p.s)),
          deltaY: pairs.map((p) => dot(y, p.y)),
          ys: dot(y, s),
          yy: dot(y, y),
          gPlusS: pairs.map((p) => dot(gPlus, p.s)),
          gPlusY: pairs.map((p) => dot(gPlus, p.y)),
          gPlusD: dot(gPlus, d),
          gPlusDelta: dot(gPlus, y),
        },
        !skip,
      );
      if (!skip) {
        if (pairs.length === capacity) {
          pairs.shift();
          ys.shift();
        }
        pairs.push({ s, y });
        ys.push(dot(y, s));
        hDiag = dot(y, s) / dot(y, y);
      }
      g = gPlus;
      expect(table.count).toBe(pairs.length);
      expect(maxRelativeDifference(table.current, innerProductsOf(pairs, g))).toBeLessThan(1e-12);
      stores.add(table.current.ss.buffer);
    }
    expect(pairs.length).toBe(capacity);
    // Two stores take turns: nothing is allocated per pair.
    expect(stores.size).toBe(2);
  });

  it('is steepest descent scaled by γ with no pairs', () => {
    const { a, b, c } = directionCoefficients(innerProductsOf([], []), [], 0.25);
    expect([a.length, b.length, c]).toEqual([0, 0, -0.25]);
  });
});
