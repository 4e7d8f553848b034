/**
 * Messages between the classification page and its worker. The worker loads the digits, runs
 * src/classify/pipeline.ts on WebGPU and sends what there is to see; the page keeps it in a
 * reducer (./state.ts) and draws (./views.ts).
 */
import type { StageKind, StageRecord, TaskName } from '../../classify/pipeline';
import type { ClassifierShape } from '../../reference/classifier';

/** What the controls choose; everything else is the exercises' own settings. */
export interface ClassifyRequest {
  type: 'start';
  task: TaskName;
  /** Digits used, of the embedded 10,000 (shuffled first). */
  digits: number;
  hiddenSize: number;
  autoencoderIterations: number;
  softmaxIterations: number;
  finetuneIterations: number;
  seed: number;
  /** conv: 8×8 patches cut from the training digits for the autoencoder, and the pooling regions' side. */
  patches: number;
  poolDim: number;
}

/** A digit drawn on the pad, prepared as MNIST's (28 × 28, row-major, ink 1), for the trained classifier. */
export interface PredictDigit {
  type: 'predict-digit';
  id: number;
  pixels: Float32Array;
}

/** A model.json written by `npm run classify`, to score on the embedded digits the controls choose (its own task's split). */
export interface OpenModelRequest {
  type: 'open-model';
  name: string;
  bytes: Uint8Array;
  digits: number;
  seed: number;
}

export type ToWorker = ClassifyRequest | { type: 'stop' } | PredictDigit | OpenModelRequest;

/** A first-layer feature's response to a drawn digit, and its weights as a 28 × 28 picture in [−1, 1]. */
export interface DigitFeature {
  unit: number;
  activation: number;
  picture: Float32Array;
}

/**
 * conv: a convolution feature's response to a drawn digit. `strength` is how far its pooled map
 * rises above its response to blank paper, σ(b′), at its strongest cell; `weights` is the feature
 * (patchDim², in [−1, 1]) and `map` its pooled map (pooledDim², σ means in [0, 1]).
 */
export interface PooledFeature {
  unit: number;
  strength: number;
  patchDim: number;
  weights: Float32Array;
  pooledDim: number;
  map: Float32Array;
}

export interface StagePlanView {
  name: string;
  kind: StageKind;
  iterations: number;
}

/** A StageRecord without its θ. */
export type StageSummary = Omit<StageRecord, 'theta'>;

/** A display_network picture, values in [−1, 1]. */
export interface FeaturePicture {
  width: number;
  height: number;
  values: Float32Array;
}

/** The first test digits: pixels (count × 784, row-major), true and predicted labels. */
export interface DigitSample {
  count: number;
  side: number;
  pixels: Float32Array;
  labels: Uint8Array;
  predictions: Uint8Array;
}

export type FromWorker =
  | { type: 'status'; text: string }
  | {
      type: 'ready';
      task: TaskName;
      stages: StagePlanView[];
      counts: { train: number; test: number; unlabeled?: number };
      numClasses: number;
      /** The adapter, in words. */
      device: string;
    }
  | {
      type: 'progress';
      index: number;
      iteration: number;
      totalIterations: number;
      cost: number;
      elapsedSeconds: number;
      /** What iteration counts when not L-BFGS iterations: the convolution stage's images (cost NaN). */
      unit?: 'images';
    }
  | {
      type: 'features';
      /** Autoencoder layer, 0-based. */
      layer: number;
      /** The stage it belongs to and the iteration its θ was read at. */
      index: number;
      iteration: number;
      picture: FeaturePicture;
      hiddenSize: number;
    }
  /**
   * conv: the first test digits and their pooled feature maps, drawn as pooled-maps.png
   * (pooledMapsImage), once the convolution stage has pooled the test set.
   */
  | {
      type: 'pooled-maps';
      /** The convolution stage. */
      index: number;
      picture: FeaturePicture;
      digits: number;
      features: number;
      pooledDim: number;
      poolDim: number;
    }
  | { type: 'stage-done'; index: number; record: StageSummary }
  | {
      type: 'finished';
      accuracies: Record<string, number>;
      /** [true][predicted] counts over the whole test set. */
      confusion: number[][];
      testCount: number;
      sample: DigitSample;
      seconds: number;
      /** The classifier the test set was scored with, which also reads the drawn digits. */
      classifier: { shape: ClassifierShape; theta: Float64Array };
    }
  | {
      type: 'digit-predicted';
      id: number;
      pixels: Float32Array;
      /** p(class | digit) from the GPU classifier. */
      probabilities: Float64Array;
      /** The first-layer features that respond most (none for softmax on raw pixels, nor for conv). */
      features?: DigitFeature[];
      /** conv: the convolution features whose pooled maps respond most. */
      pooled?: PooledFeature[];
    }
  | { type: 'digit-failed'; id: number; message: string }
  | { type: 'stopped'; accuracies: Record<string, number>; seconds: number }
  /** A model.json scored on the test digits; the pad reads digits with it from now on. */
  | {
      type: 'model-opened';
      name: string;
      task: TaskName;
      /** Its test accuracy here, by the name of the classifier it is (its task's last). */
      accuracies: Record<string, number>;
      /** What the file says the run that wrote it measured. */
      reported: Record<string, number>;
      confusion: number[][];
      testCount: number;
      sample: DigitSample;
      counts: { train: number; test: number; unlabeled?: number };
      numClasses: number;
      device: string;
      classifier: { shape: ClassifierShape; theta: Float64Array };
      /** conv: the first test digits and their pooled maps under the model's convolution (index −1: no stage). */
      pooledMaps?: Omit<Extract<FromWorker, { type: 'pooled-maps' }>, 'type'>;
    }
  /** The file is not a classifier this page can score on the digits: why. The page stays as it was. */
  | { type: 'model-refused'; name: string; message: string }
  | { type: 'error'; message: string; during: 'data' | 'webgpu' | 'run' };
