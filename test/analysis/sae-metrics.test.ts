import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DENSITY_LAYOUT,
  SaeMetricsAccumulator,
  deadLatents,
  densityHistogram,
  featureDensity,
  firingCounts,
  fractionOfVarianceUnexplained,
  meanL0,
  meanMaxCosineSimilarity,
  saeMetrics,
  saeMetricsOf,
} from '../../src/analysis/sae-metrics';
import { generateSuperposition } from '../../src/data/superposition';
import { Random } from '../../src/random';

const f64 = (values: number[]) => Float64Array.from(values);

describe('L0, firing counts and dead latents', () => {
  // 3 examples × 4 latents: rows fire 2, 0 and 2 latents; latent 2 never fires.
  const z = f64([0, 1.5, 0, -2, 0, 0, 0, 0, 3, 0, 0, 0.1]);

  it('counts non-zero latents, negative ones included', () => {
    expect(meanL0(z, 3, 4)).toBe(4 / 3);
    expect(Array.from(firingCounts(z, 3, 4))).toEqual([1, 1, 0, 2]);
    expect(deadLatents(firingCounts(z, 3, 4))).toEqual([2]);
    expect(meanL0(new Float32Array(8), 2, 4)).toBe(0);
  });

  it('refuses NaN latents and sizes that do not match', () => {
    expect(() => meanL0(f64([0, 1, NaN, 0]), 2, 2)).toThrow(/latent at row 1, column 0 is NaN/);
    expect(() => meanL0(z, 4, 4)).toThrow(/latents: 12 values for 4 × 4/);
  });
});

describe('fractionOfVarianceUnexplained', () => {
  it('is 2/34 for a hand-computed 3 × 2 case', () => {
    // x̄ = (3, 5); Σ‖x − x̄‖² = (4 + 0 + 4) + (9 + 1 + 16) = 34; Σ‖x − x̂‖² = 1 + 1.
    const x = f64([1, 2, 3, 4, 5, 9]);
    const xHat = f64([1, 2, 3, 5, 4, 9]);
    expect(fractionOfVarianceUnexplained(x, xHat, 3, 2)).toBeCloseTo(2 / 34, 15);
  });

  it('is about the data mean, not zero: 0.22 (variance explained 0.78), not 0.02 (0.98)', () => {
    // Ten values of mean 1 with Σ(x − 1)² = 1, so Σx² = 11; the errors have Σe² = 0.22. About
    // zero the ratio is 0.22 / 11 = 0.02: "98% explained" for a reconstruction that explains 78%.
    const x = f64([1.5, 0.5, 1.5, 0.5, 1, 1, 1, 1, 1, 1]);
    const errors = [0.3, 0.3, 0.1, 0.1, 0.1, 0.1, 0, 0, 0, 0];
    const xHat = x.map((v, i) => v - errors[i]);
    const fvu = fractionOfVarianceUnexplained(x, xHat, 10, 1);
    expect(fvu).toBeCloseTo(0.22, 12);
    const aboutZero = errors.reduce((s, e) => s + e * e, 0) / x.reduce((s, v) => s + v * v, 0);
    expect(aboutZero).toBeCloseTo(0.02, 12);
    expect(1 - fvu).toBeCloseTo(0.78, 12);
  });

  it('stays right when the mean is 10⁸ times the spread, in blocks too', () => {
    // The same case shifted by 10⁸: Σx² − m·x̄² would cancel to noise in float64.
    const deviations = [0.5, -0.5, 0.5, -0.5, 0, 0, 0, 0, 0, 0];
    const errors = [0.3, 0.3, 0.1, 0.1, 0.1, 0.1, 0, 0, 0, 0];
    const x = f64(deviations.map((d) => 1e8 + d));
    const xHat = f64(deviations.map((d, i) => 1e8 + d - errors[i]));
    expect(fractionOfVarianceUnexplained(x, xHat, 10, 1)).toBeCloseTo(0.22, 6);
    const acc = new SaeMetricsAccumulator(1, 1);
    for (const [start, rows] of [[0, 3], [3, 1], [4, 6]]) acc.addReconstruction(x.subarray(start, start + rows), xHat.subarray(start, start + rows), rows);
    expect(acc.fvu()).toBeCloseTo(0.22, 6);
  });

  it('is 0 for a perfect reconstruction, 1 for the mean, NaN for data without variance', () => {
    const x = f64([1, 2, 3, 4, 5, 9]);
    expect(fractionOfVarianceUnexplained(x, x, 3, 2)).toBe(0);
    expect(fractionOfVarianceUnexplained(x, f64([3, 5, 3, 5, 3, 5]), 3, 2)).toBeCloseTo(1, 15);
    // 0.1 three times: a mean computed as Σx/m would leave round-off variance here.
    expect(fractionOfVarianceUnexplained(f64([0.1, 0.1, 0.1]), f64([0, 0, 0]), 3, 1)).toBeNaN();
    const acc = new SaeMetricsAccumulator(1, 1);
    acc.addReconstruction(f64([0.1, 0.1]), f64([0, 0]), 2);
    acc.addReconstruction(f64([0.1]), f64([0]), 1);
    expect(acc.fvu()).toBeNaN();
  });
});

