/**
 * L-BFGS as minFunc runs it for UFLDL (options.Method = 'lbfgs', options.maxIter = 400):
 *
 * - direction d = −H·g by the two-loop recursion over the last `corrections` (minFunc Corr,
 *   default 100) pairs sₖ = xₖ₊₁ − xₖ, yₖ = gₖ₊₁ − gₖ, with H0 = γI, γ = yᵀs / yᵀy of the
 *   newest pair (lbfgsUpdate.m); a pair with yᵀs ≤ 1e-10 is skipped and γ kept;
 * - step length by minFunc's strong-Wolfe bracketing line search with cubic interpolation
 *   (./line-search), first trial t = min(1, 1/Σ|g|) on the first iteration and t = 1 after;
 * - stopping as minFunc 2012 does, in its order: first-order optimality max|g| ≤ optTol (1e-5),
 *   gᵀd > −progTol, max|t·d| ≤ progTol (1e-9), |Δf| < progTol, evaluations ≥ maxFunEvals,
 *   iterations = maxIter.
 *
 * The algorithm is written once against VectorBackend: θ may live in a Float64Array
 * (cpuVectorBackend) or in GPU buffers, and only scalars (dot products, max/sum of |·|) are
 * awaited from the backend. A GPU backend implements `direction` with kernels; the scalars
 * yₖᵀsₖ are handed to it, so the two-loop recursion needs no readback.
 *
 * (UFLDL shipped the 2009 minFunc, which measured optimality by Σ|g| and called progTol TolX;
 * this follows the later minFunc, whose max|g| is what the brief asks for. With UFLDL's
 * settings the run ends at maxIter either way.)
 */
import { DEFAULT_LINE_SEARCH, VectorPool, wolfeLineSearch } from './line-search';

/** Vector operations the optimizer needs. Every vector of one backend has `length` entries. */
export interface VectorBackend<V> {
  readonly length: number;
  /** A new zero vector. */
  create(): V;
  free(v: V): void;
  copy(dst: V, src: V): void;
  /** y ← y + a·x */
  axpy(a: number, x: V, y: V): void;
  /** x ← a·x */
  scale(a: number, x: V): void;
  dot(a: V, b: V): Promise<number>;
  /** max |xᵢ| (NaN if any entry is NaN). */
  maxAbs(x: V): Promise<number>;
  /** Σ |xᵢ| */
  sumAbs(x: V): Promise<number>;
  /** out ← −H·g by the two-loop recursion over `history` (lbfgs.m applied to −g). */
  direction(g: V, history: CorrectionHistory<V>, out: V): void | Promise<void>;
  /** The values of x, for snapshots. */
  read(x: V): Promise<Float64Array>;
  /** dst ← values, for resuming from a snapshot. */
  write(dst: V, values: ArrayLike<number>): void;
}

/** The L-BFGS memory, oldest pair first. The optimizer owns it; backends only read it. */
export interface CorrectionHistory<V> {
  /** sₖ = xₖ₊₁ − xₖ */
  readonly s: readonly V[];
  /** yₖ = ∇f(xₖ₊₁) − ∇f(xₖ) */
  readonly y: readonly V[];
  /** yₖᵀsₖ (> 1e-10) of each pair: ρₖ = 1 / yₖᵀsₖ. */
  readonly ys: readonly number[];
  /** γ of the initial inverse Hessian H0 = γI: yᵀs / yᵀy of the newest pair, 1 before any. */
  readonly hDiag: number;
}

export interface Objective<V> {
  /**
   * f(x), writing ∇f(x) into gradOut. x is the optimizer's scratch vector: read it during the
   * call, do not keep it.
   */
  evaluate(x: V, gradOut: V): Promise<number>;
}

/** minFunc's cap on the curvature pair test: yᵀs must exceed this for an update. */
export const MIN_CURVATURE = 1e-10;

