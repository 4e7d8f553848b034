/**
 * The WebGPU pipeline as a training engine (./engine.ts): θ, the gradient and every optimizer
 * vector live in GPU buffers.
 *
 * - L-BFGS: src/gpu/lbfgs.ts, one submission and one small read-back per evaluation.
 * - First-order methods: each step's evaluation and update are recorded into one compute pass
 *   (./trainer.ts groups many steps), and the cost is read back only when the trainer asks.
 */
import { GpuSparseAutoencoder } from '../gpu/autoencoder';
import { PassTimer } from '../gpu/counters';
import type { GpuContext } from '../gpu/device';
import { GpuLbfgsBackend } from '../gpu/lbfgs';
import { mapForReading } from '../gpu/runtime';
import { ReadBackPacer } from '../gpu/pacer';
import { GpuVectorBackend, type GpuVector } from '../gpu/vectors';
import type { Dataset, Hyperparameters } from '../reference/autoencoder';
import { thetaLayout, type Shape } from '../reference/params';
import { describeKernelChoice, tableChoice, type KernelChoice } from '../gpu/tuner';
import type { KernelReport, TrainingEngine } from './engine';
import type { KernelProgram } from '../gpu/programs';

export function describeAdapter(ctx: GpuContext): string {
  const { vendor, architecture, description } = ctx.adapterInfo;
  return [description, vendor && `vendor ${vendor}`, architecture && `architecture ${architecture}`].filter(Boolean).join(', ') || 'unknown adapter';
}

/** The context's kernel choice for report.json and the device line (the table's when nothing tuned). */
export function kernelReport(choice: KernelChoice, now = Date.now()): KernelReport {
  return {
    summary: describeKernelChoice(choice, now),
    kernels: choice.kernels,
    source: choice.source,
    ...(choice.tunedAt !== undefined ? { tunedAt: new Date(choice.tunedAt).toISOString() } : {}),
    ...(choice.raceMs !== undefined ? { raceSeconds: Math.round(choice.raceMs) / 1000 } : {}),
    ...(choice.raced ? { raced: choice.raced.map((r) => ({ kernels: r.kernels, ...(r.ms !== undefined ? { ms: Math.round(r.ms * 1000) / 1000 } : {}), passed: r.passed, ...(r.skipped ? { skipped: true } : {}) })) } : {}),
  };
}

/** Examples of the stand-in model whose programs are the real one's: its steps depend on the shape, not on the examples. */
export const WARM_UP_EXAMPLES = 64;

/**
 * The programs createGpuTrainingEngine will compile for a model of this shape, known before the
 * data are (prepareRun warms them up while the data load: src/gpu/warm-up.ts): the model's,
 * read from a stand-in of the same shape over a few zero examples with the context's kernels,
 * the optimizer vectors', and L-BFGS's for a run with `lbfgsCorrections`. A model whose data
 * need pieces may add a program or two of its own; those compile at their first use, as all did.
 */
export async function trainingEnginePrograms(ctx: GpuContext, shape: Shape, hyperparameters: Hyperparameters, lbfgsCorrections?: number): Promise<KernelProgram[]> {
  const visibleSize = shape.visibleSize;
  const standIn = await GpuSparseAutoencoder.create(ctx, shape, hyperparameters, { examples: WARM_UP_EXAMPLES, visibleSize, data: new Float64Array(WARM_UP_EXAMPLES * visibleSize) });
  try {
    const length = thetaLayout(shape).length;
    return [...standIn.programs, ...GpuVectorBackend.programs(length), ...(lbfgsCorrections !== undefined ? GpuLbfgsBackend.programs(length, lbfgsCorrections) : [])];
  } finally {
    standIn.destroy();
  }
}

export async function createGpuTrainingEngine(
  ctx: GpuContext,
  shape: Shape,
  hyperparameters: Hyperparameters,
  dataset: Dataset,
): Promise<TrainingEngine<GpuVector>> {
  const device = ctx.device;
  const length = thetaLayout(shape).length;
  const timer = PassTimer.create(device);
  // The model's and the optimizers' pipelines are compiled together (a first run's compilation
  // is most of its start on a fresh machine), L-BFGS's too, so that a run does not start by
  // compiling them; whichever fails, nothing is left behind.
  const [madeModel, madeVectors, compiledLbfgs] = await Promise.allSettled([
    GpuSparseAutoencoder.create(ctx, shape, hyperparameters, dataset),
    GpuVectorBackend.create(ctx, length, timer),
    GpuLbfgsBackend.compile(ctx),
  ]);
  if (madeModel.status === 'rejected' || madeVectors.status === 'rejected' || compiledLbfgs.status === 'rejected') {
    if (madeModel.status === 'fulfilled') madeModel.value.destroy();
    if (madeVectors.status === 'fulfilled') madeVectors.value.destroy();
    timer?.destroy();
    throw [madeModel, madeVectors, compiledLbfgs].find((made): made is PromiseRejectedResult => made.status === 'rejected')!.reason;
  }
  const model = madeModel.value;
  const vectors = madeVectors.value;
  // A first-order run reads back after each group of steps, the same work each time: paced.
  const pacer = new ReadBackPacer(ctx.pollsWhileWaiting ?? false);
  const staging = device.createBuffer({ label: 'cost read-back', size: 16 + PassTimer.BYTES, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const backends = new Set<GpuLbfgsBackend>();
  const objective = {
    length,
    costBuffer: model.costBuffer,
    encode: (pass: GPUComputePassEncoder, theta: GPUBuffer, grad: GPUBuffer) => model.encodeEvaluation(pass, theta, grad, { start: 0, count: dataset.examples }),
    decode: (values: Float32Array) => GpuSparseAutoencoder.costOf(values),
  };

  return {
    device: { backend: 'webgpu', adapter: describeAdapter(ctx), kernels: kernelReport(ctx.kernels ?? tableChoice(ctx.adapterInfo)) },
    shape,
    examples: dataset.examples,
    vectors,
    async lbfgs(corrections) {
      const backend = await GpuLbfgsBackend.create(ctx, objective, corrections);
      backends.add(backend);
      return backend;
    },
    record(theta, grad, batch) {
      model.encodeEvaluation(vectors.pass(), theta.buffer, grad.buffer, batch ?? { start: 0, count: dataset.examples });
    },
    async lastEvaluation() {
      const encoder = vectors.takeEncoder(); // the group's steps, in one timed pass
      encoder.copyBufferToBuffer(model.costBuffer, 0, staging, 0, 16);
      const timed = timer !== null && vectors.lastTakenTimed;
      if (timed) timer.encodeCopy(encoder, staging, 16);
      vectors.submit(encoder);
      await pacer.wait(() => mapForReading(ctx, staging));
      const mapped = staging.getMappedRange().slice(0);
      staging.unmap();
      if (timed) ctx.counters.gpuSeconds += PassTimer.seconds(mapped, 16);
      return GpuSparseAutoencoder.costOf(new Float32Array(mapped, 0, 4));
    },
    async summarize(theta) {
      vectors.flushRecorded();
      model.writeTheta(theta);
      model.setBatch({ start: 0, count: dataset.examples });
      const result = await model.evaluate({ meanActivation: true });
      return { cost: result.cost, parts: result.parts, meanActivation: Float64Array.from(result.meanActivation!) };
    },
    counters: () => ({ ...ctx.counters }),
    finish: () => vectors.finish(),
    destroy() {
      for (const backend of backends) backend.dispose();
      vectors.destroy();
      model.destroy();
      staging.destroy();
      timer?.destroy();
    },
  };
}