describe('feature density', () => {
  it('bins log₁₀ frequency as stated, the dead and the out-of-range apart', () => {
    const layout = { minLog10: -3, maxLog10: 0, binsPerDecade: 1 };
    // log₁₀: 0 → last bin (closed); −0.30 and −1 → [−1, 0]; −2 → [−2, −1); −3 and −2.004 → [−3, −2).
    const histogram = densityHistogram([1, 0.5, 0.1, 0.01, 0.001, 1e-9, 0, 0.0099], layout);
    expect(histogram.edges).toEqual([-3, -2, -1, 0]);
    expect(histogram.counts).toEqual([2, 1, 3]);
    expect(histogram.belowRange).toBe(1);
    expect(histogram.aboveRange).toBe(0);
    expect(histogram.dead).toBe(1);
    const upToTenth = densityHistogram([1, 0.5, 0.1, 0.05], { minLog10: -2, maxLog10: -1, binsPerDecade: 2 });
    expect(upToTenth.counts).toEqual([0, 2]);
    expect(upToTenth.aboveRange).toBe(2);
  });

  it('gives frequencies as counts over examples, in the default quarter-decade bins', () => {
    const { frequencies, histogram } = featureDensity([1, 1, 0, 2], 3);
    expect(Array.from(frequencies)).toEqual([1 / 3, 1 / 3, 0, 2 / 3]);
    expect(histogram.layout).toEqual(DEFAULT_DENSITY_LAYOUT);
    expect(histogram.counts.length).toBe(32);
    // log₁₀(1/3) = −0.477 → bin ⌊(−0.477 + 8)·4⌋ = 30; log₁₀(2/3) = −0.176 → bin 31.
    expect(histogram.counts[30]).toBe(2);
    expect(histogram.counts[31]).toBe(1);
    expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(histogram.dead).toBe(1);
  });

  it('refuses a layout without a whole number of bins, and frequencies above 1', () => {
    expect(() => densityHistogram([0.5], { minLog10: -1, maxLog10: 0, binsPerDecade: 2.5 })).toThrow(/whole number of bins/);
    expect(() => densityHistogram([0.5], { minLog10: 0, maxLog10: 0, binsPerDecade: 1 })).toThrow(/minLog10 < maxLog10/);
    expect(() => densityHistogram([1.5])).toThrow(/latent 0 has firing frequency 1\.5/);
  });
});