export interface LbfgsOptions {
  /** minFunc maxIter; UFLDL's train.m sets 400. */
  maxIterations?: number;
  /**
   * minFunc maxFunEvals. minFunc's default is 1000 (with its default maxIter of 500); here
   * max(1000, ⌈1.25·maxIterations⌉), which is 1000 for UFLDL's 400 iterations and keeps the
   * same headroom for longer runs.
   */
  maxEvaluations?: number;
  /** minFunc Corr: pairs kept (default 100). */
  corrections?: number;
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

export interface LbfgsResult<V> {
  /** The final iterate: a new vector of the backend, owned (and to be freed) by the caller. */
  x: V;
  cost: number;
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
export interface LbfgsSnapshot {
  iteration: number;
  evaluations: number;
  cost: number;
  x: Float64Array;
  grad: Float64Array;
  hDiag: number;
  /** Oldest first. */
  corrections: { s: Float64Array; y: Float64Array; ys: number }[];
}

interface ResolvedOptions {
  maxIterations: number;
  maxEvaluations: number;
  corrections: number;
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
    corrections: options.corrections ?? 100,
    optimalityTolerance: options.optimalityTolerance ?? 1e-5,
    progressTolerance: options.progressTolerance ?? DEFAULT_LINE_SEARCH.progressTolerance,
    c1: options.c1 ?? DEFAULT_LINE_SEARCH.c1,
    c2: options.c2 ?? DEFAULT_LINE_SEARCH.c2,
    maxLineSearchIterations: options.maxLineSearchIterations ?? DEFAULT_LINE_SEARCH.maxIterations,
  };
  const { corrections, c1, c2 } = resolved;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0)) {
    throw new RangeError(`maxIterations must be a non-negative integer, got ${maxIterations}`);
  }
  if (!(resolved.maxEvaluations >= 1)) throw new RangeError(`maxEvaluations must be ≥ 1, got ${resolved.maxEvaluations}`);
  if (!(Number.isInteger(corrections) && corrections >= 1)) {
    throw new RangeError(`corrections must be a positive integer, got ${corrections}`);
  }
  if (!(0 < c1 && c1 < c2 && c2 < 1)) throw new RangeError(`need 0 < c1 < c2 < 1, got c1 = ${c1}, c2 = ${c2}`);
  return resolved;
}

/** The mutable memory behind CorrectionHistory. */
class Corrections<V> implements CorrectionHistory<V> {
  s: V[] = [];
  y: V[] = [];
  ys: number[] = [];
  hDiag = 1;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.s.length;
  }

  /** Appends a pair; when full, drops the oldest and returns its vectors for reuse. */
  push(s: V, y: V, ys: number): { s: V; y: V } | null {
    let dropped: { s: V; y: V } | null = null;
    if (this.s.length === this.capacity) {
      dropped = { s: this.s.shift()!, y: this.y.shift()! };
      this.ys.shift();
    }
    this.s.push(s);
    this.y.push(y);
    this.ys.push(ys);
    return dropped;
  }
}

/** Where a run stands between iterations. */
interface RunState<V> {
  x: V;
  g: V;
  f: number;
  iteration: number;
  evaluations: number;
  history: Corrections<V>;
}

/** Minimizes the objective from x0 (left unchanged). */
export async function minimizeLbfgs<V>(
  objective: Objective<V>,
  x0: V,
  backend: VectorBackend<V>,
  options: LbfgsOptions = {},
): Promise<LbfgsResult<V>> {
  const settings = resolveOptions(options);
  const pool = new VectorPool(backend);
  const x = backend.create();
  backend.copy(x, x0);
  const g = pool.take();
  const f = await objective.evaluate(x, g);
  const history = new Corrections<V>(settings.corrections);
  return run(objective, backend, settings, options, pool, { x, g, f, iteration: 0, evaluations: 1, history });
}

/**
 * Continues a run from a snapshot taken in onIteration. With the same objective and options
 * the iterates are those the uninterrupted run would have produced. maxIterations and
 * maxEvaluations count from the original start.
 */
