/**
 * The GPU pipeline (src/gpu/) for the pages' workers: a context on the worker's navigator.gpu
 * and the training engine, loaded only when a run asks for WebGPU.
 */
import type { AdapterSummary } from '../../gpu/adapter';
import { createGpuContext as createContext, type GpuContext } from '../../gpu/device';
import type { Dataset, Hyperparameters } from '../../reference/autoencoder';
import type { Shape } from '../../reference/params';
import type { TrainingEngine } from '../../train/engine';

export function adapterOf(ctx: GpuContext): AdapterSummary {
  return ctx.adapterInfo;
}

/** WebGPU is not offered here at all (as opposed to failing while in use). */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** A GPU context on navigator.gpu (in a worker: the worker's), for the pages. */
export async function createGpuContext(): Promise<GpuContext> {
  if (!navigator.gpu) throw new GpuUnavailableError('this browser does not offer WebGPU here');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new GpuUnavailableError('this browser found no WebGPU adapter');
  return createContext(navigator.gpu, { environment: 'browser' });
}

/** The GPU training engine, or a GpuUnavailableError when there is no WebGPU. */
export async function createGpuEngine(
  shape: Shape,
  hyperparameters: Hyperparameters,
  dataset: Dataset,
): Promise<{ engine: TrainingEngine<unknown>; adapter: AdapterSummary; close(): void }> {
  const ctx = await createGpuContext();
  try {
    const { createGpuTrainingEngine } = await import('../../train/gpu-engine');
    const engine = (await createGpuTrainingEngine(ctx, shape, hyperparameters, dataset)) as TrainingEngine<unknown>;
    return {
      engine,
      adapter: adapterOf(ctx),
      close() {
        engine.destroy();
        ctx.destroy();
      },
    };
  } catch (error) {
    ctx.destroy();
    throw error;
  }
}
