/**
 * Synthetic data in superposition with known features, the toy setting in which sparse
 * autoencoders are checked for recovering the true features (Sharkey, Braun and Millidge 2022,
 * "Taking features out of superposition with sparse autoencoders"; Cunningham et al. 2023):
 *
 *   N feature directions dᵢ, random unit vectors in D < N dimensions (uniform on the sphere),
 *   and m examples x = Σᵢ cᵢ dᵢ (+ noise), each coefficient cᵢ ≥ 0 and most of them zero:
 *   feature i is active in an example independently with probability p = activePerExample / N,
 *   and an active feature's magnitude is drawn uniform in [min, max] (Sharkey et al.: [0, 1]) or
 *   exponential with a given mean.
 *
 * A trained SAE's decoder columns should then line up with the dᵢ: the mean max cosine
 * similarity (src/analysis/sae-metrics.ts) measures how well. Everything is seeded (src/random.ts):
 * the directions depend only on (seed, features, dimensions), so data sets of different sizes
 * from one seed share their features, and noise (from a stream of its own) changes nothing else.
 */
import type { Dataset } from '../reference/autoencoder';
import { Random } from '../random';
import { writeNpy } from './npy';

export type MagnitudeDistribution = { kind: 'uniform'; min: number; max: number } | { kind: 'exponential'; mean: number };

export interface SuperpositionOptions {
  /** N, the number of true features. */
  features: number;
  /** D, the dimension of the data (D < N for superposition, though any D ≥ 1 is allowed). */
  dimensions: number;
  /** m, the number of examples. */
  examples: number;
  /** The mean number of active features per example, p·N; at most N. */
  activePerExample: number;
  seed: number;
  /** Magnitudes of active features (uniform in [0, 1], as Sharkey et al.). */
  magnitudes?: MagnitudeDistribution;
  /** Standard deviation of Gaussian noise added to every value (0: none). */
  noise?: number;
  /** Also return the true coefficients, m × N (memory: 8·m·N bytes). */
  keepCoefficients?: boolean;
}

export interface Superposition {
  /** m examples of D values, row-major, float64. */
  dataset: Dataset;
  /** The true feature directions, N × D row-major: row i is the unit vector dᵢ. */
  directions: Float64Array;
  /** How many features are active in each example. */
  activeCounts: Uint32Array;
  /** The true coefficients cᵢ, m × N row-major, when asked for. */
  coefficients?: Float64Array;
  options: Required<Omit<SuperpositionOptions, 'keepCoefficients'>>;
}

/** The size of synthetic data (--data synthetic, and the SAE page's): N true directions in D dimensions. */
export interface SyntheticSize {
  features: number;
  dimensions: number;
  examples: number;
  active: number;
}

/** The target: 256 directions in 64 dimensions, 5 active per example, 40,000 examples. */
export const DEFAULT_SYNTHETIC: Readonly<SyntheticSize> = Object.freeze({ features: 256, dimensions: 64, examples: 40_000, active: 5 });

export const DEFAULT_MAGNITUDES: MagnitudeDistribution = Object.freeze({ kind: 'uniform', min: 0, max: 1 }) as MagnitudeDistribution;

/**
 * Seeds of independent streams, so that the directions do not depend on the number of examples
 * and noisy data are the same examples as noiseless ones from the same seed, plus noise.
 */
const DIRECTIONS_STREAM = 0x9e3779b9;
const EXAMPLES_STREAM = 0x7f4a7c15;
const NOISE_STREAM = 0x2545f491;