export async function resumeLbfgs<V>(
  objective: Objective<V>,
  snapshot: LbfgsSnapshot,
  backend: VectorBackend<V>,
  options: LbfgsOptions = {},
): Promise<LbfgsResult<V>> {
  const settings = resolveOptions(options);
  const n = backend.length;
  if (snapshot.x.length !== n || snapshot.grad.length !== n) {
    throw new RangeError(`snapshot holds vectors of ${snapshot.x.length} values; the backend has ${n}`);
  }
  const pool = new VectorPool(backend);
  const x = backend.create();
  backend.write(x, snapshot.x);
  const g = pool.take();
  backend.write(g, snapshot.grad);
  const history = new Corrections<V>(settings.corrections);
  // A smaller memory than the snapshot's keeps the newest pairs, as the ring would have.
  for (const pair of snapshot.corrections.slice(-settings.corrections)) {
    if (pair.s.length !== n || pair.y.length !== n) throw new RangeError('snapshot correction pair has the wrong length');
    const s = backend.create();
    const y = backend.create();
    backend.write(s, pair.s);
    backend.write(y, pair.y);
    history.push(s, y, pair.ys);
  }
  history.hDiag = snapshot.hDiag;
  const state: RunState<V> = {
    x,
    g,
    f: snapshot.cost,
    iteration: snapshot.iteration,
    evaluations: snapshot.evaluations,
    history,
  };
  return run(objective, backend, settings, options, pool, state);
}

async function run<V>(
  objective: Objective<V>,
  backend: VectorBackend<V>,
  settings: ResolvedOptions,
  options: LbfgsOptions,
  pool: VectorPool<V>,
  state: RunState<V>,
): Promise<LbfgsResult<V>> {
  const { optimalityTolerance: optTol, progressTolerance: progTol } = settings;
  const { history } = state;
  const d = backend.create();
  // Candidate s, y for the next update; kept across iterations, swapped with dropped pairs.
  let sNext = backend.create();
  let yNext = backend.create();
  let cancelled = false;
  const stopRequested = () => cancelled || (options.signal?.aborted ?? false);
  const lineSearch = {
    c1: settings.c1,
    c2: settings.c2,
    maxIterations: settings.maxLineSearchIterations,
    progressTolerance: progTol,
    shouldStop: stopRequested,
  };

  const finish = (exitReason: LbfgsExitReason, gradNorm: number): LbfgsResult<V> => {
    backend.free(d);
    backend.free(sNext);
    backend.free(yNext);
    for (const v of [...history.s, ...history.y]) backend.free(v);
    pool.dispose(); // includes g
    return {
      x: state.x,
      cost: state.f,
      gradNorm,
      iterations: state.iteration,
      evaluations: state.evaluations,
      exitReason,
      message: EXIT_MESSAGES[exitReason],
    };
  };

  let gradNorm = await backend.maxAbs(state.g);
  if (!Number.isFinite(state.f) || !Number.isFinite(gradNorm)) return finish('non-finite', gradNorm);
  if (gradNorm <= optTol) return finish('optimality', gradNorm);
  if (state.iteration >= settings.maxIterations) return finish('max-iterations', gradNorm);
  if (state.evaluations >= settings.maxEvaluations) return finish('max-evaluations', gradNorm);
  if (stopRequested()) return finish('cancelled', gradNorm);

  for (;;) {
    const i = state.iteration + 1;
    // With no pairs yet (and γ = 1) this is steepest descent, as minFunc's first iteration.
    await backend.direction(state.g, history, d);
    const gtd = await backend.dot(state.g, d);
    if (!Number.isFinite(gtd)) return finish('non-finite', gradNorm);
    if (gtd > -progTol) return finish('directional-derivative', gradNorm);

    const initialStep = i === 1 ? Math.min(1, 1 / (await backend.sumAbs(state.g))) : 1;
    const start = { x: state.x, f: state.f, g: state.g, gtd };
    const step = await wolfeLineSearch(backend, objective, pool, start, d, initialStep, lineSearch);
    state.evaluations += step.evaluations;
    if (step.cancelled) return finish('cancelled', gradNorm);

    const previousCost = state.f;
    const gOld = state.g;
    backend.axpy(step.t, d, state.x);
    if (step.g !== gOld) {
      // lbfgsUpdate.m with s = t·d, y = g − g_old (minFunc does this at the top of the next
      // iteration; doing it here leaves a complete state for snapshots).
      backend.copy(sNext, d);
      backend.scale(step.t, sNext);
      backend.copy(yNext, step.g);
      backend.axpy(-1, gOld, yNext);
      const ys = await backend.dot(yNext, sNext);
      if (ys > MIN_CURVATURE) {
        const yy = await backend.dot(yNext, yNext);
        const dropped = history.push(sNext, yNext, ys);
        history.hDiag = ys / yy;
        sNext = dropped ? dropped.s : backend.create();
        yNext = dropped ? dropped.y : backend.create();
      }
      pool.release(gOld);
      state.g = step.g;
    }
    state.f = step.f;
    state.iteration = i;

    gradNorm = await backend.maxAbs(state.g);
    const stepNorm = step.t * (await backend.maxAbs(d)); // max|t·d|

    if (options.onIteration) {
      const info: LbfgsIteration = {
        iteration: i,
        evaluations: state.evaluations,
        cost: state.f,
        previousCost,
        stepSize: step.t,
        gradNorm,
        initialSlope: gtd,
        slope: step.slope,
        snapshot: () => takeSnapshot(backend, state),
      };
      if ((await options.onIteration(info)) === false) cancelled = true;
    }
    if (stopRequested()) return finish('cancelled', gradNorm);

    if (gradNorm <= optTol) return finish('optimality', gradNorm);
    if (stepNorm <= progTol) return finish('step-size', gradNorm);
    if (Math.abs(state.f - previousCost) < progTol) return finish('function-change', gradNorm);
    if (state.evaluations >= settings.maxEvaluations) return finish('max-evaluations', gradNorm);
    if (i >= settings.maxIterations) return finish('max-iterations', gradNorm);
  }
}

