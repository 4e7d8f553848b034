import { describe, expect, it } from 'vitest';
import {
  minimizeLbfgs,
  resumeLbfgs,
  TrialGradients,
  type LbfgsIteration,
  type LbfgsOptions,
  type LbfgsSnapshot,
  type Trial,
} from '../../src/optim/lbfgs';
import { costAndGradientOf, cpuLbfgsBackend, twoLoopDirection, type CorrectionHistory } from '../../src/optim/lbfgs-cpu';
import { decodeLbfgsSnapshot, encodeLbfgsSnapshot } from '../../src/optim/lbfgs-snapshot';
import {
  cubicInterpolate,
  quadraticInterpolate,
  wolfeLineSearch,
  type LineSearchOptions,
  type TrialPoint,
} from '../../src/optim/line-search';
import { sparseAutoencoderCost, UFLDL_HYPERPARAMETERS, type Dataset } from '../../src/reference/autoencoder';
import { initializeParameters, thetaLayout, type Shape } from '../../src/reference/params';
import { Random } from '../../src/random';

/** Chained Rosenbrock: Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², minimum 0 at (1, …, 1). */
function rosenbrock(x: Float64Array): { cost: number; grad: Float64Array } {
  const grad = new Float64Array(x.length);
  let cost = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    cost += 100 * a * a + b * b;
    grad[i] += -400 * x[i] * a - 2 * b;
    grad[i + 1] += 200 * a;
  }
  return { cost, grad };
}

/**
 * f(x) = ½(x − x*)ᵀA(x − x*) with A = D + uuᵀ (SPD). Its minimum is 0, so that f keeps full
 * relative precision near x* (with a constant offset, round-off in f would hide the last digits).
 */
function quadratic(n: number, seed: number) {
  const rng = new Random(seed);
  const diag = Float64Array.from({ length: n }, (_, i) => 1 + i); // condition number ~ n
  const u = Float64Array.from({ length: n }, () => rng.uniform() - 0.5);
  const xStar = Float64Array.from({ length: n }, () => 4 * rng.uniform() - 2);
  const fn = (x: Float64Array) => {
    const e = Float64Array.from(x, (v, i) => v - xStar[i]);
    let ue = 0;
    for (let i = 0; i < n; i++) ue += u[i] * e[i];
    const grad = Float64Array.from(e, (ei, i) => diag[i] * ei + u[i] * ue); // A(x − x*)
    let cost = 0;
    for (let i = 0; i < n; i++) cost += 0.5 * e[i] * grad[i];
    return { cost, grad };
  };
  return { fn, xStar };
}

