import { describe, expect, it } from 'vitest';
import {
  ACTIVE_UNIT_ACTIVATION,
  ALWAYS_ON_UNIT_RHO,
  DEAD_UNIT_RHO,
  describeUnits,
  unitStatistics,
  type UnitStatistics,
} from '../../src/analysis/units';
import type { Dataset } from '../../src/reference/autoencoder';
import { initializeParameters, thetaLayout, type Shape } from '../../src/reference/params';
import { Random } from '../../src/random';

/** θ from MATLAB-shaped blocks: W1 hidden × visible, W2 visible × hidden, as nested rows. */
function packTheta(shape: Shape, W1: number[][], W2: number[][], b1: number[], b2: number[]): Float64Array {
  const { visibleSize: v, hiddenSize: h } = shape;
  const L = thetaLayout(shape);
  const theta = new Float64Array(L.length);
  for (let j = 0; j < h; j++) for (let i = 0; i < v; i++) theta[L.W1 + i * h + j] = W1[j][i];
  for (let i = 0; i < v; i++) for (let j = 0; j < h; j++) theta[L.W2 + j * v + i] = W2[i][j];
  theta.set(b1, L.b1);
  theta.set(b2, L.b2);
  return theta;
}

const logit = (p: number) => Math.log(p / (1 - p));

/**
 * Two visible, three hidden: unit 0 is dead (bias −50), unit 1 always on (bias +50), unit 2 a
 * sharp switch on x₀ > 0.5. On x₀ ∈ {0.1, 0.2, 0.3, 0.8, 0.9} the switch fires on 2 of 5.
 */
const shape: Shape = { visibleSize: 2, hiddenSize: 3 };
const W1 = [
  [0, 0],
  [0, 0],
  [100, 0],
];
const b1 = [-50, 50, -50];
const switchData: Dataset = {
  data: Float64Array.from([0.1, 0.6, 0.2, 0.5, 0.3, 0.4, 0.8, 0.3, 0.9, 0.2]),
  examples: 5,
  visibleSize: 2,
};

/** The same statistics by the definitions, one example at a time, without src/reference/ops. */
function direct(theta: Float64Array, s: Shape, d: Dataset) {
  const { visibleSize: v, hiddenSize: h } = s;
  const L = thetaLayout(s);
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  const rho = new Array(h).fill(0);
  let active = 0;
  let residual = 0;
  const mean = new Array(v).fill(0);
  for (let k = 0; k < d.examples; k++) for (let i = 0; i < v; i++) mean[i] += d.data[k * v + i] / d.examples;
  let total = 0;
  for (let k = 0; k < d.examples; k++) {
    const x = Array.from({ length: v }, (_, i) => d.data[k * v + i]);
    const a2 = Array.from({ length: h }, (_, j) => sig(theta[L.b1 + j] + x.reduce((s2, xi, i) => s2 + theta[L.W1 + i * h + j] * xi, 0)));
    a2.forEach((a, j) => {
      rho[j] += a / d.examples;
      if (a > 0.5) active++;
    });
    for (let i = 0; i < v; i++) {
      const z3 = theta[L.b2 + i] + a2.reduce((s2, aj, j) => s2 + theta[L.W2 + j * v + i] * aj, 0);
      const a3 = s.output === 'linear' ? z3 : sig(z3);
      residual += (x[i] - a3) ** 2;
      total += (x[i] - mean[i]) ** 2;
    }
  }
  return { rho, meanL0: active / d.examples, varianceExplained: 1 - residual / total };
}

function randomCase(m: number, s: Shape, seed: number): { theta: Float64Array; dataset: Dataset } {
  const rng = new Random(seed);
  const theta = initializeParameters(s, seed);
  const L = thetaLayout(s);
  // Spread the biases so that some units sit near 0, some near 1 and some in between.
  for (let j = 0; j < s.hiddenSize; j++) theta[L.b1 + j] = 16 * (rng.uniform() - 0.5);
  const data = new Float64Array(m * s.visibleSize).map(() => rng.uniform());
  return { theta, dataset: { data, examples: m, visibleSize: s.visibleSize } };
}