async function takeSnapshot<V>(backend: VectorBackend<V>, state: RunState<V>): Promise<LbfgsSnapshot> {
  const { history } = state;
  // All reads in flight at once: on a GPU each is a copy and a map, and waiting for them one by
  // one would cost a round trip per vector (200 of them with a full memory).
  const pairs = Array.from({ length: history.size }, (_, k) => k);
  const [x, grad, ...vectors] = await Promise.all([
    backend.read(state.x),
    backend.read(state.g),
    ...pairs.flatMap((k) => [backend.read(history.s[k]), backend.read(history.y[k])]),
  ]);
  const corrections: LbfgsSnapshot['corrections'] = pairs.map((k) => ({ s: vectors[2 * k], y: vectors[2 * k + 1], ys: history.ys[k] }));
  return {
    iteration: state.iteration,
    evaluations: state.evaluations,
    cost: state.f,
    x,
    grad,
    hDiag: history.hDiag,
    corrections,
  };
}

// ---------------------------------------------------------------------------------------------
// Snapshot files: a JSON header for the scalars, then the vectors as little-endian float64,
// so a checkpoint restores bit for bit.

const SNAPSHOT_MAGIC = 'LBFGS-SNAPSHOT-1';

export function encodeLbfgsSnapshot(snapshot: LbfgsSnapshot): Uint8Array {
  const n = snapshot.x.length;
  const header = new TextEncoder().encode(
    JSON.stringify({
      magic: SNAPSHOT_MAGIC,
      length: n,
      iteration: snapshot.iteration,
      evaluations: snapshot.evaluations,
      cost: snapshot.cost,
      hDiag: snapshot.hDiag,
      ys: snapshot.corrections.map((c) => c.ys),
    }),
  );
  const vectors = [snapshot.x, snapshot.grad, ...snapshot.corrections.flatMap((c) => [c.s, c.y])];
  const dataStart = Math.ceil((4 + header.length) / 8) * 8;
  const bytes = new Uint8Array(dataStart + vectors.length * n * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, header.length, true);
  bytes.set(header, 4);
  let offset = dataStart;
  for (const v of vectors) {
    if (v.length !== n) throw new RangeError('snapshot vectors differ in length');
    for (let i = 0; i < n; i++, offset += 8) view.setFloat64(offset, v[i], true);
  }
  return bytes;
}

export function decodeLbfgsSnapshot(bytes: Uint8Array): LbfgsSnapshot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)));
  if (header.magic !== SNAPSHOT_MAGIC) throw new Error('not an L-BFGS snapshot');
  const n: number = header.length;
  const ys: number[] = header.ys;
  let offset = Math.ceil((4 + headerLength) / 8) * 8;
  if (bytes.byteLength !== offset + (2 + 2 * ys.length) * n * 8) throw new Error('truncated L-BFGS snapshot');
  const next = () => {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++, offset += 8) v[i] = view.getFloat64(offset, true);
    return v;
  };
  const x = next();
  const grad = next();
  const corrections = ys.map((value) => ({ s: next(), y: next(), ys: value }));
  return {
    iteration: header.iteration,
    evaluations: header.evaluations,
    cost: header.cost,
    hDiag: header.hDiag,
    x,
    grad,
    corrections,
  };
}

