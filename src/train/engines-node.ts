/**
 * A run's environment in Node (./prepare.ts): the data from disk or the npm packages, WebGPU
 * through Dawn, and half of the machine's memory for the model's vectors.
 */
import { totalmem } from 'node:os';
import { softwareAdapter, type AdapterSummary } from '../gpu/adapter';
import { fileCompileStamps } from '../gpu/compile-stamps-node';
import { NoAdapterError } from '../gpu/errors';
import { createNodeGpuContext } from '../gpu/node';
import { firstGuessPrograms } from '../gpu/tuning';
import { nodeTuneOptions, tuneNodeContext } from '../gpu/tuning-node';
import type { Dataset, Hyperparameters } from '../reference/autoencoder';
import type { Shape } from '../reference/params';
import { loadTrainingData } from './data-node';
import type { TrainingEngine } from './engine';
import { createRunEngine, type DeviceChoice, type RunEnvironment } from './prepare';

export const nodeRunEnvironment: RunEnvironment = {
  loadData: loadTrainingData,
  createGpuContext: () => createNodeGpuContext(),
  createWarmUpHelper: async (ctx) => (compilesInParallelOnSecondDevice(ctx.adapterInfo) ? createNodeGpuContext() : undefined),
  compileStamps: fileCompileStamps(),
  isGpuUnavailable: (error) => error instanceof NoAdapterError,
  availableMemory: totalmem() / 2,
};

/**
 * lavapipe compiles a pipeline at its first dispatch on its device's queue thread, and its
 * shaders land in Mesa's disk cache, which a second device then reads: a second device halves
 * a fresh machine's wait for compiles where the cache is on (MESA_SHADER_CACHE_DISABLE unset).
 */
export function compilesInParallelOnSecondDevice(info: AdapterSummary, env: NodeJS.ProcessEnv = process.env): boolean {
  const cacheOff = /^(1|true|yes)$/i.test(env.MESA_SHADER_CACHE_DISABLE ?? '') || /^(1|true|yes)$/i.test(env.MESA_GLSL_CACHE_DISABLE ?? '');
  return softwareAdapter(info) === 'llvmpipe' && !cacheOff;
}

/**
 * The commands' environment: kernels tuned on the adapter (cached in a file) unless `tune` is
 * false (--no-tune) or SAE_NO_TUNE=1 (the test suite), then the table's, said so.
 */
export function nodeRunEnvironmentWith(options: { tune: boolean }): RunEnvironment {
  return {
    ...nodeRunEnvironment,
    tuneKernels: (ctx, shapes) => tuneNodeContext(ctx, shapes, options.tune),
    tuningWarmUp: (ctx, shapes) => firstGuessPrograms(ctx, shapes, nodeTuneOptions(options.tune)),
  };
}

/** The engine alone, for runs that bring their own data (the benchmark). No fallback. */
export async function createEngine(
  device: DeviceChoice,
  shape: Shape,
  hyperparameters: Hyperparameters,
  dataset: Dataset,
): Promise<{ engine: TrainingEngine<unknown>; close(): void }> {
  return createRunEngine(device, shape, hyperparameters, dataset, nodeRunEnvironment);
}
