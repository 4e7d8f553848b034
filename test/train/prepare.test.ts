/**
 * prepareRun (src/train/prepare.ts) with fake loaders: no files, no GPU. What the command line
 * and the trainer page rely on: θ₀ from the seed or the user's (finite) model, a checkpoint
 * refused unless it fits the model, and the float64 reference when WebGPU is not offered.
 */
import { describe, expect, it, vi } from 'vitest';
import { DataError } from '../../src/data/errors';
import type { GpuContext } from '../../src/gpu/device';
import { NoAdapterError, ResourceLimitError } from '../../src/gpu/errors';
import { Random } from '../../src/random';
import { initializeParameters, thetaLayout } from '../../src/reference/params';
import { CheckpointError, encodeCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { ConfigError, presets, type TrainConfig } from '../../src/train/config';
import type { TrainingData } from '../../src/train/data';
import { cpuEngine, type TrainingEngine } from '../../src/train/engine';
import { prepareRun, type RunEnvironment, type RunRequest } from '../../src/train/prepare';
import { train } from '../../src/train/trainer';

const visibleSize = 16;
const config: TrainConfig = { ...presets['ufldl-natural'], preset: 'custom', data: 'fake', hiddenSize: 3, iterations: 3 };
const shape = { visibleSize, hiddenSize: config.hiddenSize };
const length = thetaLayout(shape).length;

function fakeData(examples = 50): TrainingData {
  const rng = new Random(5);
  const data = Float64Array.from({ length: examples * visibleSize }, () => 0.1 + 0.8 * rng.uniform());
  return { dataset: { data, examples, visibleSize }, geometry: { width: 4, height: 4 }, description: `${examples} fake patches` };
}

/** An environment whose GPU is whatever `gpu` does; every call recorded. */
function environment(gpu: () => Promise<GpuContext> = () => Promise.reject(new NoAdapterError('no WebGPU adapter here')), more: Partial<RunEnvironment> = {}) {
  const calls: string[] = [];
  const env: RunEnvironment = {
    loadData: async (c) => {
      calls.push(`load ${c.data}`);
      return fakeData();
    },
    createGpuContext: () => {
      calls.push('gpu context');
      return gpu();
    },
    isGpuUnavailable: (error) => error instanceof NoAdapterError,
    ...more,
  };
  return { env, calls };
}

const request = (more: Partial<RunRequest> = {}): RunRequest => ({ config, device: 'cpu', ...more });

function checkpoint(more: Partial<Checkpoint> = {}): Checkpoint {
  return {
    config: { ...config, optimizer: 'gd' },
    shape,
    iteration: 2,
    evaluations: 2,
    elapsedSeconds: 1,
    initialCost: 1,
    cost: 0.5,
    theta: initializeParameters(shape, 9),
    state: {},
    ...more,
  };
}

const resume = (c: Checkpoint, more: Partial<NonNullable<RunRequest['resume']>> = {}) => ({ resume: { bytes: encodeCheckpoint(c), source: 'saved.bin', ...more } });

describe('prepareRun', () => {
  it('loads the data, takes the shape from them, starts from θ₀ of the seed, on the float64 reference', async () => {
    const { env, calls } = environment();
    const run = await prepareRun(request(), env);
    expect(run.shape).toEqual(shape);
    expect(run.config).toBe(config);
    expect(Array.from(run.initialTheta)).toEqual(Array.from(initializeParameters(shape, config.seed)));
    expect(run.resumeFrom).toBeUndefined();
    expect(run.engine.device.backend).toBe('cpu');
    expect(run.fallback).toBeUndefined();
    expect(calls).toEqual(['load fake']); // no GPU asked for
    run.close();
  });

  it('refuses an invalid configuration before loading anything', async () => {
    const { env, calls } = environment();
    await expect(prepareRun(request({ config: { ...config, hiddenSize: 0 } }), env)).rejects.toThrow(ConfigError);
    expect(calls).toEqual([]);
  });

  it('takes a random subset when asked for fewer examples, and says so', async () => {
    const { env } = environment();
    const run = await prepareRun(request({ maxExamples: 20 }), env);
    expect(run.data.dataset.examples).toBe(20);
    expect(run.data.description).toBe('a random 20 of 50 fake patches');
  });

  it('refuses a model too large for the memory the environment allows, before θ₀ is made', async () => {
    const load = vi.fn(async () => new Float64Array(length));
    const { env } = environment(undefined, { availableMemory: 1000 });
    await expect(prepareRun(request({ init: { source: 'model.json', load } }), env)).rejects.toThrow(ResourceLimitError);
    expect(load).not.toHaveBeenCalled();
  });

  describe('θ₀ from the user’s model (--init)', () => {
    it('is loaded for the data’s shape', async () => {
      const theta = Float64Array.from({ length }, (_, i) => i / length);
      const load = vi.fn(async () => theta);
      const run = await prepareRun(request({ init: { source: 'model.json', load } }), environment().env);
      expect(load).toHaveBeenCalledWith(shape, run.data);
      expect(run.initialTheta).toBe(theta);
    });

    for (const bad of [NaN, Infinity, -Infinity]) {
      it(`is refused, named, when it holds ${bad}`, async () => {
        const theta = new Float64Array(length).fill(0.1);
        theta[7] = bad;
        const init = { source: 'model.json', load: async () => theta };
        const { env, calls } = environment();
        const error = await prepareRun(request({ init, device: 'gpu' }), env).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DataError);
        expect((error as Error).message).toBe('model.json: holds values that are not finite numbers');
        expect(calls).toEqual(['gpu context', 'load fake']); // started early, its error (no adapter) after the input's
      });
    }
  });

  describe('a checkpoint to resume', () => {
    it('that fits is returned with θ₀ still from the seed, and is named in messages by its source', async () => {
      const saved = checkpoint();
      const run = await prepareRun(request(resume(saved)), environment().env);
      expect(run.resumeFrom?.iteration).toBe(2);
      expect(Array.from(run.resumeFrom!.theta)).toEqual(Array.from(saved.theta));
      expect(Array.from(run.initialTheta)).toEqual(Array.from(initializeParameters(shape, config.seed)));
      expect(run.config).toBe(config); // without resume.config, the configuration as given
    });

    it('that a real run saved continues it', async () => {
      const lbfgs: TrainConfig = { ...config, iterations: 2 };
      let saved: Checkpoint | undefined;
      await train(cpuEngine(shape, lbfgs, fakeData().dataset), { config: lbfgs, initialTheta: initializeParameters(shape, 1), checkpointEvery: 1, onCheckpoint: (c) => void (saved = c) });
      const run = await prepareRun(request({ config: lbfgs, ...resume(saved!) }), environment().env);
      expect(run.resumeFrom?.iteration).toBe(2);
      expect(run.resumeFrom?.lbfgs).toBeDefined();
    });

    it('adopts the configuration resume.config gives from the saved one, and checks it', async () => {
      const saved = checkpoint();
      const onLoadingData = vi.fn();
      const adopted = await prepareRun(request({ ...resume(saved, { config: (c) => ({ ...c, iterations: 9 }) }), onLoadingData }), environment().env);
      expect(adopted.config).toEqual({ ...saved.config, iterations: 9 });
      expect(onLoadingData).toHaveBeenCalledWith(adopted.config);
      await expect(prepareRun(request(resume(saved, { config: (c) => ({ ...c, iterations: -1 }) })), environment().env)).rejects.toThrow(ConfigError);
    });

    it('that is not a checkpoint is refused, named', async () => {
      const { env, calls } = environment();
      await expect(prepareRun(request({ resume: { bytes: new Uint8Array(40), source: 'saved.bin' } }), env)).rejects.toThrow(/^saved\.bin: not a checkpoint file/);
      expect(calls).toEqual([]);
    });

    const refusals: [string, Checkpoint, RegExp][] = [
      ['of another shape', checkpoint({ shape: { visibleSize, hiddenSize: 4 }, theta: initializeParameters({ visibleSize, hiddenSize: 4 }, 9) }), /^saved\.bin: made for a 16-4 model, the data give 16-3$/],
      ['of another shape, even when θ’s length fits', checkpoint({ shape: { visibleSize: 4, hiddenSize: 3 } }), /^saved\.bin: made for a 4-3 model, the data give 16-3$/],
      ['of a linear decoder, for a sigmoid model', checkpoint({ shape: { ...shape, output: 'linear' } }), /^saved\.bin: made for a linear output layer, this run's is sigmoid$/],
      ['whose θ has the wrong length', checkpoint({ theta: initializeParameters(shape, 9).slice(1) }), new RegExp(`^saved\\.bin: θ has ${length - 1} values; this model has ${length}$`)],
      ['whose θ is not finite', checkpoint({ theta: initializeParameters(shape, 9).map((v, i) => (i === 3 ? NaN : v)) }), /^saved\.bin: θ holds a value that is not a finite number$/],
      ['whose optimizer state is missing', checkpoint({ config: { ...config, optimizer: 'adam' }, state: { m: new Float64Array(length) } }), /^saved\.bin: holds no 'v' state for adam$/],
      ['of L-BFGS without L-BFGS state', checkpoint({ config }), /^saved\.bin: holds no L-BFGS state \(saved before the run reached an iteration\): start the run again$/],
    ];
    for (const [what, saved, message] of refusals) {
      it(`${what} is refused before any engine is made, before the missing WebGPU is said`, async () => {
        const onInputsReady = vi.fn();
        const { env, calls } = environment();
        const error = await prepareRun(request({ ...resume(saved), device: 'gpu', onInputsReady }), env).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CheckpointError);
        expect((error as Error).message).toMatch(message);
        expect(onInputsReady).not.toHaveBeenCalled();
        expect(calls).toEqual(['gpu context', 'load fake']); // the context is started first; its error waits for the engine
      });
    }

    it('says what to do with one saved before its first iteration in the caller’s words', async () => {
      const saved = checkpoint({ config });
      await expect(prepareRun(request(resume(saved, { startAgain: 'start it again without --resume' })), environment().env)).rejects.toThrow(
        /: start it again without --resume$/,
      );
    });
  });

  describe('the engine', () => {
    function fakeGpu() {
      const destroyed: string[] = [];
      const ctx = { adapterInfo: { description: 'fake adapter' }, destroy: () => destroyed.push('context') } as unknown as GpuContext;
      const engine = { device: { backend: 'webgpu', adapter: 'fake adapter' }, destroy: () => destroyed.push('engine') } as unknown as TrainingEngine<unknown>;
      return { ctx, engine, destroyed };
    }

    it('is WebGPU’s when asked for and offered; close() frees the engine, then its context', async () => {
      const { ctx, engine, destroyed } = fakeGpu();
      const createGpuEngine = vi.fn(async () => engine);
      const { env } = environment(async () => ctx, { createGpuEngine });
      const run = await prepareRun(request({ device: 'gpu', fallbackToCpu: true }), env);
      expect(createGpuEngine).toHaveBeenCalledWith(ctx, shape, config, run.data.dataset);
      expect(run.engine).toBe(engine);
      expect(run.adapter).toEqual({ description: 'fake adapter' });
      expect(run.fallback).toBeUndefined();
      expect(destroyed).toEqual([]);
      run.close();
      expect(destroyed).toEqual(['engine', 'context']);
    });

    it('falls back to the float64 reference when WebGPU is not offered and the caller allows it', async () => {
      const { env, calls } = environment();
      const run = await prepareRun(request({ device: 'gpu', fallbackToCpu: true }), env);
      expect(calls).toEqual(['gpu context', 'load fake']);
      expect(run.engine.device.backend).toBe('cpu');
      expect(run.adapter).toBeUndefined();
      expect(run.fallback).toBe('no WebGPU adapter here: training on the float64 reference instead');
      run.close();
    });

    it('without the fallback, the caller gets the error of the missing WebGPU', async () => {
      await expect(prepareRun(request({ device: 'gpu' }), environment().env)).rejects.toThrow(NoAdapterError);
    });

    it('a GPU that fails otherwise is no reason to fall back; an engine that fails frees its context', async () => {
      const broken = environment(() => Promise.reject(new Error('device creation failed')));
      await expect(prepareRun(request({ device: 'gpu', fallbackToCpu: true }), broken.env)).rejects.toThrow('device creation failed');
      const { ctx, destroyed } = fakeGpu();
      const failing = environment(async () => ctx, { createGpuEngine: () => Promise.reject(new ResourceLimitError('too big for this GPU')) });
      await expect(prepareRun(request({ device: 'gpu', fallbackToCpu: true }), failing.env)).rejects.toThrow(ResourceLimitError);
      expect(destroyed).toEqual(['context']);
    });

    it('has its context started before the data load, is made after onInputsReady, and not at all when it throws (the context freed)', async () => {
      const order: string[] = [];
      const { ctx, engine, destroyed } = fakeGpu();
      const { env } = environment(
        async () => {
          order.push('gpu context');
          return ctx;
        },
        { createGpuEngine: async () => (order.push('engine'), engine) },
      );
      const run = await prepareRun(request({ device: 'gpu', onLoadingData: () => order.push('loading'), onInputsReady: () => void order.push('inputs ready') }), env);
      expect(order).toEqual(['gpu context', 'loading', 'inputs ready', 'engine']);
      run.close();
      expect(destroyed).toEqual(['engine', 'context']);
      order.length = 0;
      destroyed.length = 0;
      const stop = new Error('stopped');
      await expect(prepareRun(request({ device: 'gpu', onInputsReady: () => Promise.reject(stop) }), env)).rejects.toBe(stop);
      expect(order).toEqual(['gpu context']);
      await Promise.resolve();
      expect(destroyed).toEqual(['context']);
    });

    it('frees a context made early when the data fail, and says the data’s error', async () => {
      const { ctx, destroyed } = fakeGpu();
      const { env } = environment(async () => ctx, {
        loadData: () => Promise.reject(new DataError('photos/', 'no such file or folder')),
        createGpuEngine: () => Promise.reject(new Error('never asked for')),
      });
      await expect(prepareRun(request({ device: 'gpu' }), env)).rejects.toThrow(DataError);
      await Promise.resolve();
      expect(destroyed).toEqual(['context']);
    });
  });
});
