/**
 * L-BFGS as minFunc runs it for UFLDL (options.Method = 'lbfgs', options.maxIter = 400):
 *
 * - direction d = −H·g from the last `corrections` (minFunc Corr, default 100) pairs
 *   sₖ = xₖ₊₁ − xₖ, yₖ = gₖ₊₁ − gₖ, with H0 = γI, γ = yᵀs / yᵀy of the newest pair
 *   (lbfgsUpdate.m); a pair with yᵀs ≤ 1e-10 is skipped and γ kept;
 * - step length by minFunc's strong-Wolfe bracketing line search with cubic interpolation
 *   (./line-search), first trial t = min(1, 1/Σ|g|) on the first iteration and t = 1 after;
 * - stopping as minFunc 2012 does, in its order: first-order optimality max|g| ≤ optTol (1e-5),
 *   gᵀd > −progTol, max|t·d| ≤ progTol (1e-9), |Δf| < progTol, evaluations ≥ maxFunEvals,
 *   iterations = maxIter.
 *
 * The algorithm holds scalars only. x, g, d, the trial gradients and the pairs live in an
 * LbfgsBackend (Float64Arrays in ./lbfgs-cpu.ts, GPU buffers in src/gpu/lbfgs.ts), and every
 * evaluation reports, with f, all that the optimizer may decide on after it: the slope along d
 * for the line search, yᵀs and yᵀy for the update, max|g| for the stopping tests. The direction
 * and the first trial of each line search come back together. So on a GPU an evaluation is one
 * submission and one wait, and minFunc's decisions are taken exactly as before.
 *
 * (UFLDL shipped the 2009 minFunc, which measured optimality by Σ|g| and called progTol TolX;
 * this follows the later minFunc, whose max|g| does not grow with the number of parameters, so
 * one optTol means the same for a 64-25 patch model and a 784-196 digits model. With UFLDL's
 * settings the run ends at maxIter either way.)
 */
import type { CostParts } from '../reference/autoencoder';
import { DEFAULT_LINE_SEARCH, wolfeLineSearch, type TrialPoint } from './line-search';
import type { InnerProducts } from './vector-free';

/** An objective's value at a point, with the parts it is made of when the objective has them. */
export interface Evaluation {
  cost: number;
  parts?: CostParts;
}

/**
 * One evaluation at x + t·d along the current direction, as the backend reports it. Its
 * gradient g₊ stays in the backend until the trial is released or accepted.
 */
export interface Trial extends TrialPoint {
  /** The cost's parts, when the objective reports them. */
  readonly parts?: CostParts;
  /** yᵀs = (g₊ − g)ᵀ(t·d): the curvature of the pair this trial would make. */
  readonly ys: number;
  /** yᵀy = ‖g₊ − g‖². */
  readonly yy: number;
  /** max|g₊| (NaN if any entry is NaN). */
  readonly gradMaxAbs: number;
}

/** The starting point's evaluation. */
export interface StartPoint extends Evaluation {
  gradMaxAbs: number;
  gradSumAbs: number;
}

/** A new direction d = −H·g and the first trial along it, from one submission. */
export interface DirectionTrial<T extends Trial = Trial> {
  /** gᵀd */
  gtd: number;
  /** max|d| */
  maxAbsD: number;
  trial: T;
}

/** The optimizer's vectors, as read back for a snapshot or written back to resume. */
export interface LbfgsState {
  x: Float64Array;
  grad: Float64Array;
  /** γ of H0 = γI. */
  hDiag: number;
  /** Oldest first. */
  corrections: { s: Float64Array; y: Float64Array; ys: number }[];
  /**
   * The pairs' inner products as the backend computed them (the GPU's vector-free form keeps
   * them), so that a resumed run repeats the uninterrupted one bit for bit. Absent: recomputed.
   */
  innerProducts?: InnerProducts;
}

/** Where the optimizer's vectors live, and the evaluations along its directions. */
export interface LbfgsBackend<T extends Trial = Trial> {
  readonly length: number;
  /** minFunc's Corr: pairs kept; beyond it the oldest is dropped. */
  readonly corrections: number;
  /** x ← x0, evaluated. */
  start(x0: ArrayLike<number>): Promise<StartPoint>;
  /** Continues from a snapshot's vectors (x, g and the newest `corrections` pairs). */
  restore(state: LbfgsState): void;
  /** d ← −H·g from the pairs and γ, then one trial at x + t·d. */
  directionAndTrial(t: number): Promise<DirectionTrial<T>>;
  /** One more trial at x + t·d along the same direction. */
  trial(t: number): Promise<T>;
  release(trial: T): void;
  /**
   * x ← x + t·d and g ← g₊ of the trial. With `pair`, (s, y) = (t·d, g₊ − g) joins the memory
   * (the oldest pair leaves when it is full) and γ becomes pair.hDiag.
   */
  accept(trial: T, pair: { ys: number; hDiag: number } | null): void;
  /** The vectors, read back. */
  read(): Promise<LbfgsState>;
  /** x alone, read back. */
  readX(): Promise<Float64Array>;
  /** Frees what the backend holds; it cannot be used after. */
  dispose(): void;
}

