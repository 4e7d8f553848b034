/**
 * The TopK SAE's training rows of `npm run bench:sae` (GitHub issue 18, item 7): training steps
 * per second of the project's GPU step (gpuSaeBackend of src/train/sae-trainer.ts: the model's
 * evaluation with AuxK, the firing counts, the parallel-gradient removal, Adam, the
 * renormalisation) beside the same recipe written with TensorFlow.js (bench/impls/tfjs-sae.ts),
 * on the same data, θ₀ and batches.
 *
 * Shared by Node (bench/sae.ts) and the Chromium page (bench/pages/sae.ts): imports nothing that
 * needs Node or a browser. TF.js's backend modules are imported by the caller.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GpuContext } from '../src/gpu/device';
import { describeAdapter } from '../src/train/gpu-engine';
import { gpuSaeBackend, saeForward } from '../src/train/sae-trainer';
import { ADAM_DEFAULTS, batchForIteration } from '../src/train/trainer';
import { median } from './config';
import { saeBenchInputs, saeSizes, type SaeSizeName } from './sae-inputs';
import { tfjsSae } from './impls/tfjs-sae';

export { saeBenchInputs, saeSizeNames, saeSizes, type SaeSizeName } from './sae-inputs';

export type SaeImpl = 'gpu' | 'tfjs-webgpu' | 'tfjs-cpu';
export const saeImpls: readonly SaeImpl[] = ['gpu', 'tfjs-webgpu', 'tfjs-cpu'];

export interface SaeCellRequest {
  size: SaeSizeName;
  impl: SaeImpl;
  /** Steps recorded per wait (one read-back at the end of each group). */
  stepsPerGroup: number;
  /** Timed groups after the warm-up, at most. */
  groups: number;
  /** No further group once the cell (warm-up included) would pass this. */
  budgetMs: number;
}

export interface SaeCellResult {
  impl: SaeImpl;
  size: SaeSizeName;
  shape: { inputs: number; latents: number; k: number; batch: number; auxK: number };
  /** The first step alone (shader compilation, allocation): its wall time and its L_rec. */
  firstStepMs: number;
  firstReconstruction: number;
  /** Per-step time of each timed group (group wall time / steps). */
  samplesMs: number[];
  medianMsPerStep: number | null;
  stepsPerSecond: number | null;
  stepsPerGroup: number;
  setupMs: number;
  adapter: string;
  notes: string[];
}

/** The twin's L_rec (batch mean of ‖x − x̂‖², float64) of the first step's batch at θ₀. */
export function referenceFirstReconstruction(size: SaeSizeName): number {
  const { shape, dataset, theta0, settings } = saeBenchInputs(size);
  const d = shape.inputs;
  const batch = batchForIteration(0, dataset.examples, settings.batchSize, settings.seed);
  const x = dataset.data.subarray(batch.start * d, (batch.start + batch.count) * d);
  const { reconstruction } = saeForward({ shape, variant: 'topk', theta: theta0, k: settings.k }, x, batch.count);
  let sum = 0;
  for (let j = 0; j < x.length; j++) sum += (x[j] - reconstruction[j]) ** 2;
  return sum / batch.count;
}

interface Stepper {
  /** Records steps [from, to) and waits for the last; returns its L_rec. */
  run(from: number, to: number): Promise<number>;
  destroy(): void;
  adapter: string;
  notes: string[];
}

async function gpuStepper(ctx: GpuContext, size: SaeSizeName): Promise<Stepper> {
  const { shape, dataset, theta0, settings } = saeBenchInputs(size);
  const backend = await gpuSaeBackend(ctx, shape, settings, dataset, theta0);
  return {
    async run(from, to) {
      for (let k = from; k < to; k++) {
        backend.record(batchForIteration(k, dataset.examples, settings.batchSize, settings.seed), { learningRate: settings.learningRate, ...ADAM_DEFAULTS, step: k + 1 });
      }
      const last = await backend.sync();
      // As runSae does after every group: the dead latents for AuxK.
      backend.setDeadLatents(Array.from(last.sinceFired, (n) => n >= settings.deadAfter));
      return last.reconstruction;
    },
    destroy: () => backend.destroy(),
    adapter: describeAdapter(ctx),
    notes: ['gpuSaeBackend (src/train/sae-trainer.ts): one submission and one read-back per group'],
  };
}

