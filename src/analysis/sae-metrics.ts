/**
 * The numbers sparse-autoencoder papers and tools report about a trained SAE (OpenAI's TopK,
 * Anthropic's ReLU-L1 updates, SAELens, SAEBench), in float64, from its latents z (m × n,
 * row-major: one row per example, one column per latent) and its reconstructions x̂ (m × D):
 *
 * - L0: the mean number of non-zero latents per example;
 * - FVU, the fraction of variance unexplained, Σ‖x − x̂‖² / Σ‖x − x̄‖², x̄ the per-dimension mean
 *   of the data (not zero: about zero, data with a large mean make any reconstruction look good);
 * - dead latents: those that never fire (are never non-zero) over the data;
 * - feature density: each latent's firing frequency, and a histogram of log₁₀ frequency;
 * - against known feature directions (synthetic data, src/data/superposition.ts): the mean max
 *   cosine similarity (MMCS) of the true directions to the decoder's columns.
 *
 * Data too large to hold with their latents go through SaeMetricsAccumulator block by block,
 * or through saeMetricsOf with a function computing one block's latents and reconstruction,
 * as unitStatistics (./units.ts) does for the sigmoid autoencoder.
 */
import type { Dataset } from '../reference/autoencoder';

type Values = Float64Array | Float32Array;

/** Examples per block in saeMetricsOf. */
export const SAE_METRICS_BLOCK_ROWS = 1000;

/**
 * Bins of the log₁₀ feature-density histogram: (maxLog10 − minLog10)·binsPerDecade bins of
 * width 1/binsPerDecade, bin k covering [minLog10 + k/binsPerDecade, minLog10 + (k+1)/binsPerDecade),
 * the last one closed so that a latent firing on every example (log₁₀ 1 = 0) is counted.
 */
export interface DensityHistogramLayout {
  minLog10: number;
  maxLog10: number;
  binsPerDecade: number;
}

/** From 10⁻⁸ to 1 in quarter decades: 32 bins, enough for 10⁸ examples. */
export const DEFAULT_DENSITY_LAYOUT: Readonly<DensityHistogramLayout> = Object.freeze({ minLog10: -8, maxLog10: 0, binsPerDecade: 4 });

export interface DensityHistogram {
  layout: DensityHistogramLayout;
  /** The bins' edges in log₁₀ frequency, one more than the bins. */
  edges: number[];
  /** Live latents per bin. */
  counts: number[];
  /** Live latents firing less often than 10^minLog10, not in any bin. */
  belowRange: number;
  /** Latents firing more often than 10^maxLog10 (none when maxLog10 is 0, as by default). */
  aboveRange: number;
  /** Latents that never fired: log₁₀ 0 is −∞, so they are counted apart. */
  dead: number;
}

export interface FeatureDensity {
  /** Each latent's firing frequency: the fraction of examples on which it is non-zero. */
  frequencies: Float64Array;
  histogram: DensityHistogram;
}

export interface SaeMetrics {
  examples: number;
  /** Mean number of non-zero latents per example. */
  l0: number;
  /** Σ‖x − x̂‖² / Σ‖x − x̄‖²; NaN when the data have no variance. 1 − FVU is the variance explained. */
  fvu: number;
  /** Σ‖x − x̂‖² / (m·D). */
  meanSquaredError: number;
  /** Latents (0-based) that never fired, ascending. */
  deadLatents: number[];
  density: FeatureDensity;
}

/** Mean number of non-zero latents per example. */
export function meanL0(latents: Values, examples: number, latentCount: number): number {
  checkMatrix(latents, examples, latentCount, 'latents');
  let active = 0;
  for (let i = 0; i < latents.length; i++) if (firing(latents[i], i, latentCount)) active++;
  return active / examples;
}

/**
 * Σ‖x − x̂‖² / Σ‖x − x̄‖² with x̄ each dimension's mean over the examples: 0 for a perfect
 * reconstruction, 1 for one no better than answering x̄ every time. NaN when every example is
 * the same (the ratio is undefined).
 */
export function fractionOfVarianceUnexplained(x: Values, reconstruction: Values, examples: number, dimensions: number): number {
  const acc = new SaeMetricsAccumulator(dimensions, 1);
  acc.addReconstruction(x, reconstruction, examples);
  return acc.fvu();
}