/** minFunc's cap on the curvature pair test: yᵀs must exceed this for an update. */
export const MIN_CURVATURE = 1e-10;

export const DEFAULT_CORRECTIONS = 100;

export interface LbfgsOptions {
  /** minFunc maxIter; UFLDL's train.m sets 400. */
  maxIterations?: number;
  /**
   * minFunc maxFunEvals. minFunc's default is 1000 (with its default maxIter of 500); here
   * max(1000, ⌈1.25·maxIterations⌉), which is 1000 for UFLDL's 400 iterations and keeps the
   * same headroom for longer runs.
   */
  maxEvaluations?: number;
  /** minFunc optTol: stop when max|g| ≤ this (default 1e-5). */
  optimalityTolerance?: number;
  /** minFunc progTol: stop when max|t·d| or |Δf| fall below this (default 1e-9). */
  progressTolerance?: number;
  /** Sufficient-decrease constant (default 1e-4). */
  c1?: number;
  /** Curvature constant (default 0.9). */
  c2?: number;
  /** Line-search iterations after the first trial (minFunc maxLS = 25). */
  maxLineSearchIterations?: number;
  /** Called with the starting point's evaluation (not on resume). */
  onStart?: (start: StartPoint) => void | Promise<void>;
  /**
   * Called (and awaited) after every iteration, before the stopping tests. Returning false
   * stops the run, with exit reason 'cancelled', at the iterate just reached.
   */
  onIteration?: (info: LbfgsIteration) => void | boolean | Promise<void | boolean>;
  /**
   * Aborting stops the run at the last accepted iterate (polled between iterations and before
   * each line-search evaluation). The result is a normal result with exit reason 'cancelled'.
   */
  signal?: AbortSignal;
}

export interface LbfgsIteration {
  /** Iterations completed, counting those before a resume. */
  iteration: number;
  /** Objective evaluations so far, the initial one included. */
  evaluations: number;
  cost: number;
  /** The cost's parts at the new iterate, when the objective reports them. */
  parts?: CostParts;
  /** The cost before this iteration's step. */
  previousCost: number;
  /** The accepted step length t along d (minFunc's "Step Length"). */
  stepSize: number;
  /** max|g|, the first-order optimality minFunc reports and tests against optTol. */
  gradNorm: number;
  /** gᵀd at the start of the step and ∇f(x + t·d)ᵀd at its end: the Wolfe conditions' slopes. */
  initialSlope: number;
  slope: number;
  /** The optimizer's state now, for checkpoints. Valid only until the callback returns. */
  snapshot(): Promise<LbfgsSnapshot>;
}

export type LbfgsExitReason =
  | 'optimality'
  | 'directional-derivative'
  | 'step-size'
  | 'function-change'
  | 'max-evaluations'
  | 'max-iterations'
  | 'cancelled'
  | 'non-finite';

const EXIT_MESSAGES: Record<LbfgsExitReason, string> = {
  optimality: 'Optimality condition below optTol',
  'directional-derivative': 'Directional derivative below progTol',
  'step-size': 'Step size below progTol',
  'function-change': 'Function value changing by less than progTol',
  'max-evaluations': 'Reached maximum number of function evaluations',
  'max-iterations': 'Reached maximum number of iterations',
  cancelled: 'Cancelled',
  'non-finite': 'Cost, gradient or direction is not finite',
};

/** How a run ended. The final iterate stays in the backend (readX). */
export interface LbfgsResult {
  cost: number;
  parts?: CostParts;
  /** max|g| at x. */
  gradNorm: number;
  iterations: number;
  evaluations: number;
  exitReason: LbfgsExitReason;
  message: string;
}

/**
 * Everything needed to continue a run exactly where it stood after `iteration` iterations:
 * the iterate, its cost and gradient, and the correction pairs with γ.
 */
export interface LbfgsSnapshot extends LbfgsState {
  iteration: number;
  evaluations: number;
  cost: number;
}

interface ResolvedOptions {
  maxIterations: number;
  maxEvaluations: number;
  optimalityTolerance: number;
  progressTolerance: number;
  c1: number;
  c2: number;
  maxLineSearchIterations: number;
}

