/**
 * Messages between the trainer page and its worker. The worker holds the data, the engine
 * (WebGPU or the float64 reference) and the training loop; the page only draws, so it stays
 * responsive whatever the engine does.
 */
import type { UnitStatistics } from '../../analysis/units';
import type { TileSize } from '../../display/network';
import type { AdapterSummary } from '../../gpu/adapter';
import type { CostParts } from '../../reference/autoencoder';
import type { TrainingProgress, TrainingWork } from '../../train/trainer';
import type { Shape } from '../../reference/params';
import type { TrainConfig } from '../../train/config';
import type { UserFile } from '../../train/data';
import type { DeviceDescription } from '../../train/engine';
import type { PixelGeometry } from '../../train/model-files';

export type DeviceChoice = 'gpu' | 'cpu';
export type ExportKind = 'png' | 'json' | 'mat';

export interface StartRequest {
  type: 'start';
  config: TrainConfig;
  device: DeviceChoice;
  /** The user's files when config.data names them. */
  files?: UserFile[];
  /** An encoded checkpoint to continue (a run saved before a reload). */
  resume?: Uint8Array;
  /** Redraw the features every this many iterations (at most ~6 times a second). */
  liveEvery: number;
  /** Checkpoints every this many iterations (0: none by count) … */
  checkpointEvery: number;
  /** … and at most this often in seconds of training (0: none by time). */
  checkpointSeconds: number;
  /** Train on a random subset of this many examples when the data have more. */
  maxExamples?: number;
  /** The kernel tuner's budget in ms (0: tuning off, the table's kernels; absent: its default, about 2 s). */
  tuneBudgetMs?: number;
}

/** A trained model to show again (the last finished run, kept in IndexedDB). */
export interface ShowModelRequest {
  type: 'show-model';
  config: TrainConfig;
  shape: Shape;
  pixelGeometry: PixelGeometry;
  geometry: TileSize;
  theta: Float64Array;
  sample: Float64Array;
  sampleCount: number;
}

/**
 * A model.json written by `npm run train` (or exported here) to show on the current data: the
 * form's settings choose the data, as for a run (`files` when they are the user's).
 */
export interface OpenModelRequest {
  type: 'open-model';
  name: string;
  bytes: Uint8Array;
  config: TrainConfig;
  files?: UserFile[];
}

export type ToWorker =
  | { type: 'inspect'; files: UserFile[]; config: TrainConfig }
  | StartRequest
  | ShowModelRequest
  | OpenModelRequest
  | { type: 'pause' }
  | { type: 'resume'; iterations: number }
  | { type: 'stop' }
  | { type: 'export'; kind: ExportKind }
  /** For tests only (the page sends it when ?testHooks=1 asks): destroys the GPU device under the run. */
  | { type: 'lose-device' };

export interface RunSummary {
  iterations: number;
  evaluations: number;
  seconds: number;
  initialCost: number;
  finalCost: number;
  parts: CostParts;
  meanActivation: Float64Array;
  exitReason: string;
  /** When the cost became non-finite: that iteration (θ is then the step before's). */
  divergedAt?: number;
  /** The GPU work of the training loop (read-backs, dispatches, submissions, GPU time). */
  work?: TrainingWork;
  /** Dead and always-on units, mean L0 and variance explained of the final θ (not for a pause). */
  units?: UnitStatistics;
}

export type FromWorker =
  | { type: 'inspected'; ok: true; description: string; examples: number; visibleSize: number }
  | { type: 'inspected'; ok: false; message: string }
  | { type: 'status'; text: string }
  | {
      type: 'ready';
      description: string;
      shape: Shape;
      pixelGeometry: PixelGeometry;
      geometry: TileSize;
      examples: number;
      device: DeviceDescription;
      adapter?: AdapterSummary;
      /** Why the GPU was not used although asked for. */
      fallback?: string;
      /** A few training examples (count × visible) for the reconstructions view. */
      sample: Float64Array;
      sampleCount: number;
      resumedFrom?: { iteration: number; evaluations: number; cost: number; elapsedSeconds: number; initialCost: number };
    }
  | ({ type: 'progress' } & Omit<TrainingProgress, 'readTheta'>)
  | {
      type: 'view';
      /** The iteration the θ shown was read at. */
      iteration: number;
      /** Gray, or RGB for color features (channels 3), values in [−1, 1]. */
      features: { width: number; height: number; channels?: 1 | 3; values: Float32Array };
      reconstructions: Float64Array;
      /** ρ̂ over the whole data set, when it was computed for this view. */
      meanActivation?: Float64Array;
    }
  | {
      type: 'checkpoint';
      iteration: number;
      totalIterations: number;
      cost: number;
      bytes: Uint8Array;
      /** L-BFGS pairs kept in the stored copy when the full memory was too large to store. */
      keptCorrections?: { kept: number; of: number };
    }
  | { type: 'ended'; reason: 'paused' | 'stopped' | 'finished'; summary: RunSummary; theta: Float64Array }
  /** A model.json read and fitted to the current data; its pictures follow as a 'view'. */
  | {
      type: 'model-opened';
      name: string;
      /** The run's settings with the model's shape, output layer and hyperparameters. */
      config: TrainConfig;
      description: string;
      shape: Shape;
      pixelGeometry: PixelGeometry;
      geometry: TileSize;
      sample: Float64Array;
      sampleCount: number;
      theta: Float64Array;
      /** ρ̂ and the hidden units' statistics over every example of the current data (float64). */
      meanActivation: Float64Array;
      units: UnitStatistics;
      /** The model carried its ZCA whitening, and the data were whitened with it. */
      whitened: boolean;
    }
  /** The file is not a model this page can show on the current data: why, in words. */
  | { type: 'model-refused'; name: string; message: string }
  /** `device`: the GPU device was lost (or broke) while training; the last checkpoint is the run's state. */
  | { type: 'error'; message: string; during: 'data' | 'config' | 'engine' | 'training' | 'device' | 'export' }
  | { type: 'exported'; kind: ExportKind; filename: string; mime: string; bytes: Uint8Array };