/** How many examples each latent fires (is non-zero) on. */
export function firingCounts(latents: Values, examples: number, latentCount: number): Float64Array {
  checkMatrix(latents, examples, latentCount, 'latents');
  const counts = new Float64Array(latentCount);
  for (let i = 0; i < latents.length; i++) if (firing(latents[i], i, latentCount)) counts[i % latentCount]++;
  return counts;
}

/** The latents whose count is 0, ascending. */
export function deadLatents(counts: ArrayLike<number>): number[] {
  const dead: number[] = [];
  for (let j = 0; j < counts.length; j++) if (counts[j] === 0) dead.push(j);
  return dead;
}

/** Firing frequencies (count / examples) and their log₁₀ histogram. */
export function featureDensity(counts: ArrayLike<number>, examples: number, layout: DensityHistogramLayout = DEFAULT_DENSITY_LAYOUT): FeatureDensity {
  if (!(Number.isInteger(examples) && examples > 0)) throw new RangeError(`featureDensity needs a positive number of examples, got ${examples}`);
  const frequencies = Float64Array.from(counts, (c) => c / examples);
  return { frequencies, histogram: densityHistogram(frequencies, layout) };
}

/**
 * The histogram of log₁₀ of the frequencies, each in bin ⌊(log₁₀ f − minLog10)·binsPerDecade⌋
 * (the last bin taking log₁₀ f = maxLog10); frequency 0 counts as dead, below 10^minLog10 as
 * belowRange, above 10^maxLog10 as aboveRange. Frequencies are fractions, so above 1 is an error.
 */
export function densityHistogram(frequencies: ArrayLike<number>, layout: DensityHistogramLayout = DEFAULT_DENSITY_LAYOUT): DensityHistogram {
  const { minLog10, maxLog10, binsPerDecade } = layout;
  const bins = (maxLog10 - minLog10) * binsPerDecade;
  if (!(Number.isFinite(minLog10) && Number.isFinite(maxLog10) && maxLog10 > minLog10 && Number.isInteger(bins) && binsPerDecade > 0)) {
    throw new RangeError(`a density histogram needs minLog10 < maxLog10 and a whole number of bins, got ${JSON.stringify(layout)}`);
  }
  const edges = Array.from({ length: bins + 1 }, (_, k) => minLog10 + k / binsPerDecade);
  const counts = new Array<number>(bins).fill(0);
  let belowRange = 0;
  let aboveRange = 0;
  let dead = 0;
  for (let j = 0; j < frequencies.length; j++) {
    const f = frequencies[j];
    if (!(f >= 0 && f <= 1)) throw new RangeError(`latent ${j} has firing frequency ${f}, not in [0, 1]`);
    if (f === 0) {
      dead++;
      continue;
    }
    const position = (Math.log10(f) - minLog10) * binsPerDecade;
    if (position < 0) belowRange++;
    else if (position > bins) aboveRange++;
    else counts[Math.min(bins - 1, Math.floor(position))]++;
  }
  return { layout: { ...layout }, edges, counts, belowRange, aboveRange, dead };
}

export interface MaxCosineSimilarity {
  /** The mean over true directions of their best |cosine| with any decoder column. */
  mmcs: number;
  /** Each true direction's best |cosine|. */
  best: Float64Array;
  /** The decoder column (latent) achieving it, the first of equals; −1 when no column has a non-zero cosine with it. */
  bestLatent: Int32Array;
}

/**
 * Mean max cosine similarity (Sharkey et al. 2022): for each true direction dᵢ (row i of
 * `directions`, N × D), the largest |cos(dᵢ, wⱼ)| over the decoder's columns wⱼ (`decoder`,
 * D × n row-major, column j = latent j's direction in data space), averaged over i. A latent
 * with a zero decoder column matches nothing (cosine taken as 0). 1 when every true feature
 * has a latent pointing its way; the sign is ignored, as a feature and its negation are one
 * direction to a decoder.
 */
