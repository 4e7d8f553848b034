/**
 * Pipelines warmed up before the data (src/gpu/warm-up.ts with src/train/gpu-engine.ts
 * trainingEnginePrograms): one submission, no error, and the training engine made afterwards
 * compiles nothing new and computes what an engine on a context without the warm-up computes.
 * Counts, never times.
 */
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, makeFixture } from '../../src/gpu/checks';
import { createNodeGpuContext } from '../../src/gpu/node';
import { warmUpPipelines } from '../../src/gpu/warm-up';
import { createGpuTrainingEngine, trainingEnginePrograms } from '../../src/train/gpu-engine';
import { useGpuContext } from './context';

const gpu = useGpuContext();

describe('warming up the training engine’s pipelines', () => {
  for (const output of ['sigmoid', 'linear'] as const) {
    it(`compiles every pipeline a ${output}-output engine and its L-BFGS ask for, in one submission, and changes no result`, async () => {
      const ctx = gpu();
      const shape = { visibleSize: 20, hiddenSize: 6, output };
      const programs = await trainingEnginePrograms(ctx, shape, DEFAULT_HYPERPARAMETERS, 5);
      expect(programs.length).toBeGreaterThan(10);
      const submit = vi.spyOn(ctx.device.queue, 'submit');
      try {
        const { done } = await warmUpPipelines(ctx, programs);
        expect(submit).toHaveBeenCalledTimes(1);
        await done;
      } finally {
        submit.mockRestore();
      }

      const { data, theta } = makeFixture(300, shape.visibleSize, shape.hiddenSize, 4);
      const dataset = { data, examples: 300, visibleSize: shape.visibleSize };
      const created = ctx.pipelines.stats.pipelinesCreated;
      const engine = await createGpuTrainingEngine(ctx, shape, DEFAULT_HYPERPARAMETERS, dataset);
      const lbfgs = await engine.lbfgs(5);
      expect(ctx.pipelines.stats.pipelinesCreated).toBe(created); // all cache hits: the stand-in's programs are the engine's
      const warmed = await lbfgs.start(theta);

      const cold = await createNodeGpuContext();
      try {
        const coldEngine = await createGpuTrainingEngine(cold, shape, DEFAULT_HYPERPARAMETERS, dataset);
        const coldLbfgs = await coldEngine.lbfgs(5);
        const reference = await coldLbfgs.start(theta);
        expect(warmed).toEqual(reference); // bit for bit
        coldLbfgs.dispose();
        coldEngine.destroy();
      } finally {
        cold.destroy();
      }
      lbfgs.dispose();
      engine.destroy();
    });
  }
});
