/** The engine a Node run asks for: WebGPU through Dawn, or the float64 reference. */
import { createNodeGpuContext } from '../gpu/node';
import { createGpuTrainingEngine } from './gpu-engine';
import type { Dataset, Hyperparameters } from '../reference/autoencoder';
import type { Shape } from '../reference/params';
import { cpuEngine, type TrainingEngine } from './engine';

export async function createEngine(
  device: 'gpu' | 'cpu',
  shape: Shape,
  hyperparameters: Hyperparameters,
  dataset: Dataset,
): Promise<{ engine: TrainingEngine<unknown>; close(): void }> {
  if (device === 'cpu') {
    return { engine: cpuEngine(shape, hyperparameters, dataset) as TrainingEngine<unknown>, close() {} };
  }
  const ctx = await createNodeGpuContext();
  try {
    const engine = await createGpuTrainingEngine(ctx, shape, hyperparameters, dataset);
    return {
      engine: engine as TrainingEngine<unknown>,
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
