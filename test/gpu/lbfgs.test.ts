/**
 * L-BFGS on the GPU (src/gpu/lbfgs.ts) against float64: the inner products each evaluation
 * reports, the direction at every iteration against the textbook two-loop recursion on the same
 * vectors, and whole runs against a float64 optimizer on the same float32 objective; its
 * pipelines are made with the training engine's, before a run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { GpuLbfgsBackend } from '../../src/gpu/lbfgs';
import { LBFGS_REPORT, productsChainLength } from '../../src/gpu/optimizer-programs';
import { createNodeGpuContext } from '../../src/gpu/node';
import { OPTIMIZER_TOLERANCE, roundoffBound } from '../../src/gpu/tolerance';
import { DEFAULT_CORRECTIONS, minimizeLbfgs, resumeLbfgs, type LbfgsIteration, type LbfgsSnapshot } from '../../src/optim/lbfgs';
import { cpuLbfgsBackend, twoLoopDirection } from '../../src/optim/lbfgs-cpu';
import { decodeLbfgsSnapshot, encodeLbfgsSnapshot } from '../../src/optim/lbfgs-snapshot';
import { innerProductsOf, type InnerProducts } from '../../src/optim/vector-free';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { Random } from '../../src/random';
import type { Dataset } from '../../src/reference/autoencoder';
import { initializeParameters, thetaLayout, type Shape } from '../../src/reference/params';
import { presets } from '../../src/train/config';
import { createGpuTrainingEngine } from '../../src/train/gpu-engine';
import { relativeNorm } from '../../src/gpu/comparison';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext(); // no adapter: every test fails with the fix named
});
afterAll(() => ctx?.destroy());

const hyperparameters = presets['ufldl-natural'];

function patches(examples: number, visible: number, seed: number): Dataset {
  const rng = new Random(seed);
  return { data: Float64Array.from({ length: examples * visible }, () => 0.1 + 0.8 * rng.uniform()), examples, visibleSize: visible };
}

/** A GPU L-BFGS backend on the autoencoder, as the training engine makes it. */
async function gpuBackend(shape: Shape, dataset: Dataset, corrections: number) {
  const engine = await createGpuTrainingEngine(ctx, shape, hyperparameters, dataset);
  const backend = (await engine.lbfgs(corrections)) as GpuLbfgsBackend;
  return { engine, backend };
}

