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
 * It works on scalars only: each trial is a step t with f(x + t·d) and its slope ∇f(x + t·d)ᵀd,
 * evaluated by a probe (the L-BFGS backend), which also keeps the trial's gradient until the
 * trial is released. So the same code drives Float64Arrays on the CPU and buffers on a GPU, and
 * one trial costs the GPU one wait.
 *
 * Deliberate differences from minFunc, for robustness only:
 * - a gradient is judged legal through its slope gᵀd (which comes with the evaluation) rather
 *   than by a scan of g;
 * - in the zoom phase a trial point with a non-finite value or slope becomes the high end of
 *   the bracket, so the point returned never carries a non-finite gradient (minFunc could let
 *   it replace the low end).
 */

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

/** A trial step: t, f(x + t·d) and the slope ∇f(x + t·d)ᵀd. */
export interface TrialPoint {
  readonly t: number;
  readonly f: number;
  readonly gtd: number;
}

/** Evaluates trial steps along the fixed direction d, and frees what a trial holds. */
export interface LineProbe<T extends TrialPoint> {
  /** f and its slope at x + t·d; null once the search is to stop (cancellation). */
  evaluate(t: number): Promise<T | null>;
  /** The trial is no longer needed (its gradient may be reused). Never called for the origin. */
  release(trial: T): void;
}

export interface LineSearchResult<T> {
  /** The accepted trial; the origin (t = 0) when no acceptable step was found or on cancel. */
  point: T;
  /** Evaluations made, the first trial's included. */
  evaluations: number;
  cancelled: boolean;
}

const isLegal = (p: TrialPoint): boolean => Number.isFinite(p.f) && Number.isFinite(p.gtd);

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
 * one within the evaluation budget, otherwise the lowest point it saw (possibly the origin).
 *
 * `origin` is the start (t = 0, f(x), gᵀd < 0); `first` the trial at the initial step, already
 * evaluated (the L-BFGS backend evaluates it with the direction, in the same submission).
 * `maxAbsD` is max|d|, for the Armijo fallback's progTol test. Every trial but the returned one
 * is released.
 */
export async function wolfeLineSearch<T extends TrialPoint>(
  probe: LineProbe<T>,
  origin: T,
  first: T,
  maxAbsD: number,
  options: LineSearchOptions = DEFAULT_LINE_SEARCH,
): Promise<LineSearchResult<T>> {
  const { c1, c2, maxIterations: maxLS, progressTolerance: progTol } = options;
  const { f, gtd } = origin;
  let evaluations = 1;

  const evaluate = async (t: number): Promise<T | null> => {
    if (options.shouldStop?.()) return null;
    const trial = await probe.evaluate(t);
    if (trial) evaluations++;
    return trial;
  };
  const release = (p: T) => {
    if (p !== origin) probe.release(p);
  };
  const finish = (p: T, cancelled = false): LineSearchResult<T> => ({ point: p, evaluations, cancelled });
  const cancel = (...held: T[]): LineSearchResult<T> => {
    for (const p of held) release(p);
    return finish(origin, true);
  };

  /**
   * ArmijoBacktrack.m (LS_interp = 2), minFunc's fallback once a trial leaves the region
   * where f is finite: shrink t by cubic (or quadratic, or halving) interpolation until
   * sufficient decrease holds, giving up with t = 0 once max|t·d| ≤ progTol.
   */
  const armijoBacktrack = async (t: number): Promise<LineSearchResult<T>> => {
    let p = await evaluate(t);
    if (!p) return cancel();
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
      if (maxAbsD * next <= progTol) return finish(origin);
      const q = await evaluate(next);
      if (!q) return cancel();
      p = q;
    }
    return finish(p);
  };

  // Bracketing phase: extrapolate until an interval must contain an acceptable step.
  let next = first;
  let prev = origin;
  let iterations = 0;
  let bracket: T[] | null = null;
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
function lowerEnd(bracket: TrialPoint[]): 0 | 1 {
  if (bracket.length === 1) return 0;
  const [a, b] = bracket;
  if (Number.isNaN(a.f)) return 1;
  if (Number.isNaN(b.f)) return 0;
  return b.f < a.f ? 1 : 0;
}