export function generateSuperposition(options: SuperpositionOptions): Superposition {
  const { features: N, dimensions: D, examples: m, activePerExample, seed } = options;
  const magnitudes = options.magnitudes ?? DEFAULT_MAGNITUDES;
  const noise = options.noise ?? 0;
  for (const [name, value] of [['features', N], ['dimensions', D], ['examples', m]] as const) {
    if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (!(activePerExample > 0 && activePerExample <= N)) throw new RangeError(`activePerExample must be in (0, features = ${N}], got ${activePerExample}`);
  if (!(noise >= 0 && Number.isFinite(noise))) throw new RangeError(`noise must be a finite standard deviation ≥ 0, got ${noise}`);
  if (magnitudes.kind === 'uniform' && !(Number.isFinite(magnitudes.min) && Number.isFinite(magnitudes.max) && 0 <= magnitudes.min && magnitudes.min <= magnitudes.max)) {
    throw new RangeError(`uniform magnitudes need 0 ≤ min ≤ max, got [${magnitudes.min}, ${magnitudes.max}]`);
  }
  if (magnitudes.kind === 'exponential' && !(magnitudes.mean > 0 && Number.isFinite(magnitudes.mean))) {
    throw new RangeError(`exponential magnitudes need a mean > 0, got ${magnitudes.mean}`);
  }

  const directions = randomUnitVectors(N, D, new Random((seed ^ DIRECTIONS_STREAM) >>> 0));
  const rng = new Random((seed ^ EXAMPLES_STREAM) >>> 0);
  const noiseRng = new Random((seed ^ NOISE_STREAM) >>> 0);
  const magnitude =
    magnitudes.kind === 'uniform'
      ? () => magnitudes.min + (magnitudes.max - magnitudes.min) * rng.uniform()
      : () => -magnitudes.mean * Math.log(1 - rng.uniform()); // 1 − u ∈ (0, 1]: never log 0
  const p = activePerExample / N;
  // Gaps between active features are geometric, so an example costs O(active) draws, not O(N):
  // P(gap = g) = (1 − p)^g p, drawn as ⌊log u / log(1 − p)⌋.
  const logMiss = Math.log1p(-p);
  const nextGap = p === 1 ? () => 0 : () => Math.floor(Math.log(1 - rng.uniform()) / logMiss);

  const data = new Float64Array(m * D);
  const activeCounts = new Uint32Array(m);
  const coefficients = options.keepCoefficients ? new Float64Array(m * N) : undefined;
  for (let k = 0; k < m; k++) {
    const row = k * D;
    let count = 0;
    for (let i = nextGap(); i < N; i += 1 + nextGap()) {
      const c = magnitude();
      count++;
      if (coefficients) coefficients[k * N + i] = c;
      const d = i * D;
      for (let j = 0; j < D; j++) data[row + j] += c * directions[d + j];
    }
    activeCounts[k] = count;
    if (noise > 0) for (let j = 0; j < D; j++) data[row + j] += noise * noiseRng.normal();
  }
  return {
    dataset: { data, examples: m, visibleSize: D },
    directions,
    activeCounts,
    ...(coefficients ? { coefficients } : {}),
    options: { features: N, dimensions: D, examples: m, activePerExample, seed, magnitudes, noise },
  };
}

/** N unit vectors in D dimensions, uniform on the sphere (normalized Gaussians), N × D row-major. */
export function randomUnitVectors(N: number, D: number, rng: Random): Float64Array {
  const out = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    const row = out.subarray(i * D, (i + 1) * D);
    let norm = 0;
    // A zero vector has probability 0 but would divide by zero; draw again.
    while (norm === 0) {
      let sumOfSquares = 0;
      for (let j = 0; j < D; j++) {
        row[j] = rng.normal();
        sumOfSquares += row[j] * row[j];
      }
      norm = Math.sqrt(sumOfSquares);
    }
    for (let j = 0; j < D; j++) row[j] /= norm;
  }
  return out;
}

/** What a generated data set was made from, as written beside it. */
export interface SuperpositionManifest {
  kind: 'superposition';
  features: number;
  dimensions: number;
  examples: number;
  activePerExample: number;
  /** The mean number of active features actually drawn. */
  meanActive: number;
  seed: number;
  magnitudes: MagnitudeDistribution;
  noise: number;
  /** File names, relative to the manifest. */
  data: string;
  directions: string;
}

/**
 * The files of a generated data set, named from `base` ("toy" → toy.npy, toy.directions.npy,
 * toy.json): the data m × D and the directions N × D as float64 .npy (readNpy reads both, so
 * the metrics can take the directions back), and a JSON manifest of how they were made.
 */
export function superpositionFiles(result: Superposition, base: string): { name: string; bytes: Uint8Array }[] {
  const { dataset, directions, activeCounts, options } = result;
  const leaf = base.replace(/^.*[\\/]/, '');
  let active = 0;
  for (const count of activeCounts) active += count;
  const manifest: SuperpositionManifest = {
    kind: 'superposition',
    ...options,
    meanActive: active / dataset.examples,
    data: `${leaf}.npy`,
    directions: `${leaf}.directions.npy`,
  };
  return [
    { name: `${base}.npy`, bytes: writeNpy(dataset.data, dataset.examples, dataset.visibleSize) },
    { name: `${base}.directions.npy`, bytes: writeNpy(directions, options.features, options.dimensions) },
    { name: `${base}.json`, bytes: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n') },
  ];
}
