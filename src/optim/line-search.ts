/**
 * minFunc's default line search (WolfeLineSearch.m with LS_interp = 2, "bracketing with cubic
 * interpolation/extrapolation from function and gradient values"), the one UFLDL's
 * options.Method = 'lbfgs' used, with its ArmijoBacktrack.m fallback for non-finite values.
 *
 * It finds a step t along the descent direction d that satisfies the strong Wolfe conditions
 *   f(x + t·d) ≤ f(x) + c1·t·gᵀd          (sufficient decrease)
 *   |g(x + t·d)ᵀd| ≤ c2·|gᵀd|             (curvature)
 * by first bracketing an interval that contains such a step and then zooming into it.
 *
 * Only scalars (f, gᵀd, max|d|) cross from the vector backend to here, so the same code drives
 * Float64Arrays on the CPU and buffers on a GPU.
 *
 * Deliberate differences from minFunc, for robustness only:
 * - a gradient is judged legal through its slope gᵀd (one readback instead of a scan of g);
 * - in the zoom phase a trial point with a non-finite value or slope becomes the high end of
 *   the bracket, so the point returned never carries a non-finite gradient (minFunc could let
 *   it replace the low end).
 */
import type { Objective, VectorBackend } from './lbfgs';

export interface LineSearchOptions {
  /** Sufficient-decrease constant (minFunc c1 = 1e-4). */
  c1: number;
  /** Curvature constant (minFunc c2 = 0.9 for quasi-Newton methods). */
  c2: number;
  /** minFunc's maxLS = 25: evaluations after the first, so at most 26 in all. */
  maxIterations: number;
  /** minFunc's progTol: the zoom stops once |(t_hi − t_lo)·gᵀd| falls below it. */
  progressTolerance: number;
  /** Polled before every evaluation; true abandons the search and returns t = 0. */
  shouldStop?: () => boolean;
}

export const DEFAULT_LINE_SEARCH: LineSearchOptions = {
  c1: 1e-4,
  c2: 0.9,
  maxIterations: 25,
  progressTolerance: 1e-9,
};

/** The point the search starts from: x with f(x), ∇f(x) and the slope gᵀd along d. */
export interface LineSearchStart<V> {
  x: V;
  f: number;
  g: V;
  gtd: number;
}

export interface LineSearchResult<V> {
  /** The accepted step; 0 when no acceptable step was found (or the search was cancelled). */
  t: number;
  /** f(x + t·d). */
  f: number;
  /** ∇f(x + t·d): a vector taken from the pool, or the start's own g when t = 0. */
  g: V;
  /** ∇f(x + t·d)ᵀd. */
  slope: number;
  evaluations: number;
  cancelled: boolean;
}

/**
 * Spare vectors for gradients and trial points, so that a search allocates nothing once warm
 * (a GPU buffer is costly to create). Vectors go back with release() and are reused.
 */
export class VectorPool<V> {
  private readonly spare: V[] = [];
  private readonly all: V[] = [];

  constructor(private readonly backend: VectorBackend<V>) {}

  take(): V {
    const v = this.spare.pop();
    if (v !== undefined) return v;
    const created = this.backend.create();
    this.all.push(created);
    return created;
  }

  release(v: V): void {
    this.spare.push(v);
  }

  /** Frees every vector this pool ever created. */
  dispose(): void {
    for (const v of this.all) this.backend.free(v);
    this.all.length = 0;
    this.spare.length = 0;
  }
}

/** A trial step with its value, gradient and slope along d. */
interface Trial<V> {
  t: number;
  f: number;
  g: V;
  gtd: number;
}

const isLegal = (p: Trial<unknown>): boolean => Number.isFinite(p.f) && Number.isFinite(p.gtd);

/** MATLAB's max and min ignore NaN; the interpolation clamps below rely on that. */
function nanMax(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.max(a, b);
}

function nanMin(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}

/**
 * polyinterp.m's common case: the minimizer of the cubic through (x₁, f₁, f′₁) and
 * (x₂, f₂, f′₂), clamped to [lower, upper] (by default the interval between the points). When
 * the cubic has no real minimizer it returns the midpoint of the bounds.
 */