function resolveOptions(options: LbfgsOptions): ResolvedOptions {
  const maxIterations = options.maxIterations ?? 400;
  const resolved: ResolvedOptions = {
    maxIterations,
    maxEvaluations: options.maxEvaluations ?? Math.max(1000, Math.ceil(1.25 * maxIterations)),
    optimalityTolerance: options.optimalityTolerance ?? 1e-5,
    progressTolerance: options.progressTolerance ?? DEFAULT_LINE_SEARCH.progressTolerance,
    c1: options.c1 ?? DEFAULT_LINE_SEARCH.c1,
    c2: options.c2 ?? DEFAULT_LINE_SEARCH.c2,
    maxLineSearchIterations: options.maxLineSearchIterations ?? DEFAULT_LINE_SEARCH.maxIterations,
  };
  const { c1, c2 } = resolved;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0)) {
    throw new RangeError(`maxIterations must be a non-negative integer, got ${maxIterations}`);
  }
  if (!(resolved.maxEvaluations >= 1)) throw new RangeError(`maxEvaluations must be ≥ 1, got ${resolved.maxEvaluations}`);
  if (!(0 < c1 && c1 < c2 && c2 < 1)) throw new RangeError(`need 0 < c1 < c2 < 1, got c1 = ${c1}, c2 = ${c2}`);
  return resolved;
}

/** Checks a corrections count (minFunc Corr) for a backend. */
export function checkCorrections(corrections: number): number {
  if (!(Number.isInteger(corrections) && corrections >= 1)) {
    throw new RangeError(`corrections must be a positive integer, got ${corrections}`);
  }
  return corrections;
}

/** Where a run stands between iterations: scalars only. */
interface RunState {
  f: number;
  parts?: CostParts;
  gradNorm: number;
  /** Σ|g| at the start, for the first step t = min(1, 1/Σ|g|). */
  gradSumAbs: number;
  iteration: number;
  evaluations: number;
}

/** Minimizes from x0 (which the backend copies). The final iterate stays in the backend. */
export async function minimizeLbfgs(backend: LbfgsBackend, x0: ArrayLike<number>, options: LbfgsOptions = {}): Promise<LbfgsResult> {
  const settings = resolveOptions(options);
  if (x0.length !== backend.length) throw new RangeError(`x0 has ${x0.length} values; the backend has ${backend.length}`);
  const start = await backend.start(x0);
  await options.onStart?.(start);
  const state: RunState = {
    f: start.cost,
    parts: start.parts,
    gradNorm: start.gradMaxAbs,
    gradSumAbs: start.gradSumAbs,
    iteration: 0,
    evaluations: 1,
  };
  return run(backend, settings, options, state);
}

/**
 * Continues a run from a snapshot taken in onIteration. With the same objective and options
 * the iterates are those the uninterrupted run would have produced. maxIterations and
 * maxEvaluations count from the original start.
 */
export async function resumeLbfgs(backend: LbfgsBackend, snapshot: LbfgsSnapshot, options: LbfgsOptions = {}): Promise<LbfgsResult> {
  const settings = resolveOptions(options);
  const n = backend.length;
  if (snapshot.x.length !== n || snapshot.grad.length !== n) {
    throw new RangeError(`snapshot holds vectors of ${snapshot.x.length} values; the backend has ${n}`);
  }
  for (const pair of snapshot.corrections) {
    if (pair.s.length !== n || pair.y.length !== n) throw new RangeError('snapshot correction pair has the wrong length');
  }
  backend.restore(snapshot);
  let gradNorm = 0;
  let gradSumAbs = 0;
  for (const v of snapshot.grad) {
    const a = Math.abs(v);
    gradNorm = Number.isNaN(a) || Number.isNaN(gradNorm) ? NaN : Math.max(gradNorm, a);
    gradSumAbs += a;
  }
  const state: RunState = {
    f: snapshot.cost,
    gradNorm,
    gradSumAbs,
    iteration: snapshot.iteration,
    evaluations: snapshot.evaluations,
  };
  return run(backend, settings, options, state);
}

