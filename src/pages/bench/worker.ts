/**
 * The benchmark page's worker: WebGPU context, the kernels tuned for the first size (cached in
 * IndexedDB), then per size the median evaluation (as `npm run bench`'s gpu cell: bench/data.ts's
 * inputs, one warm-up, the first cost checked against the float64 reference) and a short L-BFGS
 * training row, after an untimed warm-up run, beside its lower bound.
 */
import { benchInputs } from '../../../bench/data';
import { checkCost, hyperparameters } from '../../../bench/config';
import { messageOf } from '../../data/errors';
import { GpuSparseAutoencoder } from '../../gpu/autoencoder';
import { createGpuContext, kernelConfigFor, type GpuContext } from '../../gpu/device';
import { denseMatmulShapes } from '../../gpu/tuner';
import { tuneContext } from '../../gpu/tuning';
import { sparseAutoencoderCost } from '../../reference/autoencoder';
import { presets } from '../../train/config';
import { createGpuTrainingEngine, kernelReport } from '../../train/gpu-engine';
import { train } from '../../train/trainer';
import { indexedDbTuningCache } from '../common/tuning-store';
import type { BenchRequest, BenchSizeRequest, EvaluationRow, FromBenchWorker, TrainingRow } from './protocol';

const post = (message: FromBenchWorker): void => self.postMessage(message);
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function evaluationRow(ctx: GpuContext, size: BenchSizeRequest, reps: number): Promise<EvaluationRow> {
  const inputs = benchInputs({ ...size, name: 'small' });
  // The float64 cost of the same data and θ, computed before the model exists (as bench/cell.ts).
  const referenceCost = sparseAutoencoderCost(inputs.theta, inputs.shape, hyperparameters, inputs.dataset).cost;
  const model = await GpuSparseAutoencoder.create(ctx, inputs.shape, hyperparameters, inputs.dataset, { theta: inputs.theta });
  try {
    let start = performance.now();
    const cost = (await model.evaluate()).cost;
    const firstMs = performance.now() - start;
    const samplesMs: number[] = [];
    for (let i = 0; i < reps; i++) {
      start = performance.now();
      await model.evaluate();
      samplesMs.push(performance.now() - start);
    }
    const medianMs = median(samplesMs.length > 0 ? samplesMs : [firstMs]);
    const flops = 10 * size.examples * size.visibleSize * size.hiddenSize;
    return { size: size.name, ...size, medianMs, firstMs, samplesMs, gflops: flops / (medianMs * 1e6), dispatches: model.programs.length, cost, costCheck: checkCost(cost, referenceCost) };
  } finally {
    model.destroy();
  }
}

async function trainingRow(ctx: GpuContext, size: BenchSizeRequest, iterations: number, medianMs: number): Promise<TrainingRow> {
  const inputs = benchInputs({ ...size, name: 'small' });
  const dataset = { ...inputs.dataset, data: Float64Array.from(inputs.dataset.data) };
  const engine = await createGpuTrainingEngine(ctx, inputs.shape, hyperparameters, dataset);
  try {
    const config = { ...presets['ufldl-natural'], ...hyperparameters, hiddenSize: size.hiddenSize, iterations };
    // Untimed: the first run on an engine compiles L-BFGS's pipelines and makes its buffers, which
    // would otherwise count against the first row alone (its overhead read 195× on SwiftShader).
    const warmup = await train(engine, { config: { ...config, iterations: 1 }, initialTheta: inputs.theta });
    const result = await train(engine, { config, initialTheta: inputs.theta });
    const lowerBoundSeconds = (result.evaluations * medianMs) / 1000;
    return {
      size: size.name,
      iterations: result.iterations,
      evaluations: result.evaluations,
      seconds: result.seconds,
      initialCost: result.initialCost,
      finalCost: result.finalCost,
      lowerBoundSeconds,
      overhead: result.seconds / lowerBoundSeconds,
      warmupSeconds: warmup.seconds,
    };
  } finally {
    engine.destroy();
  }
}

self.onmessage = async (event: MessageEvent<BenchRequest>) => {
  const request = event.data;
  let ctx: GpuContext | undefined;
  try {
    ctx = await createGpuContext(navigator.gpu, { environment: 'browser' });
    post({ type: 'adapter', adapter: ctx.adapterInfo });
    const first = request.sizes[0];
    post({ type: 'phase', text: request.tuneBudgetMs > 0 ? 'tuning the kernels on this adapter…' : 'tuning off: the table\'s kernels' });
    const shapes = denseMatmulShapes(first.examples, [first.visibleSize, first.hiddenSize, first.visibleSize], kernelConfigFor(ctx).splitK);
    const choice = await tuneContext(ctx, shapes, { off: request.tuneBudgetMs <= 0, budgetMs: request.tuneBudgetMs, cache: indexedDbTuningCache });
    post({ type: 'kernels', kernels: kernelReport(choice) });
    for (const size of request.sizes) {
      post({ type: 'phase', text: `timing evaluations at (${size.examples}, ${size.visibleSize}, ${size.hiddenSize})…` });
      const row = await evaluationRow(ctx, size, request.reps);
      post({ type: 'evaluation', row });
      if (request.iterations > 0) {
        post({ type: 'phase', text: `training ${request.iterations} L-BFGS iterations at (${size.examples}, ${size.visibleSize}, ${size.hiddenSize})…` });
        post({ type: 'training', row: await trainingRow(ctx, size, request.iterations, row.medianMs) });
      }
    }
    post({ type: 'done' });
  } catch (error) {
    post({ type: 'error', message: messageOf(error) });
  } finally {
    ctx?.destroy();
  }
};
