/**
 * What a training run is: data, model size, hyperparameters, optimizer. The UFLDL exercises
 * are presets; every flag of the command line and every control of the trainer
 * page maps onto one field here, and `validateConfig` is the one place values are checked.
 */
import { UFLDL_HYPERPARAMETERS, type Hyperparameters } from '../reference/autoencoder';
import type { OutputActivation } from '../reference/ops';

export type OptimizerName = 'lbfgs' | 'gd' | 'sgd' | 'adam';
export const optimizerNames: readonly OptimizerName[] = ['lbfgs', 'gd', 'sgd', 'adam'];

/**
 * 'natural' (embedded whitened photos, gray), 'natural-color' (8×8×3 color patches of the same
 * photos, mean patch removed and ZCA-whitened: the linear decoder's data, src/data/color.ts and
 * src/data/zca.ts), 'mnist' (the `mnist` package), or a path (Node).
 */
export type DataSource = 'natural' | 'natural-color' | 'mnist' | string;

/** Whether `data` names data this project carries (not the user's files). */
export function isBuiltInData(data: DataSource): data is 'natural' | 'natural-color' | 'mnist' {
  return data === 'natural' || data === 'natural-color' || data === 'mnist';
}

export const outputActivations: readonly OutputActivation[] = ['sigmoid', 'linear'];

export interface TrainConfig extends Hyperparameters {
  preset: PresetName | 'custom';
  data: DataSource;
  /** Side of the square patches cut from images (ignored for MNIST and ready-made patches). */
  patchSize: number;
  /** Number of patches sampled from images. */
  patches: number;
  hiddenSize: number;
  optimizer: OptimizerName;
  /** Step size for gd, sgd and adam (L-BFGS chooses its own by line search). */
  learningRate: number;
  /** Momentum for sgd (0 = plain gradient steps). */
  momentum: number;
  /** Mini-batch size for sgd and adam. */
  batchSize: number;
  /** Iterations; 0 evaluates the cost only. */
  iterations: number;
  seed: number;
  /**
   * Rescale the user's own ready-made data as UFLDL's normalizeData does (each example's mean
   * removed, ±3 standard deviations mapped onto [0.1, 0.9]) instead of refusing values outside
   * [0, 1]. Images are always normalized so.
   */
  normalize?: boolean;
  /**
   * The output layer: sigmoid (the sparse autoencoder; the data must lie in [0, 1]) or linear
   * (the linear decoder, for data of any real values such as whitened patches). Unset: sigmoid.
   */
  output?: OutputActivation;
}

/**
 * Step sizes that train the UFLDL presets stably (measured on 2,000 natural patches, 64-25):
 * momentum 0.9 multiplies SGD's effective step by 10, and the sparsity penalty at ρ = 0.01 is
 * stiff, so SGD needs a far smaller α than full-batch descent. L-BFGS picks its own steps.
 */
export const defaultLearningRates: Record<OptimizerName, number> = { lbfgs: 1, gd: 1, sgd: 0.05, adam: 0.01 };

export type PresetName = 'ufldl-natural' | 'ufldl-mnist' | 'ufldl-linear-decoder';

const common = {
  seed: 1,
  patchSize: 8,
  patches: 10_000,
  optimizer: 'lbfgs' as OptimizerName,
  iterations: 400,
  momentum: 0.9,
  batchSize: 256,
};