async function run(backend: LbfgsBackend, settings: ResolvedOptions, options: LbfgsOptions, state: RunState): Promise<LbfgsResult> {
  const { optimalityTolerance: optTol, progressTolerance: progTol } = settings;
  let cancelled = false;
  const stopRequested = () => cancelled || (options.signal?.aborted ?? false);
  const lineSearch = {
    c1: settings.c1,
    c2: settings.c2,
    maxIterations: settings.maxLineSearchIterations,
    progressTolerance: progTol,
    shouldStop: stopRequested,
  };
  const probe = {
    evaluate: (t: number) => backend.trial(t),
    release: (trial: Trial) => backend.release(trial),
  };
  const finish = (exitReason: LbfgsExitReason): LbfgsResult => ({
    cost: state.f,
    parts: state.parts,
    gradNorm: state.gradNorm,
    iterations: state.iteration,
    evaluations: state.evaluations,
    exitReason,
    message: EXIT_MESSAGES[exitReason],
  });

  if (!Number.isFinite(state.f) || !Number.isFinite(state.gradNorm)) return finish('non-finite');
  if (state.gradNorm <= optTol) return finish('optimality');
  if (state.iteration >= settings.maxIterations) return finish('max-iterations');
  if (state.evaluations >= settings.maxEvaluations) return finish('max-evaluations');

  for (;;) {
    if (stopRequested()) return finish('cancelled');
    const i = state.iteration + 1;
    // With no pairs yet (and γ = 1) the direction is steepest descent, as minFunc's first
    // iteration. The first trial is evaluated with it; if minFunc would have stopped on gᵀd
    // before evaluating, the trial is discarded and not counted.
    const initialStep = i === 1 ? Math.min(1, 1 / state.gradSumAbs) : 1;
    const { gtd, maxAbsD, trial: first } = await backend.directionAndTrial(initialStep);
    if (!Number.isFinite(gtd) || gtd > -progTol) {
      backend.release(first);
      return finish(Number.isFinite(gtd) ? 'directional-derivative' : 'non-finite');
    }

    const origin: Trial = { t: 0, f: state.f, gtd, parts: state.parts, ys: 0, yy: 0, gradMaxAbs: state.gradNorm };
    const step = await wolfeLineSearch(probe, origin, first, maxAbsD, lineSearch);
    state.evaluations += step.evaluations;
    if (step.cancelled) return finish('cancelled');

    const previousCost = state.f;
    const accepted = step.point;
    if (accepted !== origin) {
      // lbfgsUpdate.m with s = t·d, y = g₊ − g (minFunc does this at the top of the next
      // iteration; doing it here leaves a complete state for snapshots).
      const pair = accepted.ys > MIN_CURVATURE ? { ys: accepted.ys, hDiag: accepted.ys / accepted.yy } : null;
      backend.accept(accepted, pair);
      state.gradNorm = accepted.gradMaxAbs;
    }
    state.f = accepted.f;
    state.parts = accepted.parts;
    state.iteration = i;
    const stepNorm = accepted.t * maxAbsD; // max|t·d|

    if (options.onIteration) {
      const info: LbfgsIteration = {
        iteration: i,
        evaluations: state.evaluations,
        cost: state.f,
        parts: state.parts,
        previousCost,
        stepSize: accepted.t,
        gradNorm: state.gradNorm,
        initialSlope: gtd,
        slope: accepted.gtd,
        snapshot: async () => ({ ...(await backend.read()), iteration: i, evaluations: state.evaluations, cost: state.f }),
      };
      if ((await options.onIteration(info)) === false) cancelled = true;
    }
    if (stopRequested()) return finish('cancelled');

    if (state.gradNorm <= optTol) return finish('optimality');
    if (stepNorm <= progTol) return finish('step-size');
    if (Math.abs(state.f - previousCost) < progTol) return finish('function-change');
    if (state.evaluations >= settings.maxEvaluations) return finish('max-evaluations');
    if (i >= settings.maxIterations) return finish('max-iterations');
  }
}

/**
 * The gradients of live trials, by trial, for backends: a trial's gradient is taken from a pool
 * when it is evaluated and goes back when the trial is released, or replaces the current
 * gradient when it is accepted.
 */
export class TrialGradients<V> {
  private readonly spare: V[] = [];
  private readonly all: V[] = [];
  private readonly live = new Map<Trial, V>();

  constructor(private readonly create: () => V) {}

  /** A free gradient vector. */
  take(): V {
    const v = this.spare.pop();
    if (v !== undefined) return v;
    const created = this.create();
    this.all.push(created);
    return created;
  }

  /** Records that `trial`'s gradient is in `v`. */
  bind(trial: Trial, v: V): void {
    this.live.set(trial, v);
  }

  of(trial: Trial): V {
    const v = this.live.get(trial);
    if (v === undefined) throw new Error('internal: a trial that was released, accepted or never evaluated here');
    return v;
  }

  /** Ends the trial; its gradient vector is free again. */
  release(trial: Trial): void {
    const v = this.live.get(trial);
    if (v === undefined) return;
    this.live.delete(trial);
    this.spare.push(v);
  }

  /** Ends the trial and hands its vector over to the caller (give it back with recycle). */
  claim(trial: Trial): V {
    const v = this.of(trial);
    this.live.delete(trial);
    return v;
  }

  /** A vector from claim (or the one it replaced) is free again. */
  recycle(v: V): void {
    this.spare.push(v);
  }

  /** Every vector this pool created. */
  get vectors(): readonly V[] {
    return this.all;
  }
}