describe('meanMaxCosineSimilarity', () => {
  it('takes each true direction’s best |cosine| with a decoder column, a zero column matching nothing', () => {
    // True directions e₁, e₂ (one scaled by 2: norms do not matter). Decoder columns (D × n):
    // w₀ = (1, 1), w₁ = (0, −2), w₂ = 0. e₁: |cos| 1/√2 with w₀; e₂: 1 with w₁ (sign ignored).
    const directions = f64([2, 0, 0, 1]);
    const decoder = f64([1, 0, 0, 1, -2, 0]);
    const result = meanMaxCosineSimilarity(directions, decoder, 2, 2, 3);
    expect(result.best[0]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(result.best[1]).toBe(1);
    expect(Array.from(result.bestLatent)).toEqual([0, 1]);
    expect(result.mmcs).toBeCloseTo((Math.SQRT1_2 + 1) / 2, 15);
    // A direction orthogonal to every column is matched by none.
    const none = meanMaxCosineSimilarity(f64([0, 1]), f64([1, 0, 0, 0]), 1, 2, 2);
    expect(none.mmcs).toBe(0);
    expect(none.bestLatent[0]).toBe(-1);
    expect(() => meanMaxCosineSimilarity(f64([0, 0]), decoder, 1, 2, 3)).toThrow(/true direction 0 has norm 0/);
  });

  it('is 1 for a decoder holding the true directions (in any order), less for a random one', () => {
    const { directions } = generateSuperposition({ features: 24, dimensions: 8, examples: 1, activePerExample: 3, seed: 3 });
    // Decoder D × N whose column j is direction (j + 5) mod N, negated for odd j.
    const decoder = new Float64Array(8 * 24);
    for (let j = 0; j < 24; j++) for (let d = 0; d < 8; d++) decoder[d * 24 + j] = (j % 2 ? -1 : 1) * directions[((j + 5) % 24) * 8 + d];
    const exact = meanMaxCosineSimilarity(directions, decoder, 24, 8, 24);
    expect(exact.mmcs).toBeCloseTo(1, 12);
    expect(Array.from(exact.bestLatent)).toEqual(Array.from({ length: 24 }, (_, i) => (i + 19) % 24));
    const rng = new Random(9);
    const random = Float64Array.from({ length: 8 * 24 }, () => rng.normal());
    expect(meanMaxCosineSimilarity(directions, random, 24, 8, 24).mmcs).toBeLessThan(0.9);
  });
});

describe('all metrics at once, and block by block', () => {
  const rng = new Random(11);
  const m = 23;
  const D = 3;
  const n = 5;
  const x = Float64Array.from({ length: m * D }, () => 50 + rng.normal());
  const xHat = x.map((v) => v + 0.3 * rng.normal());
  // ReLU of noise, latent 4 never positive.
  const z = Float64Array.from({ length: m * n }, (_, i) => (i % n === 4 ? 0 : Math.max(0, rng.normal())));

  it('agrees with the single metrics', () => {
    const all = saeMetrics(x, xHat, z, m, n);
    expect(all.examples).toBe(m);
    expect(all.l0).toBe(meanL0(z, m, n));
    expect(all.fvu).toBeCloseTo(fractionOfVarianceUnexplained(x, xHat, m, D), 14);
    expect(all.deadLatents).toEqual([4]);
    expect(Array.from(all.density.frequencies)).toEqual(Array.from(firingCounts(z, m, n), (c) => c / m));
    let residual = 0;
    for (let i = 0; i < x.length; i++) residual += (x[i] - xHat[i]) ** 2;
    expect(all.meanSquaredError).toBeCloseTo(residual / (m * D), 14);
  });

  it('gives the same numbers for any block size, holding one block at a time', () => {
    const whole = saeMetrics(x, xHat, z, m, n);
    for (const blockRows of [1, 4, 7, 23, 100]) {
      const calls: number[] = [];
      const result = saeMetricsOf({ data: x, examples: m, visibleSize: D }, n, (block, rows) => {
        const start = calls.reduce((a, b) => a + b, 0);
        calls.push(rows);
        expect(block.length).toBe(rows * D);
        expect(block[0]).toBe(x[start * D]);
        return { latents: z.subarray(start * n, (start + rows) * n), reconstruction: xHat.subarray(start * D, (start + rows) * D) };
      }, { blockRows });
      expect(calls.length).toBe(Math.ceil(m / blockRows));
      expect(result.l0).toBe(whole.l0);
      expect(result.fvu).toBeCloseTo(whole.fvu, 12);
      expect(result.deadLatents).toEqual(whole.deadLatents);
      expect(result.density.histogram).toEqual(whole.density.histogram);
    }
  });

  it('refuses results over different examples', () => {
    const acc = new SaeMetricsAccumulator(D, n);
    acc.addReconstruction(x, xHat, m);
    expect(() => acc.result()).toThrow(/same examples' data and latents, got 23 and 0/);
    expect(() => new SaeMetricsAccumulator(0, 3)).toThrow(/dimensions must be a positive integer/);
  });
});

describe('on generated superposition data', () => {
  it('scores the true features as a perfect SAE: FVU 0, L0 the active count, none dead, MMCS 1', () => {
    const N = 32;
    const D = 8;
    const m = 3000;
    const toy = generateSuperposition({ features: N, dimensions: D, examples: m, activePerExample: 4, seed: 5, keepCoefficients: true });
    const decoder = new Float64Array(D * N);
    for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) decoder[d * N + i] = toy.directions[i * D + d];
    // The true coefficients as latents, decoded by the true directions.
    const metrics = saeMetricsOf(toy.dataset, N, (block, rows) => {
      const start = (block.byteOffset - toy.dataset.data.byteOffset) / 8 / D;
      const latents = toy.coefficients!.subarray(start * N, (start + rows) * N);
      const reconstruction = new Float64Array(rows * D);
      for (let r = 0; r < rows; r++) for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) reconstruction[r * D + d] += latents[r * N + i] * decoder[d * N + i];
      return { latents, reconstruction };
    }, { blockRows: 256 });
    expect(metrics.fvu).toBeLessThan(1e-20);
    expect(metrics.l0).toBe(toy.activeCounts.reduce((a, b) => a + b, 0) / m);
    expect(metrics.deadLatents).toEqual([]);
    // Every feature fires on about 4/32 of the examples: all in the bin of log₁₀ ∈ [−1, −0.75).
    expect(metrics.density.histogram.counts[28]).toBe(N);
    expect(meanMaxCosineSimilarity(toy.directions, decoder, N, D, N).mmcs).toBeCloseTo(1, 12);
  });
});
