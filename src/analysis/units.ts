/**
 * What modern sparse-autoencoder tools report about a trained model's hidden layer, computed
 * from a float64 forward pass of the final θ over the whole data set:
 *
 * - dead units: ρ̂ⱼ < 1e-4, a unit that (almost) never fires and so learned nothing;
 * - always-on units: ρ̂ⱼ > 0.5, a unit that fires for most inputs, a bias rather than a feature;
 * - mean L0: the number of hidden units with a⁽²⁾ > 0.5 on an example, averaged over examples
 *   (a sigmoid unit has no exact zero, so "active" is the upper half of its range);
 * - the fraction of variance explained (FVE) by the reconstruction.
 *
 * The examples go through in blocks of rows, so memory stays at a block's activations however
 * large the data set (MNIST's 10,000 × 196 hidden activations are never held at once).
 */
import type { Dataset } from '../reference/autoencoder';
import { biasAdd, biasSigmoid, columnSums, matmul, sumOfSquaredDifferences } from '../reference/ops';
import { outputOf, thetaViews, type Shape } from '../reference/params';

/** A hidden unit whose mean activation ρ̂ⱼ is below this is dead. */
export const DEAD_UNIT_RHO = 1e-4;
/** A hidden unit whose mean activation ρ̂ⱼ is above this is always on. */
export const ALWAYS_ON_UNIT_RHO = 0.5;
/** A hidden unit counts towards an example's L0 when its a⁽²⁾ is above this. */
export const ACTIVE_UNIT_ACTIVATION = 0.5;
/** Examples per block of the forward pass. */
export const UNIT_STATISTICS_BLOCK_ROWS = 1000;

export interface UnitThresholds {
  /** ρ̂ⱼ below: dead. */
  dead: number;
  /** ρ̂ⱼ above: always on. */
  alwaysOn: number;
  /** a⁽²⁾ above: active, for L0. */
  active: number;
}

export const UNIT_THRESHOLDS: Readonly<UnitThresholds> = Object.freeze({
  dead: DEAD_UNIT_RHO,
  alwaysOn: ALWAYS_ON_UNIT_RHO,
  active: ACTIVE_UNIT_ACTIVATION,
});

export interface UnitStatistics {
  /** Hidden units (0-based) with ρ̂ⱼ < thresholds.dead, ascending. */
  deadUnits: number[];
  /** Hidden units (0-based) with ρ̂ⱼ > thresholds.alwaysOn, ascending. */
  alwaysOnUnits: number[];
  /** Mean over examples of the number of hidden units with a⁽²⁾ > thresholds.active. */
  meanL0: number;
  /** 1 − Σ‖x − a⁽³⁾‖² / Σ‖x − x̄‖²; NaN when the data have no variance. */
  varianceExplained: number;
  thresholds: UnitThresholds;
}

export interface UnitStatisticsOptions {
  /** Examples per block of the forward pass (UNIT_STATISTICS_BLOCK_ROWS). */
  blockRows?: number;
}

/**
 * Dead and always-on hidden units, mean L0 and the fraction of variance explained, for θ on
 * every example of the data set.
 *
 * The variance explained is the usual FVE of SAE tools, 1 − Σₖ‖xₖ − a⁽³⁾ₖ‖² / Σₖ‖xₖ − x̄‖²
 * with x̄ the per-feature mean over the examples: the residual's share of the data's total
 * variance, taken away from 1. It is 1 for a perfect reconstruction, 0 for one no better than
 * answering x̄ for every input, and negative for a worse one. When the data have zero variance
 * (every example the same) the ratio is undefined and it is NaN (null in JSON), whether or not
 * the reconstruction is exact.
 */