// ---------------------------------------------------------------------------------------------
// The CPU backend.

/** lbfgs.m: out ← −H·g, two-loop recursion over Float64Arrays. */
function twoLoopCpu(g: Float64Array, history: CorrectionHistory<Float64Array>, out: Float64Array): void {
  const k = history.s.length;
  const n = g.length;
  const alpha = new Float64Array(k);
  for (let i = 0; i < n; i++) out[i] = -g[i];
  for (let j = k - 1; j >= 0; j--) {
    const s = history.s[j];
    const y = history.y[j];
    let sq = 0;
    for (let i = 0; i < n; i++) sq += s[i] * out[i];
    const a = sq / history.ys[j];
    alpha[j] = a;
    for (let i = 0; i < n; i++) out[i] -= a * y[i];
  }
  const gamma = history.hDiag;
  for (let i = 0; i < n; i++) out[i] *= gamma;
  for (let j = 0; j < k; j++) {
    const s = history.s[j];
    const y = history.y[j];
    let yr = 0;
    for (let i = 0; i < n; i++) yr += y[i] * out[i];
    const coefficient = alpha[j] - yr / history.ys[j];
    for (let i = 0; i < n; i++) out[i] += coefficient * s[i];
  }
}

/**
 * The two-loop recursion from the backend's own dot and axpy, for a backend without a fused
 * version: correct anywhere, but it awaits 2k dot products per direction.
 */
export async function twoLoopDirection<V>(
  backend: VectorBackend<V>,
  g: V,
  history: CorrectionHistory<V>,
  out: V,
): Promise<void> {
  const k = history.s.length;
  const alpha: number[] = new Array(k);
  backend.copy(out, g);
  backend.scale(-1, out);
  for (let j = k - 1; j >= 0; j--) {
    alpha[j] = (await backend.dot(history.s[j], out)) / history.ys[j];
    backend.axpy(-alpha[j], history.y[j], out);
  }
  backend.scale(history.hDiag, out);
  for (let j = 0; j < k; j++) {
    const beta = (await backend.dot(history.y[j], out)) / history.ys[j];
    backend.axpy(alpha[j] - beta, history.s[j], out);
  }
}

/** VectorBackend over Float64Arrays of the given length. */
export function cpuVectorBackend(length: number): VectorBackend<Float64Array> {
  if (!(Number.isInteger(length) && length > 0)) throw new RangeError(`length must be a positive integer, got ${length}`);
  const check = (v: Float64Array) => {
    if (v.length !== length) throw new RangeError(`vector of ${v.length} values; the backend's have ${length}`);
  };
  return {
    length,
    create: () => new Float64Array(length),
    free: () => {},
    copy(dst, src) {
      check(dst);
      check(src);
      dst.set(src);
    },
    axpy(a, x, y) {
      for (let i = 0; i < length; i++) y[i] += a * x[i];
    },
    scale(a, x) {
      for (let i = 0; i < length; i++) x[i] *= a;
    },
    async dot(a, b) {
      let s = 0;
      for (let i = 0; i < length; i++) s += a[i] * b[i];
      return s;
    },
    async maxAbs(x) {
      let m = 0;
      for (let i = 0; i < length; i++) {
        const v = Math.abs(x[i]);
        if (v > m) m = v;
        else if (Number.isNaN(v)) return NaN; // so that a legality test sees it
      }
      return m;
    },
    async sumAbs(x) {
      let s = 0;
      for (let i = 0; i < length; i++) s += Math.abs(x[i]);
      return s;
    },
    direction: twoLoopCpu,
    async read(x) {
      return Float64Array.from(x);
    },
    write(dst, values) {
      check(dst);
      if (values.length !== length) throw new RangeError(`${values.length} values for a vector of ${length}`);
      dst.set(values);
    },
  };
}

/** An Objective over Float64Arrays from a function returning the cost and its gradient. */
export function cpuObjective(
  costAndGradient: (x: Float64Array) => { cost: number; grad: ArrayLike<number> },
): Objective<Float64Array> {
  return {
    async evaluate(x, gradOut) {
      const { cost, grad } = costAndGradient(x);
      gradOut.set(grad);
      return cost;
    },
  };
}