describe('unitStatistics', () => {
  it('finds the dead, the always-on and the active units of a hand-built θ', () => {
    const theta = packTheta(shape, W1, [[0, 0, 0], [0, 0, 0]], b1, [0, 0]);
    const stats = unitStatistics(theta, shape, switchData);
    expect(stats.deadUnits).toEqual([0]);
    expect(stats.alwaysOnUnits).toEqual([1]);
    // Unit 1 on all 5 examples, unit 2 on 2 of them.
    expect(stats.meanL0).toBe(7 / 5);
    expect(stats.thresholds).toEqual({ dead: DEAD_UNIT_RHO, alwaysOn: ALWAYS_ON_UNIT_RHO, active: ACTIVE_UNIT_ACTIVATION });
    expect([DEAD_UNIT_RHO, ALWAYS_ON_UNIT_RHO, ACTIVE_UNIT_ACTIVATION]).toEqual([1e-4, 0.5, 0.5]);
  });

  it('explains all the variance when the reconstruction is exact, none when it answers x̄', () => {
    // Two distinct inputs p and q; the switch tells them apart and W2 maps each to its logits.
    const p = [0.2, 0.7];
    const q = [0.9, 0.4];
    const data: Dataset = { data: Float64Array.from([...p, ...q, ...p, ...q, ...q]), examples: 5, visibleSize: 2 };
    const b2 = [0, 0];
    const W2 = [0, 1].map((i) => [0, logit(p[i]), logit(q[i]) - logit(p[i])]);
    const exact = unitStatistics(packTheta(shape, W1, W2, b1, b2), shape, data);
    expect(exact.varianceExplained).toBeCloseTo(1, 12);

    // An output that ignores the input and gives the per-feature mean explains nothing.
    const mean = [0, 1].map((i) => (2 * p[i] + 3 * q[i]) / 5);
    const constant = unitStatistics(packTheta(shape, W1, [[0, 0, 0], [0, 0, 0]], b1, mean.map(logit)), shape, data);
    expect(constant.varianceExplained).toBeCloseTo(0, 12);
  });

  it('matches the definitions computed directly, on a Float32Array too', () => {
    const s: Shape = { visibleSize: 7, hiddenSize: 11 };
    const { theta, dataset } = randomCase(53, s, 5);
    const want = direct(theta, s, dataset);
    const got = unitStatistics(theta, s, dataset);
    expect(got.deadUnits).toEqual(want.rho.flatMap((r, j) => (r < 1e-4 ? [j] : [])));
    expect(got.alwaysOnUnits).toEqual(want.rho.flatMap((r, j) => (r > 0.5 ? [j] : [])));
    expect(got.alwaysOnUnits.length, 'the case has always-on units').toBeGreaterThan(0);
    expect(got.meanL0).toBeCloseTo(want.meanL0, 12);
    expect(got.varianceExplained).toBeCloseTo(want.varianceExplained, 10);
    expect(got.varianceExplained, 'random weights reconstruct worse than x̄').toBeLessThan(0);

    const single = unitStatistics(theta, s, { ...dataset, data: Float32Array.from(dataset.data) });
    expect(single.meanL0).toBe(got.meanL0);
    expect(single.varianceExplained).toBeCloseTo(got.varianceExplained, 5);
  });

  it('reconstructs through a linear output when the shape has one (the linear decoder)', () => {
    const s: Shape = { visibleSize: 7, hiddenSize: 11, output: 'linear' };
    const { theta, dataset } = randomCase(53, s, 8);
    const want = direct(theta, s, dataset);
    const got = unitStatistics(theta, s, dataset);
    expect(got.varianceExplained).toBeCloseTo(want.varianceExplained, 10);
    // The same θ read as a sigmoid output reconstructs otherwise.
    expect(unitStatistics(theta, { ...s, output: 'sigmoid' }, dataset).varianceExplained).not.toBeCloseTo(got.varianceExplained, 3);
  });

  it('gives the same result whatever the block size, the last block short or not', () => {
    const s: Shape = { visibleSize: 5, hiddenSize: 4 };
    const { theta, dataset } = randomCase(37, s, 9);
    const whole = unitStatistics(theta, s, dataset, { blockRows: 37 });
    for (const blockRows of [1, 5, 10, 36, 1000]) {
      const blocked = unitStatistics(theta, s, dataset, { blockRows });
      expect(blocked.deadUnits, `blocks of ${blockRows}`).toEqual(whole.deadUnits);
      expect(blocked.alwaysOnUnits, `blocks of ${blockRows}`).toEqual(whole.alwaysOnUnits);
      expect(blocked.meanL0, `blocks of ${blockRows}`).toBe(whole.meanL0);
      expect(blocked.varianceExplained, `blocks of ${blockRows}`).toBeCloseTo(whole.varianceExplained, 12);
    }
  });

  it('leaves the variance explained undefined (NaN) on data with no variance', () => {
    const same: Dataset = { data: Float64Array.from([0.3, 0.6, 0.3, 0.6, 0.3, 0.6]), examples: 3, visibleSize: 2 };
    const stats = unitStatistics(packTheta(shape, W1, [[0, 0, 0], [0, 0, 0]], b1, [logit(0.3), logit(0.6)]), shape, same);
    expect(stats.varianceExplained).toBeNaN();
    expect(describeUnits(stats, 3)).toContain('variance explained undefined (the data have no variance)');
  });

  it('refuses data that do not fit the model', () => {
    const theta = packTheta(shape, W1, [[0, 0, 0], [0, 0, 0]], b1, [0, 0]);
    expect(() => unitStatistics(theta, shape, { data: new Float64Array(9), examples: 3, visibleSize: 3 })).toThrow(/3 values per example; the model has 2/);
    expect(() => unitStatistics(theta, shape, { data: new Float64Array(0), examples: 0, visibleSize: 2 })).toThrow(/at least one example/);
    expect(() => unitStatistics(theta, shape, switchData, { blockRows: 0 })).toThrow(/blockRows/);
  });
});

describe('describeUnits', () => {
  it('says it in one line', () => {
    const stats: UnitStatistics = {
      deadUnits: [3, 17],
      alwaysOnUnits: [],
      meanL0: 3.14,
      varianceExplained: 0.8742,
      thresholds: { dead: 1e-4, alwaysOn: 0.5, active: 0.5 },
    };
    expect(describeUnits(stats, 25)).toBe('hidden units: 2 dead (ρ̂ < 1e-4), 0 always on (ρ̂ > 0.5); mean L0 3.1 of 25; variance explained 87.4%');
    // A sparse model's L0 is far below 1: two significant digits, not "0.0".
    expect(describeUnits({ ...stats, meanL0: 0.0187 }, 25)).toContain('mean L0 0.019 of 25');
    expect(describeUnits({ ...stats, meanL0: 0, varianceExplained: -0.031 }, 25)).toContain('mean L0 0.0 of 25; variance explained -3.1%');
  });
});