export function cubicInterpolate(
  xa: number,
  fa: number,
  ga: number,
  xb: number,
  fb: number,
  gb: number,
  lower = Math.min(xa, xb),
  upper = Math.max(xa, xb),
): number {
  // Name the points so that x1 is the smaller (MATLAB's min keeps the first on a tie).
  const aFirst = xa <= xb;
  const [x1, f1, g1] = aFirst ? [xa, fa, ga] : [xb, fb, gb];
  const [x2, f2, g2] = aFirst ? [xb, fb, gb] : [xa, fa, ga];
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const discriminant = d1 * d1 - g1 * g2;
  if (discriminant < 0) return (upper + lower) / 2; // complex root in MATLAB: bisect the bounds
  const d2 = Math.sqrt(discriminant);
  const t = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
  return nanMin(nanMax(t, lower), upper);
}

/**
 * polyinterp.m for the quadratic through (0, f₀) with slope f′₀ and (t, fₜ) (derivative there
 * unknown): the lowest of the quadratic's critical point and the bounds within [lower, upper].
 */
export function quadraticInterpolate(f0: number, g0: number, t: number, ft: number, lower: number, upper: number): number {
  const a = (ft - f0 - g0 * t) / (t * t); // q(x) = a·x² + g0·x + f0
  const q = (x: number) => (a * x + g0) * x + f0;
  const candidates = [lower, upper, 0, t];
  if (a !== 0 && Number.isFinite(a)) candidates.push(-g0 / (2 * a));
  let best = (lower + upper) / 2;
  let fBest = Infinity;
  for (const x of candidates) {
    if (!(x >= lower && x <= upper)) continue;
    const fx = q(x);
    if (fx < fBest) {
      best = x;
      fBest = fx;
    }
  }
  return best;
}

/**
 * WolfeLineSearch.m: returns a step t satisfying the strong Wolfe conditions when it finds
 * one within the evaluation budget, otherwise the lowest point it saw (possibly t = 0).
 * The start's g is never modified or released; every other gradient is taken from the pool,
 * and all but the returned one are given back to it.
 */