function randomPatches(examples: number, visibleSize: number, seed: number): Dataset {
  const rng = new Random(seed);
  const data = new Float64Array(examples * visibleSize);
  for (let i = 0; i < data.length; i++) data[i] = 0.1 + 0.8 * rng.uniform();
  return { data, examples, visibleSize };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Runs from x0 on the CPU and records every iteration's report (without the snapshot). */
async function runRecorded(
  fn: (x: Float64Array) => { cost: number; grad: ArrayLike<number> },
  x0: ArrayLike<number>,
  options: LbfgsOptions = {},
  corrections?: number,
) {
  const iterations: Omit<LbfgsIteration, 'snapshot'>[] = [];
  const backend = cpuLbfgsBackend(x0.length, costAndGradientOf(fn), corrections);
  const outcome = await minimizeLbfgs(backend, Float64Array.from(x0), {
    ...options,
    onIteration: async (info) => {
      const { snapshot: _, ...rest } = info;
      iterations.push(rest);
      return options.onIteration?.(info);
    },
  });
  const result = { ...outcome, x: await backend.readX() };
  return { result, iterations };
}

describe('minimizeLbfgs on test functions', () => {
  // minFunc's progTol (1e-9 on gᵀd and on Δf) ends a run once f − f* ≈ ½·gᵀHg is about 1e-9,
  // i.e. with x about √(2e-9/λmin) from the minimizer; tighter targets need a smaller progTol.
  const precise: LbfgsOptions = { optimalityTolerance: 1e-10, progressTolerance: 0 };

  it('finds the minimizer of a convex quadratic to 1e-8 in few iterations', async () => {
    const { fn, xStar } = quadratic(20, 1);
    const { result } = await runRecorded(fn, new Float64Array(20), precise);
    expect(result.exitReason).toBe('optimality');
    expect(maxAbsDiff(result.x, xStar)).toBeLessThan(1e-8);
    expect(result.iterations).toBeLessThan(40);
  });

  it('takes Rosenbrock from (−1.2, 1) to (1, 1) within 1e-5', async () => {
    const { result } = await runRecorded(rosenbrock, [-1.2, 1], precise);
    expect(result.exitReason).toBe('optimality');
    expect(maxAbsDiff(result.x, [1, 1])).toBeLessThan(1e-5);
    expect(result.cost).toBeLessThan(1e-10);
    expect(result.iterations).toBeLessThan(60);
  });

  it('solves the 10-dimensional chained Rosenbrock', async () => {
    const x0 = Float64Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
    const { result } = await runRecorded(rosenbrock, x0, precise);
    expect(result.exitReason).toBe('optimality');
    expect(maxAbsDiff(result.x, new Float64Array(10).fill(1))).toBeLessThan(1e-8);
  });

  it('satisfies the strong Wolfe conditions at every accepted step', async () => {
    const x0 = Float64Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
    const { iterations } = await runRecorded(rosenbrock, x0);
    expect(iterations.length).toBeGreaterThan(10);
    for (const it of iterations) {
      expect(it.initialSlope).toBeLessThan(0);
      expect(it.cost).toBeLessThanOrEqual(it.previousCost + 1e-4 * it.stepSize * it.initialSlope);
      expect(Math.abs(it.slope)).toBeLessThanOrEqual(0.9 * Math.abs(it.initialSlope));
    }
  });

  it('counts evaluations and starts with t = min(1, 1/Σ|g|)', async () => {
    const points: Float64Array[] = [];
    const fn = (x: Float64Array) => {
      points.push(Float64Array.from(x));
      return rosenbrock(x);
    };
    const { result } = await runRecorded(fn, [-1.2, 1], { maxIterations: 3 });
    expect(result.evaluations).toBe(points.length);
    const g0 = rosenbrock(new Float64Array([-1.2, 1])).grad;
    const t0 = Math.min(1, 1 / (Math.abs(g0[0]) + Math.abs(g0[1])));
    expect(points[1][0]).toBeCloseTo(-1.2 - t0 * g0[0], 14);
    expect(points[1][1]).toBeCloseTo(1 - t0 * g0[1], 14);
  });

  it('leaves x0 unchanged and stops at once at a stationary point', async () => {
    const x0 = new Float64Array([1, 1]);
    const { result, iterations } = await runRecorded(rosenbrock, x0);
    expect(result.exitReason).toBe('optimality');
    expect(result.iterations).toBe(0);
    expect(iterations).toHaveLength(0);
    expect(result.x).not.toBe(x0);
    expect(x0).toEqual(new Float64Array([1, 1]));
  });
});

describe('stopping', () => {
  it('respects maxIterations', async () => {
    const { result, iterations } = await runRecorded(rosenbrock, [-1.2, 1], { maxIterations: 5 });
    expect(result.exitReason).toBe('max-iterations');
    expect(result.iterations).toBe(5);
    expect(iterations.map((i) => i.iteration)).toEqual([1, 2, 3, 4, 5]);
    expect(result.cost).toBe(iterations[4].cost);
  });

  it('respects maxEvaluations', async () => {
    const { result } = await runRecorded(rosenbrock, [-1.2, 1], { maxEvaluations: 12 });
    expect(result.exitReason).toBe('max-evaluations');
    expect(result.evaluations).toBeGreaterThanOrEqual(12);
    expect(result.evaluations).toBeLessThan(12 + 27);
  });

  it('stops on lack of progress (progTol)', async () => {
    const { result } = await runRecorded(rosenbrock, [-1.2, 1], { optimalityTolerance: 0, progressTolerance: 1e-3 });
    expect(['function-change', 'step-size', 'directional-derivative']).toContain(result.exitReason);
    expect(result.gradNorm).toBeGreaterThan(1e-3);
  });

  it('stops cleanly when the AbortSignal fires, at the iterate reached', async () => {
    const controller = new AbortController();
    let seen: LbfgsSnapshot | undefined;
    const { result } = await runRecorded(rosenbrock, [-1.2, 1], {
      onIteration: async (info) => {
        if (info.iteration === 3) {
          seen = await info.snapshot();
          controller.abort();
        }
      },
      signal: controller.signal,
    });
    expect(result.exitReason).toBe('cancelled');
    expect(result.iterations).toBe(3);
    expect(result.x).toEqual(seen!.x);
    expect(result.cost).toBe(seen!.cost);
  });

  it('stops when onIteration returns false', async () => {
    const { result } = await runRecorded(rosenbrock, [-1.2, 1], { onIteration: (info) => info.iteration < 4 });
    expect(result.exitReason).toBe('cancelled');
    expect(result.iterations).toBe(4);
  });

  it('abandons a line search on abort and returns the last accepted iterate', async () => {
    const controller = new AbortController();
    let calls = 0;
    const backend = cpuLbfgsBackend(
      2,
      costAndGradientOf((x) => {
        if (++calls === 10) controller.abort();
        return rosenbrock(x);
      }),
    );
    const accepted: number[] = [];
    const result = await minimizeLbfgs(backend, new Float64Array([-1.2, 1]), {
      signal: controller.signal,
      onIteration: (info) => void accepted.push(info.cost),
    });
    expect(result.exitReason).toBe('cancelled');
    expect(result.evaluations).toBe(10);
    expect(result.cost).toBe(rosenbrock(await backend.readX()).cost);
    expect(result.cost).toBe(accepted.length > 0 ? accepted[accepted.length - 1] : rosenbrock(new Float64Array([-1.2, 1])).cost);
  });
});

describe('resume', () => {
  const x0 = Float64Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
  // A short memory makes the ring buffer wrap before and after the snapshot.
  const options: LbfgsOptions = { maxIterations: 40, optimalityTolerance: 0 };
  const corrections = 5;

  it('continues from a snapshot along the uninterrupted trajectory', async () => {
    const full = await runRecorded(rosenbrock, x0, options, corrections);
    expect(full.result.iterations).toBe(40);

    let saved: Uint8Array | undefined;
    const first = await runRecorded(rosenbrock, x0, {
      ...options,
      onIteration: async (info) => {
        if (info.iteration !== 15) return true;
        saved = encodeLbfgsSnapshot(await info.snapshot());
        return false;
      },
    }, corrections);
    expect(first.result.exitReason).toBe('cancelled');
    expect(first.iterations).toEqual(full.iterations.slice(0, 15));

    const snapshot = decodeLbfgsSnapshot(saved!);
    expect(snapshot.iteration).toBe(15);
    expect(snapshot.corrections.length).toBe(5);

    const resumed: Omit<LbfgsIteration, 'snapshot'>[] = [];
    const backend = cpuLbfgsBackend(10, costAndGradientOf(rosenbrock), corrections);
    const result = await resumeLbfgs(backend, snapshot, {
      ...options,
      onIteration: ({ snapshot: _, ...rest }) => void resumed.push(rest),
    });
    expect(resumed).toEqual(full.iterations.slice(15)); // bit for bit: costs, steps, counts
    expect(await backend.readX()).toEqual(full.result.x);
    expect(result.iterations).toBe(40);
    expect(result.evaluations).toBe(full.result.evaluations);
  });

  it('round-trips a snapshot through its binary encoding exactly', () => {
    const rng = new Random(9);
    const vec = () => Float64Array.from({ length: 7 }, () => rng.normal() * 1e-300 * 1e300);
    const snapshot: LbfgsSnapshot = {
      iteration: 12,
      evaluations: 17,
      cost: Math.PI,
      x: vec(),
      grad: vec(),
      hDiag: 1 / 3,
      corrections: [
        { s: vec(), y: vec(), ys: 0.1 },
        { s: vec(), y: vec(), ys: 2 / 3 },
      ],
    };
    expect(decodeLbfgsSnapshot(encodeLbfgsSnapshot(snapshot))).toEqual(snapshot);
  });
});

describe('two-loop recursion', () => {
  /** A history built from a few random secant pairs of an SPD quadratic (so yᵀs > 0). */
  function history(n: number, pairs: number): CorrectionHistory<Float64Array> {
    const rng = new Random(4);
    const s: Float64Array[] = [];
    const y: Float64Array[] = [];
    const ys: number[] = [];
    for (let k = 0; k < pairs; k++) {
      const sk = Float64Array.from({ length: n }, () => rng.normal());
      const yk = Float64Array.from(sk, (v, i) => (1 + i) * v + 0.1 * sk[(i + 1) % n] + 0.1 * sk[(i + n - 1) % n]);
      s.push(sk);
      y.push(yk);
      ys.push(yk.reduce((acc, v, i) => acc + v * sk[i], 0));
    }
    const last = y[pairs - 1];
    return { s, y, ys, hDiag: ys[pairs - 1] / last.reduce((acc, v) => acc + v * v, 0) };
  }

  it('satisfies the secant equation H·yₖ = sₖ for the newest pair', () => {
    const h = history(6, 4);
    const out = new Float64Array(6);
    twoLoopDirection(h.y[3], h, out);
    for (let i = 0; i < 6; i++) expect(-out[i]).toBeCloseTo(h.s[3][i], 12);
  });

  it('is steepest descent scaled by γ with no pairs', () => {
    const out = new Float64Array(3);
    twoLoopDirection(new Float64Array([1, -2, 3]), { s: [], y: [], ys: [], hDiag: 0.5 }, out);
    expect(Array.from(out)).toEqual([-0.5, 1, -1.5]);
  });
});

describe('sparse autoencoder', () => {
  it('decreases the cost monotonically over 50 iterations', async () => {
    const shape: Shape = { visibleSize: 16, hiddenSize: 4 };
    const params = UFLDL_HYPERPARAMETERS;
    const dataset = randomPatches(200, 16, 21);
    const theta0 = initializeParameters(shape, 22);
    const initialCost = sparseAutoencoderCost(theta0, shape, params, dataset).cost;
    const { result, iterations } = await runRecorded(
      (theta) => sparseAutoencoderCost(theta, shape, params, dataset),
      theta0,
      { maxIterations: 50 },
    );
    expect(result.x.length).toBe(thetaLayout(shape).length);
    expect(iterations.length).toBe(result.iterations);
    expect(result.iterations).toBeGreaterThan(10);
    let previous = initialCost;
    for (const it of iterations) {
      expect(it.cost).toBeLessThan(previous);
      previous = it.cost;
    }
    expect(result.cost).toBeLessThan(0.5 * initialCost);
  });
});

describe('line search alone, on 1-D functions φ(t) = f(0 + t·1)', () => {
  type Phi = (t: number) => [value: number, slope: number];

  /** The search with trials from φ, checking that every trial but the one returned is released. */
  async function search(phi: Phi, initialStep: number, options: Partial<LineSearchOptions> = {}) {
    const live = new Set<TrialPoint>();
    const evaluate = (t: number): TrialPoint => {
      const [f, gtd] = phi(t);
      const trial = { t, f, gtd };
      live.add(trial);
      return trial;
    };
    const probe = {
      evaluate: async (t: number) => evaluate(t),
      release: (trial: TrialPoint) => {
        expect(live.has(trial), 'released twice, or never evaluated').toBe(true);
        live.delete(trial);
      },
    };
    const [f0, g0] = phi(0);
    const origin = { t: 0, f: f0, gtd: g0 };
    const settings: LineSearchOptions = { c1: 1e-4, c2: 0.9, maxIterations: 25, progressTolerance: 1e-9, ...options };
    const result = await wolfeLineSearch(probe, origin, evaluate(initialStep), 1, settings);
    expect([...live].filter((trial) => trial !== result.point)).toEqual([]);
    const { point } = result;
    return { t: point.t, f: point.f, slope: point.gtd, evaluations: result.evaluations, cancelled: result.cancelled, f0, g0, settings };
  }

  const strongWolfe = (r: Awaited<ReturnType<typeof search>>) =>
    r.f <= r.f0 + r.settings.c1 * r.t * r.g0 && Math.abs(r.slope) <= r.settings.c2 * Math.abs(r.g0);

  // Test functions of Moré and Thuente (1994), plus quadratics far from and close to t = 1.
  const starts = [1e-3, 0.1, 1, 10, 1000];
  const functions: [name: string, phi: Phi, initialSteps: number[]][] = [
    ['(t − 3)²', (t) => [(t - 3) ** 2, 2 * (t - 3)], starts],
    ['(t − 50)²', (t) => [(t - 50) ** 2, 2 * (t - 50)], starts],
    ['(t − 0.01)²', (t) => [(t - 0.01) ** 2, 2 * (t - 0.01)], starts],
    // From t₀ = 1000 minFunc's zoom keeps t = 1000 as its low end (lowest f, but no sufficient
    // decrease) and converges on t ≈ 333: see the test of that case below.
    ['−t/(t² + 2)', (t) => [-t / (t * t + 2), (t * t - 2) / (t * t + 2) ** 2], [1e-3, 0.1, 1, 10]],
    // φ′(0) ≈ −5e-7 asks for |φ′| within 5e-7 of 0; from 1e-3 the zoom's progTol test stops first.
    [
      '(t + 0.004)⁵ − 2(t + 0.004)⁴',
      (t) => {
        const u = t + 0.004;
        return [u ** 5 - 2 * u ** 4, 5 * u ** 4 - 8 * u ** 3];
      },
      [0.1, 1, 10, 1000],
    ],
    ['sin-wiggled', (t) => [-Math.sin(3 * t) / 3 - 0.5 * t + 0.1 * t * t, -Math.cos(3 * t) - 0.5 + 0.2 * t], starts],
  ];

  for (const [name, phi, initialSteps] of functions) {
    for (const c2 of [0.9, 0.1]) {
      it(`finds a strong-Wolfe step on ${name} from t₀ ∈ {${initialSteps.join(', ')}} (c2 = ${c2})`, async () => {
        for (const t0 of initialSteps) {
          const r = await search(phi, t0, { c2 });
          expect(r.cancelled).toBe(false);
          expect(r.evaluations).toBeLessThanOrEqual(26);
          expect(r.t).toBeGreaterThan(0);
          expect(strongWolfe(r), `t₀ = ${t0}: t = ${r.t}, f = ${r.f}, φ′ = ${r.slope}`).toBe(true);
          expect(r.f).toBe(phi(r.t)[0]);
          expect(r.slope).toBe(phi(r.t)[1]);
        }
      });
    }
  }

  it('returns the lowest point seen when the budget runs out (minFunc’s behaviour)', async () => {
    const seen: number[] = [];
    const phi: Phi = (t) => {
      const value = -t / (t * t + 2);
      seen.push(value);
      return [value, (t * t - 2) / (t * t + 2) ** 2];
    };
    const r = await search(phi, 1000);
    expect(r.evaluations).toBeLessThanOrEqual(26);
    expect(strongWolfe(r)).toBe(false);
    expect(r.f).toBe(Math.min(...seen));
  });

  it('extrapolates by cubic steps of at most 10× the current one', async () => {
    const trials: number[] = [];
    const r = await search((t) => (trials.push(t), [(t - 50) ** 2, 2 * (t - 50)]), 1, { c2: 0.1 });
    // trials[0] is the start φ(0). The cubic through exact quadratic data has its minimizer at
    // 50: capped to 10 from t = 1, then reached from t = 10 (cap 100).
    expect(trials.slice(1)).toEqual([1, 10, 50]);
    expect(r.t).toBe(50);
    expect(strongWolfe(r)).toBe(true);
  });

  it('falls back to Armijo backtracking where φ is not finite', async () => {
    const phi: Phi = (t) => (t < 2 ? [(t - 1) ** 2, 2 * (t - 1)] : [NaN, NaN]);
    const r = await search(phi, 10);
    expect(Number.isFinite(r.f)).toBe(true);
    expect(r.t).toBeGreaterThan(0);
    expect(r.t).toBeLessThan(2);
    expect(r.f).toBeLessThanOrEqual(r.f0 + 1e-4 * r.t * r.g0);
  });

  it('returns the origin, every trial released, when cancelled', async () => {
    // From t₀ = 10 the first trial brackets the minimizer; the zoom's first evaluation is refused.
    const r = await search((t) => [(t - 3) ** 2, 2 * (t - 3)], 10, { shouldStop: () => true });
    expect(r).toMatchObject({ t: 0, f: 9, slope: -6, evaluations: 1, cancelled: true });
  });
});

describe('trial gradients', () => {
  it('reuse released vectors instead of allocating per trial', () => {
    let created = 0;
    const pool = new TrialGradients(() => (created++, new Float64Array(1)));
    const trial = (t: number): Trial => ({ t, f: 0, gtd: 0, ys: 0, yy: 0, gradMaxAbs: 0 });
    let current = pool.take();
    for (let k = 0; k < 20; k++) {
      const a = trial(1);
      const b = trial(2);
      pool.bind(a, pool.take());
      pool.bind(b, pool.take());
      pool.release(a);
      const accepted = pool.claim(b);
      pool.recycle(current);
      current = accepted;
    }
    expect(created).toBeLessThanOrEqual(3);
    expect(() => pool.of(trial(3))).toThrow(/released, accepted or never evaluated/);
  });
});

describe('polyinterp', () => {
  it('finds the minimizer of a cubic from two points with slopes', () => {
    // p(t) = t³ − 3t: p(0) = 0, p′(0) = −3, p(2) = 2, p′(2) = 9; minimum at t = 1.
    expect(cubicInterpolate(0, 0, -3, 2, 2, 9)).toBeCloseTo(1, 14);
    expect(cubicInterpolate(2, 2, 9, 0, 0, -3)).toBeCloseTo(1, 14);
  });

  it('clamps to the bounds and bisects them without a real minimizer', () => {
    // Extrapolation: descending at both points of p(t) = t³ − 3t … minimizer 1 lies below [1.5, 4].
    expect(cubicInterpolate(-1, 2, 0.5, -0.5, 1.375, -2.25, 1.5, 4)).toBe(1.5);
    // Slopes 2 at both ends with a secant slope of 4/3: d1 = 0, d1² − g1·g2 < 0, no minimizer.
    expect(cubicInterpolate(0, 0, 2, 1, 4 / 3, 2, 0, 1)).toBe(0.5);
  });

  it('minimizes the quadratic through (0, f₀, f′₀) and (t, fₜ)', () => {
    // q(x) = (x − 0.3)²: q(0) = 0.09, q′(0) = −0.6, q(1) = 0.49 → 0.3.
    expect(quadraticInterpolate(0.09, -0.6, 1, 0.49, 0, 1)).toBeCloseTo(0.3, 14);
  });
});
