/**
 * Where the stages of a classification pipeline compute (./pipeline.ts): the float64 reference
 * here, the WebGPU pipeline in ./gpu-compute.ts. Both give the same four things: an autoencoder
 * training engine (the trainer's own), an L-BFGS backend over a classifier's cost, predictions
 * and an autoencoder's features a⁽²⁾.
 */
import type { LbfgsBackend } from '../optim/lbfgs';
import { cpuLbfgsBackend } from '../optim/lbfgs-cpu';
import type { Dataset, Hyperparameters } from '../reference/autoencoder';
import {
  classifierCost,
  classifierProbabilities,
  feedForwardAutoencoder,
  predictClasses,
  type ClassifierShape,
  type LabeledData,
} from '../reference/classifier';
import { classifierLayout } from '../reference/classifier';
import type { Shape } from '../reference/params';
import { cpuEngine, type DeviceDescription, type TrainingEngine } from '../train/engine';

/** A stage's model and data, in the sizes a device's limits are about. */
export interface StageSize {
  name: string;
  thetaLength: number;
  /** The set it trains on: examples × values per example. */
  examples: number;
  width: number;
  /** The stage's model: an autoencoder's shape, or a classifier's (softmax, or the whole stack). */
  autoencoder?: Shape;
  classifier?: ClassifierShape;
}

export interface ClassifyCompute {
  readonly device: DeviceDescription;
  autoencoderEngine(shape: Shape, hyperparameters: Hyperparameters, dataset: Dataset): Promise<TrainingEngine<unknown>>;
  /** L-BFGS over J(θ) of softmaxCost / stackedAECost on `data`. */
  classifierBackend(shape: ClassifierShape, lambda: number, data: LabeledData, corrections: number): Promise<LbfgsBackend>;
  /** The class of each example under θ. */
  predict(shape: ClassifierShape, theta: Float64Array, data: Dataset): Promise<Uint8Array>;
  /** p(class | example) under θ, examples × numClasses (predict's argmax is over these). */
  probabilities(shape: ClassifierShape, theta: Float64Array, data: Dataset): Promise<Float64Array>;
  /** feedForwardAutoencoder.m: a⁽²⁾ = σ(X·W1ᵀ + b1), m × hidden. */
  features(theta: Float64Array, shape: Shape, data: Dataset): Promise<Float64Array>;
  /**
   * Throws a ResourceLimitError when a stage's model or data would not fit this device's
   * buffers: asked of every stage before the first starts (memory is checked apart).
   */
  checkFits(stages: readonly StageSize[], corrections: number): void;
  destroy(): void;
}

export function cpuCompute(): ClassifyCompute {
  return {
    device: { backend: 'cpu', adapter: 'float64 reference (JavaScript)' },
    autoencoderEngine: async (shape, hyperparameters, dataset) => cpuEngine(shape, hyperparameters, dataset),
    async classifierBackend(shape, lambda, data, corrections) {
      return cpuLbfgsBackend(
        classifierLayout(shape).length,
        (theta, grad) => {
          const { cost, grad: g } = classifierCost(theta, shape, lambda, data);
          grad.set(g);
          return { cost };
        },
        corrections,
      );
    },
    predict: async (shape, theta, data) => predictClasses(classifierProbabilities(theta, shape, data), data.examples, shape.numClasses),
    probabilities: async (shape, theta, data) => classifierProbabilities(theta, shape, data),
    features: async (theta, shape, data) => feedForwardAutoencoder(theta, shape, data),
    checkFits() {},
    destroy() {},
  };
}
