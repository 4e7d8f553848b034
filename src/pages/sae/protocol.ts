/**
 * Messages between the SAE page and its worker. The worker holds the data, the GPU (or, without
 * WebGPU, the float64 twin) and the training loop of src/train/sae-trainer.ts; it measures the
 * model as it trains and sends the page numbers and small pictures to draw, nothing else.
 */
import type { DensityHistogram } from '../../analysis/sae-metrics';
import type { SaeVariant } from '../../train/sae-trainer';

/** The page's settings: the variant and its training, and where the data come from. */
export interface SaeSettings {
  variant: SaeVariant;
  /** Latents kept per example (TopK), on average (BatchTopK). */
  k: number;
  /** ReLU-L1's λ. */
  l1: number;
  latents: number;
  batchSize: number;
  steps: number;
  learningRate: number;
  seed: number;
  data: 'synthetic' | 'file';
  /** Synthetic data: N true directions in D dimensions, `active` per example on average, `examples` rows. */
  features: number;
  dimensions: number;
  active: number;
  examples: number;
  /** The tensor of a .safetensors file holding several ('' : the only one). */
  tensor: string;
}

/** The user's activation file, as read on the page (bytes travel to the worker). */
export interface ActivationFile {
  name: string;
  bytes: Uint8Array;
}

/** The numbers of a model at one moment, measured in float64 over (a sample of) the data. */
export interface SaeSnapshot {
  step: number;
  /** Examples the metrics were measured on (all, at the end; a fixed sample while training). */
  examples: number;
  l0: number;
  fvu: number;
  dead: number;
  histogram: DensityHistogram;
  mmcs?: number;
  /** A few decoder directions (count × dimensions, row-major), the most often firing latents. */
  columns: { count: number; dimensions: number; latents: number[]; values: Float32Array };
}

export type ToWorker =
  | { type: 'start'; settings: SaeSettings; file?: ActivationFile; device: 'gpu' | 'cpu' }
  /** What a file holds (examples, dimensions, tensors), before a run. */
  | { type: 'inspect'; file: ActivationFile; tensor: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' };

export interface FinishedRun {
  /** 'max-iterations': every step ran; 'cancelled': stopped; 'non-finite': the loss diverged. */
  exitReason: 'max-iterations' | 'cancelled' | 'non-finite';
  steps: number;
  seconds: number;
  /** Over the whole data set. */
  snapshot: SaeSnapshot;
  threshold?: number;
}

export type FromWorker =
  | { type: 'status'; text: string }
  | { type: 'inspected'; ok: true; name: string; examples: number; dimensions: number }
  | { type: 'inspected'; ok: false; name: string; message: string }
  | {
      type: 'ready';
      description: string;
      examples: number;
      dimensions: number;
      /** The settings the run uses (the page's, checked against the data). */
      settings: SaeSettings;
      device: string;
      /** Why the float64 twin trains although the GPU was asked for. */
      fallback?: string;
      knownDirections: boolean;
    }
  | { type: 'progress'; step: number; steps: number; reconstruction: number; auxiliary: number; dead: number; elapsedSeconds: number }
  | { type: 'snapshot'; snapshot: SaeSnapshot }
  | { type: 'paused' }
  | { type: 'resumed' }
  | ({ type: 'finished' } & FinishedRun)
  | { type: 'error'; message: string; during: 'settings' | 'data' | 'training' };
