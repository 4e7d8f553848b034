/**
 * The WebGPU pipeline as a training engine (src/train/engine.ts): θ, the gradient and every
 * optimizer vector live in GPU buffers; an evaluation is the optimizer's recorded updates plus
 * the model's forward and backward pass in one submission, and only the four cost scalars come
 * back.
 */
import type { CostParts, Dataset, Hyperparameters } from '../reference/autoencoder';
import { thetaLayout, type Shape } from '../reference/params';
import { RecentParts, type TrainingEngine } from '../train/engine';
import type { Objective } from '../optim/lbfgs';
import { GpuSparseAutoencoder, type Batch } from './autoencoder';
import type { GpuContext } from './device';
import { withErrorScopes } from './errors';
import { GpuVectorBackend, type GpuVector } from './vectors';

export function describeAdapter(ctx: GpuContext): string {
  const { vendor, architecture, description } = ctx.adapterInfo;
  return [description, vendor && `vendor ${vendor}`, architecture && `architecture ${architecture}`].filter(Boolean).join(', ') || 'unknown adapter';
}

export async function createGpuTrainingEngine(
  ctx: GpuContext,
  shape: Shape,
  hyperparameters: Hyperparameters,
  dataset: Dataset,
  options: { corrections?: number } = {},
): Promise<TrainingEngine<GpuVector>> {
  const model = await GpuSparseAutoencoder.create(ctx, shape, hyperparameters, dataset);
  let vectors: GpuVectorBackend;
  try {
    vectors = await GpuVectorBackend.create(ctx, thetaLayout(shape).length, options.corrections ?? 100);
  } catch (error) {
    model.destroy();
    throw error;
  }
  const device = ctx.device;
  const recent = new RecentParts();
  const full: Batch = { start: 0, count: dataset.examples };
  const staging = device.createBuffer({ label: 'cost read-back', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs evaluations one at a time: they share the model's activations and the staging buffer. */
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const evaluateInto = (batch: Batch, theta: GpuVector, grad: GpuVector) =>
    serialized(async () => {
      const current = model.batch;
      if (current.start !== batch.start || current.count !== batch.count) model.setBatch(batch);
      await withErrorScopes(device, 'evaluating the sparse autoencoder', () => {
        const encoder = vectors.takeEncoder(); // the optimizer's pending updates go first
        model.encodeEvaluation(encoder, theta.buffer, grad.buffer);
        encoder.copyBufferToBuffer(model.costBuffer, 0, staging, 0, 16);
        vectors.submit(encoder);
      });
      await staging.mapAsync(GPUMapMode.READ);
      const c = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      const parts: CostParts = { reconstruction: c[1], weightDecay: c[2], sparsity: c[3] };
      recent.remember(c[0], parts);
      return c[0];
    });

  return {
    device: { backend: 'webgpu', adapter: describeAdapter(ctx) },
    shape,
    examples: dataset.examples,
    vectors,
    objective(batch?: Batch): Objective<GpuVector> {
      const range = batch ?? full;
      return { evaluate: (theta, grad) => evaluateInto(range, theta, grad) };
    },
    partsOf: (cost) => recent.find(cost),
    summarize: (theta) =>
      serialized(async () => {
        const encoder = vectors.takeEncoder();
        encoder.copyBufferToBuffer(theta.buffer, 0, model.thetaBuffer, 0, thetaLayout(shape).length * 4);
        vectors.submit(encoder);
        model.setBatch(full);
        const result = await model.evaluate({ meanActivation: true });
        return { cost: result.cost, parts: result.parts, meanActivation: Float64Array.from(result.meanActivation!) };
      }),
    finish: () => vectors.finish(),
    destroy() {
      vectors.destroy();
      model.destroy();
      staging.destroy();
    },
  };
}