export async function wolfeLineSearch<V>(
  backend: VectorBackend<V>,
  objective: Objective<V>,
  pool: VectorPool<V>,
  start: LineSearchStart<V>,
  d: V,
  initialStep: number,
  options: LineSearchOptions = DEFAULT_LINE_SEARCH,
): Promise<LineSearchResult<V>> {
  const { c1, c2, maxIterations: maxLS, progressTolerance: progTol } = options;
  const { f, gtd } = start;
  const origin: Trial<V> = { t: 0, f, g: start.g, gtd };
  const xTrial = pool.take();
  let evaluations = 0;

  const evaluate = async (t: number): Promise<Trial<V> | null> => {
    if (options.shouldStop?.()) return null;
    backend.copy(xTrial, start.x);
    backend.axpy(t, d, xTrial);
    const g = pool.take();
    const value = await objective.evaluate(xTrial, g);
    evaluations++;
    return { t, f: value, g, gtd: await backend.dot(g, d) };
  };
  const release = (p: Trial<V>) => {
    if (p.g !== start.g) pool.release(p.g);
  };
  const finish = (p: Trial<V>, cancelled = false): LineSearchResult<V> => {
    pool.release(xTrial);
    return { t: p.t, f: p.f, g: p.g, slope: p.gtd, evaluations, cancelled };
  };
  const cancel = (...held: Trial<V>[]): LineSearchResult<V> => {
    for (const p of held) release(p);
    return finish(origin, true);
  };

  /**
   * ArmijoBacktrack.m (LS_interp = 2), minFunc's fallback once a trial leaves the region
   * where f is finite: shrink t by cubic (or quadratic, or halving) interpolation until
   * sufficient decrease holds, giving up with t = 0 once max|t·d| ≤ progTol.
   */
  const armijoBacktrack = async (t: number): Promise<LineSearchResult<V>> => {
    let p = await evaluate(t);
    if (!p) return cancel();
    let maxAbsD: number | undefined;
    while (!Number.isFinite(p.f) || p.f > f + c1 * p.t * gtd) {
      const previous = p.t;
      let next: number;
      if (!Number.isFinite(p.f)) next = 0.5 * previous;
      else if (!Number.isFinite(p.gtd)) next = quadraticInterpolate(f, gtd, previous, p.f, 0, previous);
      else next = cubicInterpolate(0, f, gtd, previous, p.f, p.gtd, 0, previous);
      // Keep each cut between 1/1000 and 6/10 of the previous step.
      if (next < previous * 1e-3) next = previous * 1e-3;
      else if (next > previous * 0.6) next = previous * 0.6;
      release(p);
      maxAbsD ??= await backend.maxAbs(d);
      if (maxAbsD * next <= progTol) return finish(origin);
      const q = await evaluate(next);
      if (!q) return cancel();
      p = q;
    }
    return finish(p);
  };

  // Bracketing phase: extrapolate until an interval must contain an acceptable step.
  let next = await evaluate(initialStep);
  if (!next) return cancel();
  let prev = origin;
  let iterations = 0;
  let bracket: Trial<V>[] | null = null;
  let done = false;
  while (iterations < maxLS) {
    if (!isLegal(next)) {
      const t = (next.t + prev.t) / 2;
      release(next);
      release(prev);
      return armijoBacktrack(t);
    }
    // (minFunc compares with f_prev only from the third trial on: LSiter > 1.)
    if (next.f > f + c1 * next.t * gtd || (iterations > 1 && next.f >= prev.f)) {
      bracket = [prev, next];
      break;
    }
    if (Math.abs(next.gtd) <= -c2 * gtd) {
      release(prev);
      bracket = [next];
      done = true;
      break;
    }
    if (next.gtd >= 0) {
      bracket = [prev, next];
      break;
    }
    // Still descending: cubic extrapolation within [t + 0.01(t − t_prev), 10t].
    const minStep = next.t + 0.01 * (next.t - prev.t);
    const maxStep = next.t * 10;
    const t = cubicInterpolate(prev.t, prev.f, prev.gtd, next.t, next.f, next.gtd, minStep, maxStep);
    release(prev);
    prev = next;
    const trial = await evaluate(t);
    if (!trial) return cancel(prev);
    next = trial;
    iterations++;
  }
  if (bracket === null) {
    // Out of iterations while still extrapolating: fall back to [0, t].
    release(prev);
    bracket = [origin, next];
  }

  // Zoom phase: shrink the bracket by cubic interpolation, keeping its low end the best point.
  let insufficientProgress = false;
  while (!done && iterations < maxLS) {
    const lo = lowerEnd(bracket);
    const hi = 1 - lo;
    const [a, b] = bracket;
    const left = Math.min(a.t, b.t);
    const right = Math.max(a.t, b.t);
    let t =
      isLegal(a) && isLegal(b) ? cubicInterpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd) : (a.t + b.t) / 2;

    // Keep trials away from the ends: the second time in a row one lands within 10% of the
    // width of an end (or beyond it), move it to exactly 10% inside.
    if (Math.min(right - t, t - left) / (right - left) < 0.1) {
      if (insufficientProgress || t >= right || t <= left) {
        t = Math.abs(t - right) < Math.abs(t - left) ? right - 0.1 * (right - left) : left + 0.1 * (right - left);
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }

    const trial = await evaluate(t);
    if (!trial) return cancel(a, b);
    iterations++;

    if (!isLegal(trial) || trial.f > f + c1 * t * gtd || trial.f >= bracket[lo].f) {
      // Not a sufficient decrease, or no better than the low end: it becomes the high end.
      release(bracket[hi]);
      bracket[hi] = trial;
    } else {
      if (Math.abs(trial.gtd) <= -c2 * gtd) {
        done = true; // strong Wolfe conditions hold
        release(bracket[lo]);
      } else if (trial.gtd * (bracket[hi].t - bracket[lo].t) >= 0) {
        // The minimizer lies between the trial and the old low end: the old low end
        // becomes the high end.
        release(bracket[hi]);
        bracket[hi] = bracket[lo];
      } else {
        release(bracket[lo]);
      }
      bracket[lo] = trial;
    }

    if (!done && Math.abs((bracket[0].t - bracket[1].t) * trial.gtd) < progTol) break;
  }

  const best = lowerEnd(bracket);
  bracket.forEach((p, i) => {
    if (i !== best) release(p);
  });
  return finish(bracket[best]);
}

/** The index of the lower value, first on a tie, ignoring NaN (MATLAB's [~, i] = min(...)). */
function lowerEnd(bracket: Trial<unknown>[]): 0 | 1 {
  if (bracket.length === 1) return 0;
  const [a, b] = bracket;
  if (Number.isNaN(a.f)) return 1;
  if (Number.isNaN(b.f)) return 0;
  return b.f < a.f ? 1 : 0;
}