export function meanMaxCosineSimilarity(directions: Values, decoder: Values, features: number, dimensions: number, latentCount: number): MaxCosineSimilarity {
  checkMatrix(directions, features, dimensions, 'directions');
  checkMatrix(decoder, dimensions, latentCount, 'decoder');
  const D = dimensions;
  // The decoder's columns, normalized, as rows: one contiguous dot product per pair.
  const columns = new Float64Array(latentCount * D);
  for (let j = 0; j < latentCount; j++) {
    let sq = 0;
    for (let d = 0; d < D; d++) sq += decoder[d * latentCount + j] ** 2;
    const inverse = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let d = 0; d < D; d++) columns[j * D + d] = decoder[d * latentCount + j] * inverse;
  }
  const best = new Float64Array(features);
  const bestLatent = new Int32Array(features).fill(-1);
  let sum = 0;
  for (let i = 0; i < features; i++) {
    const row = i * D;
    let sq = 0;
    for (let d = 0; d < D; d++) sq += directions[row + d] ** 2;
    if (!(sq > 0 && Number.isFinite(sq))) throw new RangeError(`true direction ${i} has norm ${Math.sqrt(sq)}; it must be a non-zero finite vector`);
    const inverse = 1 / Math.sqrt(sq);
    for (let j = 0; j < latentCount; j++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += directions[row + d] * columns[j * D + d];
      const cos = Math.min(1, Math.abs(dot) * inverse);
      if (cos > best[i]) {
        best[i] = cos;
        bestLatent[i] = j;
      }
    }
    sum += best[i];
  }
  return { mmcs: sum / features, best, bestLatent };
}

/**
 * The metrics over blocks of rows: add each block's data, reconstruction and latents, then
 * read the result. The data's variance is merged block by block (Chan, Golub and LeVeque's
 * pairwise update of each dimension's mean and sum of squared deviations), in one pass and
 * without the cancellation of Σx² − m·x̄² when the mean is large against the spread.
 */
export class SaeMetricsAccumulator {
  readonly dimensions: number;
  readonly latentCount: number;
  private examples = 0;
  private latentExamples = 0;
  private active = 0;
  private residual = 0;
  private readonly counts: Float64Array;
  private readonly mean: Float64Array;
  private readonly squaredDeviations: Float64Array;
  private readonly blockMean: Float64Array;
  private readonly blockSquares: Float64Array;