describe('L-BFGS on the GPU', () => {
  const shape: Shape = { visibleSize: 64, hiddenSize: 25 };
  const dataset = patches(300, 64, 5);
  const theta0 = initializeParameters(shape, 3);

  // 64-25 fits one chunk of the products kernel; 100-30 (6,130 values) needs two.
  it.each([
    [64, 25],
    [100, 30],
  ])('keeps the pairs’ inner products to the float32 bound of the products kernel (%i-%i)', async (visibleSize, hiddenSize) => {
    const own: Shape = { visibleSize, hiddenSize };
    const { engine, backend } = await gpuBackend(own, patches(300, visibleSize, 5), 4);
    const n = thetaLayout(own).length;
    // The products kernel's chain; the table's entries for a new pair carry up to 2 roundings
    // more (t·dᵀsᵢ, t²·dᵀd, and sᵢ stored as fl(t·d)).
    const chain = productsChainLength(n);
    let checked = 0;
    await minimizeLbfgs(backend, initializeParameters(own, 3), {
      maxIterations: 12,
      onIteration: async (info) => {
        const state = await info.snapshot();
        const gpu = state.innerProducts!;
        const exact = innerProductsOf(state.corrections, state.grad);
        const magnitude = innerProductsOf(
          state.corrections.map((p) => ({ s: p.s.map(Math.abs), y: p.y.map(Math.abs) })),
          state.grad.map(Math.abs),
        );
        for (const key of ['ss', 'sy', 'yy', 'gs', 'gy'] as const satisfies readonly (keyof InnerProducts)[]) {
          for (let i = 0; i < exact[key].length; i++) {
            expect(Math.abs(gpu[key][i] - exact[key][i]), `${key}[${i}] at iteration ${info.iteration}`).toBeLessThanOrEqual(
              roundoffBound(chain, 4, magnitude[key][i]),
            );
            checked++;
          }
        }
      },
    });
    expect(checked).toBeGreaterThan(100);
    engine.destroy();
  });

  it('reports each of the vector row’s values where LBFGS_REPORT says (checked against float64)', async () => {
    // 100-30 needs two chunks, so the finalize kernel's sums and maxima over chunks run too.
    const own: Shape = { visibleSize: 100, hiddenSize: 30 };
    const { engine, backend } = await gpuBackend(own, patches(300, 100, 5), 5);
    await minimizeLbfgs(backend, initializeParameters(own, 3), { maxIterations: 3 });
    const g = (await backend.read()).grad;
    const t = 0.5;
    const { trial } = await backend.directionAndTrial(t);
    const d = await backend.readDirection();
    backend.accept(trial, null); // g₊ becomes the current gradient, which read() returns
    const gPlus = (await backend.read()).grad;
    engine.destroy();

    const n = d.length;
    const sum = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i)).reduce((a, b) => a + b, 0);
    const max = (f: (i: number) => number) => Math.max(...Array.from({ length: n }, (_, i) => f(i)));
    const delta = (i: number) => gPlus[i] - g[i];
    // [reported, float64 value, Σ|terms| (0 for a maximum, which is exact)], by name.
    const named: Record<keyof typeof LBFGS_REPORT, [number, number, number]> = {
      dd: [trial.dd, sum((i) => d[i] * d[i]), sum((i) => d[i] * d[i])],
      gPlusD: [trial.gtd, sum((i) => gPlus[i] * d[i]), sum((i) => Math.abs(gPlus[i] * d[i]))],
      deltaD: [trial.ys / t, sum((i) => delta(i) * d[i]), sum((i) => Math.abs(delta(i) * d[i]))],
      gPlusDelta: [trial.gPlusDelta, sum((i) => gPlus[i] * delta(i)), sum((i) => Math.abs(gPlus[i] * delta(i)))],
      deltaDelta: [trial.yy, sum((i) => delta(i) * delta(i)), sum((i) => delta(i) * delta(i))],
      gPlusSumAbs: [trial.gradSumAbs, sum((i) => Math.abs(gPlus[i])), sum((i) => Math.abs(gPlus[i]))],
      gPlusMaxAbs: [trial.gradMaxAbs, max((i) => Math.abs(gPlus[i])), 0],
      dMaxAbs: [trial.maxAbsD, max((i) => Math.abs(d[i])), 0],
      gD: [trial.gd, sum((i) => g[i] * d[i]), sum((i) => Math.abs(g[i] * d[i]))],
    };
    expect(Object.keys(named).sort()).toEqual(Object.keys(LBFGS_REPORT).sort());
    // g₊ − g is rounded once in float32 before it enters a product: one more rounding per factor.
    const chain = productsChainLength(n);
    for (const [name, [reported, exact, magnitude]] of Object.entries(named)) {
      expect(Math.abs(reported - exact), `${name}: ${reported} vs ${exact}`).toBeLessThanOrEqual(roundoffBound(chain, 4, magnitude));
    }
    // The values differ from one another well beyond that bound, so a swapped index would show.
    const values = Object.values(named).map(([, exact]) => exact);
    for (let i = 0; i < values.length; i++) {
      for (let j = i + 1; j < values.length; j++) expect(Math.abs(values[i] - values[j])).toBeGreaterThan(1e-3 * Math.max(Math.abs(values[i]), Math.abs(values[j])));
    }
  });

  it('gives the float64 two-loop direction at every iteration, through a full memory', async () => {
    const { engine, backend } = await gpuBackend(shape, dataset, 5);
    const directionAndTrial = backend.directionAndTrial.bind(backend);
    let compared = 0;
    backend.directionAndTrial = async (t) => {
      const state = await backend.read();
      const result = await directionAndTrial(t);
      const expected = new Float64Array(backend.length);
      twoLoopDirection(state.grad, { s: state.corrections.map((p) => p.s), y: state.corrections.map((p) => p.y), ys: state.corrections.map((p) => p.ys), hDiag: state.hDiag }, expected);
      expect(relativeNorm(await backend.readDirection(), expected), `direction ${compared + 1}`).toBeLessThanOrEqual(
        OPTIMIZER_TOLERANCE.directionRelativeNorm,
      );
      compared++;
      return result;
    };
    const result = await minimizeLbfgs(backend, theta0, { maxIterations: 60 });
    expect(result.iterations).toBe(60);
    expect(compared).toBe(60);
    engine.destroy();
  });

  it('takes, from every iterate of a 60-iteration run, the step the float64 optimizer takes', async () => {
    // Lockstep: after each GPU iteration, the float64 two-loop optimizer (src/optim/lbfgs-cpu.ts)
    // resumes from the GPU's own state before that iteration, on the same float32 objective, for
    // one iteration. (Run side by side from θ₀ instead, the two trajectories part after some 40
    // iterations: on this non-convex cost any float32 difference grows, as it would between two
    // float64 codes that sum in different orders.)
    const model = await GpuSparseAutoencoder.create(ctx, shape, hyperparameters, dataset);
    const reference = cpuLbfgsBackend(thetaLayout(shape).length, async (x, gradOut) => {
      model.writeTheta(x);
      const { cost } = await model.evaluate();
      gradOut.set(await model.readGradient());
      return { cost };
    });
    const { engine, backend } = await gpuBackend(shape, dataset, DEFAULT_CORRECTIONS);
    let before: LbfgsSnapshot | undefined;
    let compared = 0;
    const result = await minimizeLbfgs(backend, theta0, {
      maxIterations: 60,
      onStart: async (start) => {
        before = { ...(await backend.read()), iteration: 0, evaluations: 1, cost: start.cost };
      },
      onIteration: async (info) => {
        let expected: LbfgsIteration | undefined;
        await resumeLbfgs(reference, before!, { maxIterations: info.iteration, onIteration: (step) => void (expected = step) });
        expect(expected!.evaluations, `iteration ${info.iteration}: the same line search`).toBe(info.evaluations);
        // Iteration 1 starts its search at t = 1/Σ|g|, and Σ|g| is a float32 sum on the GPU; the
        // search extrapolates three times from there, which turns that round-off into ~2e-5 of t.
        // Every later search starts at t = 1 (measured: costs then agree to 2.2e-7).
        if (info.iteration > 1) {
          expect(Math.abs(info.cost - expected!.cost) / expected!.cost, `iteration ${info.iteration}`).toBeLessThanOrEqual(OPTIMIZER_TOLERANCE.costRelative);
        }
        compared++;
        before = await info.snapshot();
      },
    });
    engine.destroy();
    model.destroy();
    expect(result.iterations).toBe(60);
    expect(compared).toBe(60);
  });

  it('is compiled with the engine’s model, so that a run’s backend compiles nothing', async () => {
    const own = await createNodeGpuContext(); // an empty pipeline cache
    try {
      const engine = await createGpuTrainingEngine(own, shape, hyperparameters, dataset);
      const made = own.pipelines.stats.pipelinesCreated;
      const backend = (await engine.lbfgs(DEFAULT_CORRECTIONS)) as GpuLbfgsBackend;
      expect(own.pipelines.stats.pipelinesCreated).toBe(made);
      await minimizeLbfgs(backend, theta0, { maxIterations: 2 });
      expect(own.pipelines.stats.pipelinesCreated).toBe(made);
      engine.destroy();
    } finally {
      own.destroy();
    }
  });

  it('resumes a snapshot without inner products (recomputing them)', async () => {
    const first = await gpuBackend(shape, dataset, 5);
    let saved: LbfgsSnapshot | undefined;
    const full: number[] = [];
    await minimizeLbfgs(first.backend, theta0, {
      maxIterations: 16,
      onIteration: async (info) => {
        full.push(info.cost);
        if (info.iteration === 8) saved = await info.snapshot();
      },
    });
    first.engine.destroy();
    // As a CPU backend saves it: the pairs without their products.
    const { innerProducts: _, ...withoutProducts } = saved!;
    const old = decodeLbfgsSnapshot(encodeLbfgsSnapshot(withoutProducts));
    expect(old.innerProducts).toBeUndefined();

    const second = await gpuBackend(shape, dataset, 5);
    const resumed: number[] = [];
    await resumeLbfgs(second.backend, old, { maxIterations: 16, onIteration: (info) => void resumed.push(info.cost) });
    second.engine.destroy();
    expect(resumed).toHaveLength(8);
    // Its first step is the uninterrupted run's, to the optimizer's tolerance (the products are
    // recomputed in float64 instead of kept from float32); then the cost keeps falling.
    expect(Math.abs(resumed[0] - full[8]) / full[8]).toBeLessThanOrEqual(OPTIMIZER_TOLERANCE.costRelative);
    for (let i = 1; i < resumed.length; i++) expect(resumed[i]).toBeLessThan(resumed[i - 1]);
  });
});