async function tfjsStepper(backendName: 'webgpu' | 'cpu', size: SaeSizeName, adapter: string): Promise<Stepper> {
  if (!(await tf.setBackend(backendName))) throw new Error(`TensorFlow.js could not start its ${backendName} backend`);
  await tf.ready();
  const { shape, dataset, theta0, settings } = saeBenchInputs(size);
  const sae = tfjsSae(shape, Float32Array.from(dataset.data), dataset.examples, theta0, { k: settings.k, auxK: settings.auxK, deadAfter: settings.deadAfter, learningRate: settings.learningRate });
  return {
    async run(from, to) {
      let loss: tf.Scalar | null = null;
      for (let k = from; k < to; k++) {
        loss?.dispose();
        const batch = batchForIteration(k, dataset.examples, settings.batchSize, settings.seed);
        loss = sae.step(batch.start, batch.count);
      }
      await loss!.data();
      loss!.dispose();
      return sae.lastReconstruction();
    },
    destroy: () => sae.destroy(),
    adapter,
    notes: sae.notes,
  };
}

/**
 * One cell: setup (not timed), the first step alone, then groups of `stepsPerGroup` steps until
 * `groups` are timed or the budget would be passed. `ctx` for the GPU; `adapter` names where TF.js runs.
 */
export async function runSaeCell(request: SaeCellRequest, where: { ctx?: GpuContext; adapter: string }, onStep?: (text: string) => void): Promise<SaeCellResult> {
  const z = saeSizes[request.size];
  const started = performance.now();
  const stepper =
    request.impl === 'gpu'
      ? await gpuStepper(where.ctx ?? failNoContext(), request.size)
      : await tfjsStepper(request.impl === 'tfjs-webgpu' ? 'webgpu' : 'cpu', request.size, where.adapter);
  try {
    const setupMs = performance.now() - started;
    // The runner's mark: from here on a cell it stops is "> N s for its first step".
    onStep?.(`${request.impl} ${request.size}: setup ${setupMs.toFixed(0)} ms`);
    const t0 = performance.now();
    const firstReconstruction = await stepper.run(0, 1);
    const firstStepMs = performance.now() - t0;
    onStep?.(`${request.impl} ${request.size}: first step ${firstStepMs.toFixed(0)} ms`);
    const samplesMs: number[] = [];
    let step = 1;
    let spent = setupMs + firstStepMs;
    // A group is estimated at the first step's time per step until one is measured.
    let perStep = firstStepMs;
    while (samplesMs.length < request.groups && spent + perStep * request.stepsPerGroup <= request.budgetMs) {
      const t = performance.now();
      await stepper.run(step, step + request.stepsPerGroup);
      const ms = performance.now() - t;
      step += request.stepsPerGroup;
      spent += ms;
      perStep = ms / request.stepsPerGroup;
      samplesMs.push(perStep);
      onStep?.(`${request.impl} ${request.size}: ${perStep.toFixed(1)} ms a step`);
    }
    const medianMs = samplesMs.length > 0 ? median(samplesMs) : null;
    return {
      impl: request.impl,
      size: request.size,
      shape: { inputs: z.inputs, latents: z.latents, k: z.k, batch: z.batch, auxK: Math.floor(z.inputs / 2) },
      firstStepMs,
      firstReconstruction,
      samplesMs,
      medianMsPerStep: medianMs,
      stepsPerSecond: medianMs ? 1000 / medianMs : null,
      stepsPerGroup: request.stepsPerGroup,
      setupMs,
      adapter: stepper.adapter,
      notes: stepper.notes,
    };
  } finally {
    stepper.destroy();
  }
}

function failNoContext(): never {
  throw new Error('the gpu cell needs a GPU context');
}