export function unitStatistics(
  theta: Float64Array,
  shape: Shape,
  dataset: Dataset,
  options: UnitStatisticsOptions = {},
): UnitStatistics {
  const { visibleSize: v, hiddenSize: h } = shape;
  const m = dataset.examples;
  const blockRows = options.blockRows ?? UNIT_STATISTICS_BLOCK_ROWS;
  if (dataset.visibleSize !== v) {
    throw new RangeError(`the data have ${dataset.visibleSize} values per example; the model has ${v} visible units`);
  }
  if (!(Number.isInteger(m) && m > 0)) throw new RangeError(`the data need at least one example, got ${m}`);
  if (!(Number.isInteger(blockRows) && blockRows > 0)) throw new RangeError(`blockRows must be a positive integer, got ${blockRows}`);
  const { W1t, W2t, b1, b2 } = thetaViews(theta, shape);
  const x = dataset.data;

  const xMean = featureMeans(x, m, v);
  const activationSums = new Float64Array(h);
  let activeCount = 0;
  let residual = 0;
  let total = 0;
  for (let start = 0; start < m; start += blockRows) {
    const rows = Math.min(blockRows, m - start);
    const xBlock = x.subarray(start * v, (start + rows) * v);
    const a2 = biasSigmoid(matmul(xBlock, W1t, rows, h, v), b1, rows, h);
    const sums = columnSums(a2, rows, h);
    for (let j = 0; j < h; j++) activationSums[j] += sums[j];
    for (let i = 0; i < a2.length; i++) if (a2[i] > ACTIVE_UNIT_ACTIVATION) activeCount++;
    const z3 = matmul(a2, W2t, rows, v, h);
    const a3 = outputOf(shape) === 'linear' ? biasAdd(z3, b2, rows, v) : biasSigmoid(z3, b2, rows, v);
    residual += sumOfSquaredDifferences(a3, xBlock);
    for (let r = 0; r < rows; r++) {
      const base = r * v;
      for (let c = 0; c < v; c++) {
        const d = xBlock[base + c] - xMean[c];
        total += d * d;
      }
    }
  }

  const deadUnits: number[] = [];
  const alwaysOnUnits: number[] = [];
  for (let j = 0; j < h; j++) {
    const rhoHat = activationSums[j] / m;
    if (rhoHat < DEAD_UNIT_RHO) deadUnits.push(j);
    if (rhoHat > ALWAYS_ON_UNIT_RHO) alwaysOnUnits.push(j);
  }
  return {
    deadUnits,
    alwaysOnUnits,
    meanL0: activeCount / m,
    varianceExplained: total > 0 ? 1 - residual / total : NaN,
    thresholds: { ...UNIT_THRESHOLDS },
  };
}

/**
 * x̄, each feature's mean over the examples, as the first example's value plus the mean offset
 * from it: a feature that never changes gets exactly its value, so data with no variance give a
 * total variance of exactly 0, not round-off (a plain Σx/m of 0.3, 0.3, 0.3 is not 0.3).
 */
function featureMeans(x: ArrayLike<number>, m: number, v: number): Float64Array {
  const offsets = new Float64Array(v);
  for (let r = 1; r < m; r++) {
    const base = r * v;
    for (let c = 0; c < v; c++) offsets[c] += x[base + c] - x[c];
  }
  const means = new Float64Array(v);
  for (let c = 0; c < v; c++) means[c] = x[c] + offsets[c] / m;
  return means;
}

/**
 * One line: "hidden units: 2 dead (ρ̂ < 1e-4), 0 always on (ρ̂ > 0.5); mean L0 3.1 of 25;
 * variance explained 87.4%".
 */
export function describeUnits(stats: UnitStatistics, hiddenSize: number): string {
  const { dead, alwaysOn } = stats.thresholds;
  const fve = Number.isFinite(stats.varianceExplained)
    ? `variance explained ${(100 * stats.varianceExplained).toFixed(1)}%`
    : 'variance explained undefined (the data have no variance)';
  return (
    `hidden units: ${stats.deadUnits.length} dead (ρ̂ < ${formatThreshold(dead)}), ` +
    `${stats.alwaysOnUnits.length} always on (ρ̂ > ${formatThreshold(alwaysOn)}); ` +
    `mean L0 ${formatL0(stats.meanL0)} of ${hiddenSize}; ${fve}`
  );
}

/** One decimal, but two significant digits below 1: a UFLDL model at ρ = 0.01 has an L0 of about 0.02. */
function formatL0(value: number): string {
  return value >= 1 || value === 0 ? value.toFixed(1) : value.toPrecision(2);
}

/** 1e-4 rather than 0.0001. */
function formatThreshold(value: number): string {
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
}
