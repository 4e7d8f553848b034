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
import { convolvedDim, convolveFeatures, meanPool, pooledDim } from '../reference/conv';
import type { Shape } from '../reference/params';
import type { ConvPoolShape } from '../gpu/conv-pool';
import type { ConvWeights, ImageGeometry } from './conv';
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
  /** The convolution stage's geometry (it trains nothing: θ is empty). */
  convolution?: ConvPoolShape;
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
   * cnnConvolve + cnnPool: σ(W′·x + b′) of every feature at every valid position of every image,
   * mean-pooled by poolDim; examples × F·pooledDim² (image-major: an image's pooled features are
   * one row, feature by feature). In batches of images, `onBatch` after each with the images
   * done; it returns false to stop, and the result is then null.
   */
  convolvePool(features: ConvWeights, images: Dataset, geometry: ImageGeometry, poolDim: number, onBatch?: ConvBatchHook): Promise<Float64Array | null>;
  /**
   * Throws a ResourceLimitError when a stage's model or data would not fit this device's
   * buffers: asked of every stage before the first starts (memory is checked apart).
   */
  checkFits(stages: readonly StageSize[], corrections: number): void;
  destroy(): void;
}

export type ConvBatchHook = (done: number, total: number) => boolean | void | Promise<boolean | void>;

/** Images per batch of the float64 convolution: a stop waits for at most one batch. */
const CPU_CONV_BATCH = 50;

/** The float64 twin of the GPU's convolution stage (convolveFeatures + meanPool), batch by batch. */
export async function cpuConvolvePool(features: ConvWeights, images: Dataset, geometry: ImageGeometry, poolDim: number, onBatch?: ConvBatchHook): Promise<Float64Array | null> {
  const { channels, imageDim } = geometry;
  const shapeOf = (n: number) => ({ images: n, channels, imageDim, features: features.features, patchDim: features.patchDim });
  const cd = convolvedDim(shapeOf(1));
  const pd = pooledDim(cd, poolDim);
  const perImage = features.features * pd * pd;
  const imageSize = channels * imageDim * imageDim;
  if (images.visibleSize !== imageSize || features.channels !== channels) throw new RangeError(`convolution: images of ${images.visibleSize} values are not ${channels} × ${imageDim}², or the features' channels ${features.channels} differ`);
  const out = new Float64Array(images.examples * perImage);
  for (let start = 0; start < images.examples; start += CPU_CONV_BATCH) {
    const n = Math.min(CPU_CONV_BATCH, images.examples - start);
    const batch = images.data.subarray(start * imageSize, (start + n) * imageSize);
    const convolved = convolveFeatures(batch, features.weights, features.bias, shapeOf(n));
    out.set(meanPool(convolved, n * features.features, cd, poolDim), start * perImage);
    if ((await onBatch?.(start + n, images.examples)) === false) return null;
  }
  return out;
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
    convolvePool: cpuConvolvePool,
    checkFits() {},
    destroy() {},
  };
}
