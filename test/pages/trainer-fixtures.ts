/** Messages and records for the trainer page's tests (trainer-state.test.ts, trainer-views.test.ts). */
import type { CostParts } from '../../src/reference/autoencoder';
import { presets } from '../../src/train/config';
import type { FromWorker, RunSummary } from '../../src/pages/trainer/protocol';
import { initialState, reduce, type Message, type TrainerState } from '../../src/pages/trainer/state';
import type { SavedModel } from '../../src/pages/trainer/store';

export const config = { ...presets['ufldl-natural'], patches: 2000, iterations: 30 };
export const run = (...messages: Message[]) => messages.reduce<TrainerState>(reduce, initialState);
export const start: Message = { type: 'start-requested', config, device: 'gpu' };
export const parts: CostParts = { reconstruction: 0.5, weightDecay: 0.01, sparsity: 0.2 };

export const ready = (extra: Partial<Extract<FromWorker, { type: 'ready' }>> = {}): FromWorker => ({
  type: 'ready',
  description: '2000 patches of 8×8 from the embedded whitened natural images',
  shape: { visibleSize: 64, hiddenSize: 25 },
  pixelGeometry: { width: 8, height: 8 },
  geometry: { width: 8, height: 8 },
  examples: 2000,
  device: { backend: 'webgpu', adapter: 'google swiftshader' },
  sample: new Float64Array(10 * 64),
  sampleCount: 10,
  ...extra,
});

export const progress = (iteration: number, cost: number, elapsedSeconds = iteration / 10): FromWorker => ({
  type: 'progress',
  iteration,
  totalIterations: 30,
  evaluations: iteration + 1,
  cost,
  parts,
  elapsedSeconds,
});

export const summary = (extra: Partial<RunSummary> = {}): RunSummary => ({
  iterations: 30,
  evaluations: 33,
  seconds: 3,
  initialCost: 40,
  finalCost: 0.7,
  parts,
  meanActivation: new Float64Array(25).fill(0.01),
  exitReason: 'max-iterations',
  ...extra,
});

export const savedModel = (): SavedModel => ({
  kind: 'model',
  config,
  device: 'gpu',
  description: 'natural',
  history: { x: [0, 30], y: [[40, 0.7], [1, 1], [1, 1], [1, 1]] },
  savedAt: Date.UTC(2026, 11, 1, 12),
  elapsedSeconds: 3,
  evaluations: 33,
  shape: { visibleSize: 64, hiddenSize: 25 },
  pixelGeometry: { width: 8, height: 8 },
  geometry: { width: 8, height: 8 },
  theta: new Float64Array(3),
  iterations: 30,
  finalCost: 0.7,
  parts,
  meanActivation: new Float64Array(25),
  exitReason: 'max-iterations',
  sample: new Float64Array(640),
  sampleCount: 10,
});
