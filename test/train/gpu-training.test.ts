/**
 * Training on the GPU: the first-order update kernels against their float64 twins, whole runs
 * (GD, SGD, Adam, L-BFGS) against the float64 reference engine, and device failures mid-run.
 * (L-BFGS's own kernels: test/gpu/lbfgs.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { createNodeGpuContext } from '../../src/gpu/node';
import { DeviceLostError } from '../../src/gpu/errors';
import { compareElementwise, formatCheck, relativeNorm } from '../../src/gpu/comparison';
import { roundoffBound, MODEL_TOLERANCE, OPTIMIZER_TOLERANCE, UNIT_ROUNDOFF } from '../../src/gpu/tolerance';
import { GpuVectorBackend } from '../../src/gpu/vectors';
import { adamStepCpu } from '../../src/optim/vectors';
import { Random } from '../../src/random';
import { sparseAutoencoderCost, type Dataset } from '../../src/reference/autoencoder';
import { initializeParameters, thetaLayout } from '../../src/reference/params';
import type { Checkpoint } from '../../src/train/checkpoint';
import { defaultLearningRates, presets, type OptimizerName, type TrainConfig } from '../../src/train/config';
import { cpuEngine } from '../../src/train/engine';
import { createGpuTrainingEngine } from '../../src/train/gpu-engine';
import { train } from '../../src/train/trainer';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext(); // no adapter: every test fails with the fix named
});
afterAll(() => ctx?.destroy());

/** Values exactly representable in float32, so GPU and reference start from the same numbers. */
function f32Random(n: number, rng: Random, scale = 1): Float64Array {
  return Float64Array.from(Float32Array.from({ length: n }, () => scale * (2 * rng.uniform() - 1)));
}

describe('GPU vector kernels against float64', () => {
  for (const n of [1, 7, 3289, 308_308]) {
    it(`axpy, scale and copy on ${n} values`, async () => {
      const rng = new Random(n);
      const gpu = await GpuVectorBackend.create(ctx, n);
      const x = f32Random(n, rng);
      const y = f32Random(n, rng);
      const gx = gpu.create();
      const gy = gpu.create();
      gpu.write(gx, x);
      gpu.write(gy, y);

      // An exactly representable factor. WGSL's fma need not be fused: a product and a sum,
      // two roundings (chain 1 + 1 extra).
      gpu.axpy(-0.375, gx, gy);
      const axpy = await gpu.read(gy);
      for (let i = 0; i < n; i++) {
        const ref = y[i] - 0.375 * x[i];
        expect(Math.abs(axpy[i] - ref)).toBeLessThanOrEqual(roundoffBound(1, 1, Math.abs(y[i]) + Math.abs(0.375 * x[i])));
      }
      gpu.scale(2, gy);
      gpu.copy(gx, gy);
      expect(Array.from(await gpu.read(gx))).toEqual(Array.from(axpy, (v) => 2 * v));

      gpu.free(gx);
      gpu.free(gy);
      gpu.destroy();
    });
  }

  it('Adam step matches its float64 twin', async () => {
    const n = 1000;
    const rng = new Random(3);
    const gpu = await GpuVectorBackend.create(ctx, n);
    const [theta, grad, m, v] = [f32Random(n, rng), f32Random(n, rng), f32Random(n, rng, 0.1), f32Random(n, rng, 0.01).map(Math.abs)];
    const g = [theta, grad, m, v].map((values) => {
      const vec = gpu.create();
      gpu.write(vec, values);
      return vec;
    });
    // Constants exact in float32 (and so c₁ = 1 − β₁³, c₂ = 1 − β₂³), so that both sides
    // compute from the same numbers.
    const settings = { learningRate: 2 ** -7, beta1: 0.875, beta2: 1 - 2 ** -10, epsilon: 2 ** -27, step: 3 };
    gpu.adamStep(g[0], g[1], g[2], g[3], settings);
    const ref = [theta, grad, m, v].map((a) => a.slice());
    adamStepCpu(ref[0], ref[1], ref[2], ref[3], settings); // the kernel's float64 twin
    const got = await gpu.read(g[0]);
    // The step Δθ carries OPTIMIZER_TOLERANCE.adamStepRoundings relative to |Δθ|, scaled by m's
    // cancellation (m's update is relative to its terms' magnitudes), plus one rounding of θ − Δθ.
    const bounds = Float64Array.from(got, (_, i) => {
      const delta = Math.abs(ref[0][i] - theta[i]);
      const mNew = settings.beta1 * m[i] + (1 - settings.beta1) * grad[i];
      const cancellation = (settings.beta1 * Math.abs(m[i]) + (1 - settings.beta1) * Math.abs(grad[i])) / Math.abs(mNew);
      return roundoffBound(0, 1, Math.abs(ref[0][i])) + roundoffBound(0, OPTIMIZER_TOLERANCE.adamStepRoundings, delta * cancellation);
    });
    const result = compareElementwise('Adam step θ', { n }, got, ref[0], bounds);
    expect(result.pass, formatCheck(result)).toBe(true);
    gpu.destroy();
  });

});