export const presets: Record<PresetName, TrainConfig> = {
  // UFLDL exercise "Sparse Autoencoder": 8×8 whitened natural-image patches, 64-25.
  'ufldl-natural': {
    ...common,
    preset: 'ufldl-natural',
    data: 'natural',
    hiddenSize: 25,
    ...UFLDL_HYPERPARAMETERS,
    learningRate: defaultLearningRates.lbfgs,
  },
  // UFLDL exercise "Vectorization": MNIST digits, 784-196 (sparsityParam = 0.1, lambda = 3e-3,
  // beta = 3). The later exercises (src/classify/pipeline.ts) train their autoencoders so too.
  'ufldl-mnist': {
    ...common,
    preset: 'ufldl-mnist',
    data: 'mnist',
    hiddenSize: 196,
    sparsityParam: 0.1,
    lambda: 3e-3,
    beta: 3,
    learningRate: defaultLearningRates.lbfgs,
  },
  // UFLDL exercise "Learning color features with Sparse Autoencoders" (linearDecoderExercise):
  // 8×8×3 color patches, mean patch removed and ZCA-whitened (ε = 0.1), 192-400 with a linear
  // output. The exercise sampled 100,000 patches of STL-10, which is not available here; the
  // patches come from the nine embedded photos instead (src/data/color.ts says which): 20,000
  // of them, so that the full run fits 20 minutes on a 2-core machine's lavapipe. An evaluation
  // is about 5 matmuls of m × 192 × 400, 15 GFLOP at m = 20,000; it measured 0.66 s on lavapipe
  // (2026-12-05, 2 cores), and 400 L-BFGS iterations take about 440 evaluations: about 5
  // minutes, 4× under the limit for a machine shared with other jobs (at the 3.5 GFLOP/s
  // measured for the first kernels it would be 32). 20,000 is also where the features were
  // measured in float64 (flat blobs without the contrast selection).
  'ufldl-linear-decoder': {
    ...common,
    preset: 'ufldl-linear-decoder',
    data: 'natural-color',
    patchSize: 8,
    patches: 20_000,
    hiddenSize: 400,
    sparsityParam: 0.035,
    lambda: 3e-3,
    beta: 5,
    output: 'linear',
    learningRate: defaultLearningRates.lbfgs,
  },
};

export const defaultPreset: PresetName = 'ufldl-natural';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(presets, name);
}

/** Throws a ConfigError naming the first bad value. */
export function validateConfig(c: TrainConfig): void {
  const positiveInteger = (value: number, what: string) => {
    if (!(Number.isInteger(value) && value > 0)) throw new ConfigError(`${what} must be a positive integer, got ${value}`);
  };
  positiveInteger(c.hiddenSize, 'hidden size');
  positiveInteger(c.patchSize, 'patch size');
  positiveInteger(c.patches, 'number of patches');
  positiveInteger(c.batchSize, 'batch size');
  if (!(Number.isInteger(c.iterations) && c.iterations >= 0)) {
    throw new ConfigError(`iterations must be a whole number ≥ 0, got ${c.iterations}`);
  }
  if (!(c.sparsityParam > 0 && c.sparsityParam < 1)) {
    throw new ConfigError(`sparsity ρ must lie strictly between 0 and 1, got ${c.sparsityParam}`);
  }
  if (!(Number.isFinite(c.lambda) && c.lambda >= 0)) throw new ConfigError(`λ (lambda) must be ≥ 0, got ${c.lambda}`);
  if (!(Number.isFinite(c.beta) && c.beta >= 0)) throw new ConfigError(`β (beta) must be ≥ 0, got ${c.beta}`);
  if (!(Number.isFinite(c.learningRate) && c.learningRate > 0)) {
    throw new ConfigError(`learning rate must be > 0, got ${c.learningRate}`);
  }
  if (!(Number.isFinite(c.momentum) && c.momentum >= 0 && c.momentum < 1)) {
    throw new ConfigError(`momentum must lie in [0, 1), got ${c.momentum}`);
  }
  if (!optimizerNames.includes(c.optimizer)) {
    throw new ConfigError(`unknown optimizer '${c.optimizer}' (choose one of ${optimizerNames.join(', ')})`);
  }
  if (!Number.isInteger(c.seed)) throw new ConfigError(`seed must be an integer, got ${c.seed}`);
  if (c.output !== undefined && !outputActivations.includes(c.output)) {
    throw new ConfigError(`unknown output layer '${c.output}' (choose ${outputActivations.join(' or ')})`);
  }
}
