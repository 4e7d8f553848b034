/** The engine a Node run asks for: WebGPU through Dawn, or the float64 reference. */
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
  throw new Error('the GPU engine is not built yet; use --device cpu');
}