const shape = { visibleSize: 64, hiddenSize: 25 };

function patches(examples: number, seed: number): Dataset {
  const rng = new Random(seed);
  return { data: Float64Array.from({ length: examples * 64 }, () => 0.1 + 0.8 * rng.uniform()), examples, visibleSize: 64 };
}

function config(optimizer: OptimizerName, iterations: number): TrainConfig {
  return { ...presets['ufldl-natural'], preset: 'custom', optimizer, iterations, batchSize: 100, learningRate: defaultLearningRates[optimizer] };
}

describe('training on the GPU', () => {
  const dataset = patches(2000, 4);
  const theta0 = initializeParameters(shape, 2);

  it('gradient descent takes exactly θ ← θ − α∇J (to float32 round-off)', async () => {
    const c = { ...config('gd', 1), learningRate: 0.5 };
    const engine = await createGpuTrainingEngine(ctx, shape, c, dataset);
    const result = await train(engine, { config: c, initialTheta: theta0 });
    engine.destroy();
    const { grad } = sparseAutoencoderCost(theta0, shape, c, dataset);
    const expected = theta0.map((t, i) => t - c.learningRate * grad[i]);
    // The step α∇J carries the gradient's float32 error (≤ 1e-4 of ‖∇J‖); θ itself one rounding.
    const step = theta0.map((t, i) => result.theta[i] - t);
    const refStep = theta0.map((t, i) => expected[i] - t);
    // The step carries the gradient's float32 error (the model's ≤ 1e-4), plus one rounding of
    // each θ + step and θ's own rounding to float32, relative to the step's size.
    const thetaRounding = (2 * UNIT_ROUNDOFF * Math.hypot(...theta0)) / Math.hypot(...refStep);
    expect(relativeNorm(step, refStep)).toBeLessThanOrEqual(MODEL_TOLERANCE.gradientRelativeNorm + thetaRounding);
    expect(result.device.backend).toBe('webgpu');
  });

  for (const optimizer of ['sgd', 'adam'] as const) {
    it(`${optimizer} with mini-batches lowers the cost`, async () => {
      const c = config(optimizer, 60);
      const engine = await createGpuTrainingEngine(ctx, shape, c, dataset);
      const result = await train(engine, { config: c, initialTheta: theta0 });
      engine.destroy();
      expect(result.finalCost).toBeLessThan(result.initialCost / 2);
    });
  }

  it('L-BFGS on the GPU ends within 1% of the float64 reference’s L-BFGS', async () => {
    const c = config('lbfgs', 100);
    const engine = await createGpuTrainingEngine(ctx, shape, c, dataset);
    const gpu = await train(engine, { config: c, initialTheta: theta0 });
    engine.destroy();
    const cpu = await train(cpuEngine(shape, c, dataset), { config: c, initialTheta: theta0 });
    expect(Math.abs(gpu.finalCost - cpu.finalCost) / cpu.finalCost).toBeLessThan(0.01);
    expect(gpu.iterations).toBe(100);
  });

  it('is reproducible, and a cancelled run resumes onto the same trajectory', async () => {
    const c = config('lbfgs', 16);
    const run = async (options: Partial<Parameters<typeof train>[1]> = {}) => {
      const engine = await createGpuTrainingEngine(ctx, shape, c, dataset);
      try {
        return await train(engine, { config: c, initialTheta: theta0, ...options });
      } finally {
        engine.destroy();
      }
    };
    const whole = await run();
    const again = await run();
    expect(Array.from(again.theta)).toEqual(Array.from(whole.theta));

    const controller = new AbortController();
    let saved: Checkpoint | undefined;
    await run({
      signal: controller.signal,
      onProgress: (p) => void (p.iteration === 7 && controller.abort()),
      onCheckpoint: (cp) => void (saved = cp),
    });
    expect(saved?.iteration).toBe(7);
    const resumed = await run({ resumeFrom: saved });
    expect(Array.from(resumed.theta)).toEqual(Array.from(whole.theta));
    expect(thetaLayout(shape).length).toBe(whole.theta.length);
  });

  it('a run that diverges inside a group of steps falls back to the last θ with a finite cost', async () => {
    // Adam at α = 3 on 16-4: in float32 the sparsity term's log(ρ̂) overflows after some ten
    // steps, inside one of the groups the trainer records with a single read-back.
    const small = { visibleSize: 16, hiddenSize: 4 };
    const rng = new Random(7);
    const data = { data: Float64Array.from({ length: 100 * 16 }, () => 0.1 + 0.8 * rng.uniform()), examples: 100, visibleSize: 16 };
    const c: TrainConfig = { ...config('adam', 300), hiddenSize: 4, learningRate: 3, batchSize: 20 };
    const start = initializeParameters(small, 3);
    const run = async (iterations: number, onCheckpoint?: (cp: Checkpoint) => void) => {
      const engine = await createGpuTrainingEngine(ctx, small, c, data);
      try {
        return await train(engine, { config: { ...c, iterations }, initialTheta: start, onCheckpoint });
      } finally {
        engine.destroy();
      }
    };
    let saved: Checkpoint | undefined;
    const diverged = await run(300, (cp) => void (saved = cp));
    expect(diverged.exitReason).toBe('non-finite');
    expect(diverged.iterations).toBeGreaterThan(1);
    expect(diverged.divergedAt).toBe(diverged.iterations + 1);
    expect(Number.isFinite(diverged.finalCost)).toBe(true);
    const short = await run(diverged.iterations);
    expect(Array.from(diverged.theta)).toEqual(Array.from(short.theta));
    expect(saved?.iteration).toBe(diverged.iterations);
  });

  for (const failure of ['an uncaptured error', 'device loss'] as const) {
    it(`stops at ${failure} mid-run with a clear error, the last checkpoint kept`, async () => {
      const own = await createNodeGpuContext({ onDeviceLost: () => {} });
      const c = config('lbfgs', 30);
      const engine = await createGpuTrainingEngine(own, shape, c, dataset);
      let saved: Checkpoint | undefined;
      const quiet = console.error;
      console.error = () => {}; // the context logs the error as well
      try {
        const run = train(engine, {
          config: c,
          initialTheta: theta0,
          checkpointEvery: 2,
          onCheckpoint: (cp) => void (saved = cp),
          onProgress: (p) => {
            if (p.iteration !== 5) return;
            if (failure === 'device loss') own.device.destroy();
            else own.device.createBuffer({ size: 4, usage: 0 }); // invalid, outside any error scope
          },
        });
        await expect(run).rejects.toThrow(DeviceLostError);
        await expect(run).rejects.toThrow(failure === 'device loss' ? /was lost/ : /reported an error/);
      } finally {
        console.error = quiet;
        own.destroy();
      }
      expect(saved?.iteration).toBe(4);
    });
  }
});
