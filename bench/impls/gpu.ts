/**
 * (a) This project's GPU pipeline, GpuSparseAutoencoder (src/gpu/autoencoder.ts): one
 * evaluation is one queue submission that reads back only the cost scalars; the gradient stays
 * in its GPU buffer. Browser-safe: the Node context (src/gpu/node.ts, Dawn) is passed in by
 * bench/node-cell.ts.
 */
import { createGpuContext, type GpuContext } from '../../src/gpu/device';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { profileEvaluation } from '../../src/gpu/profile';
import type { Dataset, Hyperparameters } from '../../src/reference/autoencoder';
import { hyperparameters } from '../config';
import type { Evaluator } from '../cell';
import type { BenchInputs } from '../data';

/** A GPU context in the browser (navigator.gpu). */
export function browserGpuContext(): Promise<GpuContext> {
  return createGpuContext(navigator.gpu, { environment: 'browser' });
}

/**
 * `inputs` are the benchmark's (bench/data.ts) or, for the training rows' lower bound
 * (bench/training.ts), a preset's own training data and initial θ.
 */
export async function gpuEvaluator(
  inputs: Pick<BenchInputs, 'shape' | 'theta'> & { dataset: Dataset },
  makeContext: () => Promise<GpuContext>,
  hyper: Hyperparameters = hyperparameters,
): Promise<Evaluator> {
  const ctx = await makeContext();
  let model: GpuSparseAutoencoder;
  try {
    model = await GpuSparseAutoencoder.create(ctx, inputs.shape, hyper, inputs.dataset, {
      theta: inputs.theta,
    });
  } catch (error) {
    ctx.destroy();
    throw error;
  }
  const { matmul, laneGroup, splitK } = model.config;
  return {
    async evaluate() {
      return (await model.evaluate()).cost;
    },
    destroy() {
      model.destroy();
      ctx.destroy();
    },
    profile: () => profileEvaluation(ctx, model),
    adapter: ctx.adapterInfo,
    notes: [
      `kernels: matmul ${matmul}, lane group ${laneGroup}, split-K ${splitK}; ${model.programs.length} dispatches per evaluation`,
    ],
  };
}