  constructor(dimensions: number, latentCount: number) {
    for (const [name, value] of [['dimensions', dimensions], ['latentCount', latentCount]] as const) {
      if (!(Number.isInteger(value) && value > 0)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    this.dimensions = dimensions;
    this.latentCount = latentCount;
    this.counts = new Float64Array(latentCount);
    this.mean = new Float64Array(dimensions);
    this.squaredDeviations = new Float64Array(dimensions);
    this.blockMean = new Float64Array(dimensions);
    this.blockSquares = new Float64Array(dimensions);
  }

  /** One block: `rows` examples of data, their reconstructions and their latents. */
  add(x: Values, reconstruction: Values, latents: Values, rows: number): void {
    checkMatrix(latents, rows, this.latentCount, 'latents');
    checkMatrix(x, rows, this.dimensions, 'data');
    this.addReconstruction(x, reconstruction, rows);
    this.addLatents(latents, rows);
  }

  /** The data and reconstruction half of `add`, for FVU alone. */
  addReconstruction(x: Values, reconstruction: Values, rows: number): void {
    const D = this.dimensions;
    checkMatrix(x, rows, D, 'data');
    checkMatrix(reconstruction, rows, D, 'reconstruction');
    for (let i = 0; i < x.length; i++) {
      const e = x[i] - reconstruction[i];
      this.residual += e * e;
    }
    // The block's own mean, as the first row plus the mean offset from it, so that a dimension
    // that never changes has exactly its value as mean and exactly 0 variance.
    const m = this.blockMean;
    m.fill(0);
    for (let r = 1; r < rows; r++) for (let d = 0; d < D; d++) m[d] += x[r * D + d] - x[d];
    for (let d = 0; d < D; d++) m[d] = x[d] + m[d] / rows;
    const sq = this.blockSquares;
    sq.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = r * D;
      for (let d = 0; d < D; d++) {
        const dev = x[base + d] - m[d];
        sq[d] += dev * dev;
      }
    }
    const before = this.examples;
    const total = before + rows;
    for (let d = 0; d < D; d++) {
      const delta = m[d] - this.mean[d];
      this.squaredDeviations[d] += sq[d] + (before === 0 ? 0 : (delta * delta * before * rows) / total);
      this.mean[d] = before === 0 ? m[d] : this.mean[d] + (delta * rows) / total;
    }
    this.examples = total;
  }

  /** The latents half of `add`: L0 and firing counts. */
  addLatents(latents: Values, rows: number): void {
    const n = this.latentCount;
    checkMatrix(latents, rows, n, 'latents');
    for (let i = 0; i < latents.length; i++) {
      if (firing(latents[i], i, n)) {
        this.active++;
        this.counts[i % n]++;
      }
    }
    this.latentExamples += rows;
  }

  fvu(): number {
    let total = 0;
    for (const s of this.squaredDeviations) total += s;
    return total > 0 ? this.residual / total : NaN;
  }

  result(layout: DensityHistogramLayout = DEFAULT_DENSITY_LAYOUT): SaeMetrics {
    if (this.examples === 0 || this.latentExamples !== this.examples) {
      throw new RangeError(`the metrics need the same examples' data and latents, got ${this.examples} and ${this.latentExamples}`);
    }
    return {
      examples: this.examples,
      l0: this.active / this.examples,
      fvu: this.fvu(),
      meanSquaredError: this.residual / (this.examples * this.dimensions),
      deadLatents: deadLatents(this.counts),
      density: featureDensity(this.counts, this.examples, layout),
    };
  }
}

export interface SaeMetricsOptions {
  /** Examples per block (SAE_METRICS_BLOCK_ROWS). */
  blockRows?: number;
  layout?: DensityHistogramLayout;
}

/** Every metric of data, reconstructions and latents all held in memory. */
export function saeMetrics(x: Values, reconstruction: Values, latents: Values, examples: number, latentCount: number, layout?: DensityHistogramLayout): SaeMetrics {
  if (!(Number.isInteger(examples) && examples > 0)) throw new RangeError(`the metrics need at least one example, got ${examples}`);
  const acc = new SaeMetricsAccumulator(x.length / examples, latentCount);
  acc.add(x, reconstruction, latents, examples);
  return acc.result(layout);
}

/**
 * Every metric of a model over a data set, block by block: `forward` gets a block of `rows`
 * examples (a view into the data) and returns their latents (rows × latentCount) and
 * reconstructions (rows × D); only one block's are held at a time.
 */
export function saeMetricsOf(
  dataset: Dataset,
  latentCount: number,
  forward: (block: Values, rows: number) => { latents: Values; reconstruction: Values },
  options: SaeMetricsOptions = {},
): SaeMetrics {
  const { examples: m, visibleSize: D, data } = dataset;
  const blockRows = options.blockRows ?? SAE_METRICS_BLOCK_ROWS;
  if (!(Number.isInteger(m) && m > 0)) throw new RangeError(`the data need at least one example, got ${m}`);
  if (!(Number.isInteger(blockRows) && blockRows > 0)) throw new RangeError(`blockRows must be a positive integer, got ${blockRows}`);
  const acc = new SaeMetricsAccumulator(D, latentCount);
  for (let start = 0; start < m; start += blockRows) {
    const rows = Math.min(blockRows, m - start);
    const block = data.subarray(start * D, (start + rows) * D);
    const { latents, reconstruction } = forward(block, rows);
    acc.add(block, reconstruction, latents, rows);
  }
  return acc.result(options.layout);
}

/** A latent fires when it is non-zero; NaN is an error, not a silent "inactive". */
function firing(value: number, index: number, latentCount: number): boolean {
  if (Number.isNaN(value)) throw new RangeError(`the latent at row ${Math.floor(index / latentCount)}, column ${index % latentCount} is NaN`);
  return value !== 0;
}

function checkMatrix(values: Values, rows: number, cols: number, what: string): void {
  if (!(Number.isInteger(rows) && rows > 0)) throw new RangeError(`${what}: need a positive number of rows, got ${rows}`);
  if (values.length !== rows * cols) throw new RangeError(`${what}: ${values.length} values for ${rows} × ${cols}`);
}
