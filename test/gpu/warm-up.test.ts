/**
 * Pipelines warmed up before the data (src/gpu/warm-up.ts with src/train/gpu-engine.ts
 * trainingEnginePrograms): one submission, no error, and the training engine made afterwards
 * compiles nothing new and computes what an engine on a context without the warm-up computes.
 * Counts, never times.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AdapterSummary } from '../../src/gpu/adapter';
import { DEFAULT_HYPERPARAMETERS, makeFixture } from '../../src/gpu/checks';
import { createNodeGpuContext } from '../../src/gpu/node';
import { kernelConfigFor } from '../../src/gpu/device';
import { denseMatmulShapes, tuningCandidates } from '../../src/gpu/tuner';
import { checkKernels, firstGuessPrograms, timeKernels } from '../../src/gpu/tuning';
import { compiledSetKey } from '../../src/gpu/compile-stamps-node';
import { warmUpPipelines, type CompileStamps } from '../../src/gpu/warm-up';
import { Random } from '../../src/random';
import { presets, type TrainConfig } from '../../src/train/config';
import type { TrainingData } from '../../src/train/data';
import { prepareRun, type RunEnvironment } from '../../src/train/prepare';
import { compilesInParallelOnSecondDevice, nodeRunEnvironment } from '../../src/train/engines-node';
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

  it('gives the engine’s programs to a helper device and the race’s to the run’s, one submission each, every pipeline still made on the run’s device', async () => {
    const shape = { visibleSize: 12, hiddenSize: 5 };
    const ctx = await createNodeGpuContext();
    const helper = await createNodeGpuContext();
    try {
      const programs = await trainingEnginePrograms(ctx, shape, DEFAULT_HYPERPARAMETERS, 3);
      const raced = firstGuessPrograms(ctx, denseMatmulShapes(64, [12, 5, 12], kernelConfigFor(ctx).splitK));
      const submits = [vi.spyOn(ctx.device.queue, 'submit'), vi.spyOn(helper.device.queue, 'submit')];
      const { done } = await warmUpPipelines(ctx, programs, { helper, first: raced });
      expect(submits.map((s) => s.mock.calls.length)).toEqual([1, 1]);
      await done;
      // The helper made the engine's programs that are not the race's; the run's device, all.
      const racedKeys = new Set(raced.map((p) => ctx.pipelines.key(p)));
      const engineOnly = new Set(programs.map((p) => ctx.pipelines.key(p)).filter((key) => !racedKeys.has(key)));
      expect(helper.pipelines.stats.pipelinesCreated).toBe(engineOnly.size);
      expect(ctx.pipelines.stats.pipelinesCreated).toBe(racedKeys.size + engineOnly.size);
      const created = ctx.pipelines.stats.pipelinesCreated;
      const { data } = makeFixture(100, shape.visibleSize, shape.hiddenSize, 2);
      const engine = await createGpuTrainingEngine(ctx, shape, DEFAULT_HYPERPARAMETERS, { data, examples: 100, visibleSize: shape.visibleSize });
      (await engine.lbfgs(3)).dispose();
      expect(ctx.pipelines.stats.pipelinesCreated).toBe(created);
      engine.destroy();
    } finally {
      helper.destroy();
      ctx.destroy();
    }
  });

  it('asks for a helper on lavapipe with Mesa’s shader cache on, and nowhere else', () => {
    const info = (vendor: string, architecture: string, description: string): AdapterSummary => ({ vendor, architecture, description, device: '', isFallbackAdapter: false, subgroups: false, subgroupMinSize: 0, subgroupMaxSize: 0 });
    const lavapipe = info('mesa', 'software', 'llvmpipe: Mesa 25.0.7');
    expect(compilesInParallelOnSecondDevice(lavapipe, {})).toBe(true);
    expect(compilesInParallelOnSecondDevice(lavapipe, { MESA_SHADER_CACHE_DISABLE: 'true' })).toBe(false);
    expect(compilesInParallelOnSecondDevice(info('google', 'swiftshader', ''), {})).toBe(false);
    expect(compilesInParallelOnSecondDevice(info('nvidia', 'hopper', 'NVIDIA H100'), {})).toBe(false);
  });

  it('warms up the race’s first guess: its check and its timing then make no new pipeline; none with tuning off', async () => {
    const ctx = gpu();
    const shapes = denseMatmulShapes(64, [20, 6, 20], kernelConfigFor(ctx).splitK);
    expect(firstGuessPrograms(ctx, shapes, { off: true })).toEqual([]);
    const programs = firstGuessPrograms(ctx, shapes);
    expect(programs).toHaveLength(shapes.length);
    await (await warmUpPipelines(ctx, programs)).done;
    const [guess] = tuningCandidates(ctx.adapterInfo, ctx.device.limits);
    const created = ctx.pipelines.stats.pipelinesCreated;
    expect(await checkKernels(ctx, guess)).toBe(true);
    const now = () => performance.now();
    expect(await timeKernels(ctx, guess, shapes, now(), now, 1)).toBeGreaterThanOrEqual(0);
    expect(ctx.pipelines.stats.pipelinesCreated).toBe(created);
  });

  it('prepareRun warms up only what the shader cache does not hold yet: a stamped set is skipped, a finished warm-up stamped', async () => {
    // 4×4 patches of the photos: a shape the configuration gives before the data, so prepareRun may warm up.
    const config: TrainConfig = { ...presets['ufldl-natural'], hiddenSize: 3, iterations: 1, patchSize: 4 };
    const rng = new Random(2);
    const data: TrainingData = {
      dataset: { data: Float64Array.from({ length: 40 * 16 }, () => 0.1 + 0.8 * rng.uniform()), examples: 40, visibleSize: 16 },
      geometry: { width: 4, height: 4 },
      description: '40 fake patches',
    };
    const stamped = new Set<string>();
    const calls: string[] = [];
    const stamps: CompileStamps = {
      has: async (adapter, programs) => (calls.push('has'), stamped.has(compiledSetKey(adapter, programs))),
      add: async (adapter, programs) => void (calls.push('add'), stamped.add(compiledSetKey(adapter, programs))),
    };
    const env: RunEnvironment = { ...nodeRunEnvironment, loadData: async () => data, compileStamps: stamps, createWarmUpHelper: async () => (calls.push('helper'), undefined) };
    for (const expected of [['has', 'helper', 'add'], ['has']]) {
      calls.length = 0;
      const run = await prepareRun({ config, device: 'gpu' }, env);
      try {
        const lbfgs = await run.engine.lbfgs(5);
        await lbfgs.start(run.initialTheta); // the first evaluation waits for the warm-up's compiles
        lbfgs.dispose();
        expect(calls).toEqual(expected);
      } finally {
        run.close();
      }
    }
    expect(stamped.size).toBe(1);
  });
});
