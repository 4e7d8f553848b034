/**
 * The L-BFGS backend on Float64Arrays: the textbook two-loop recursion (minFunc's lbfgs.m), the
 * reference that the GPU's vector-free form (src/gpu/lbfgs.ts) is tested against.
 */
import {
  checkCorrections,
  DEFAULT_CORRECTIONS,
  TrialGradients,
  type Evaluation,
  type LbfgsBackend,
  type LbfgsState,
  type Trial,
} from './lbfgs';

/** The L-BFGS memory, oldest pair first. */
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

/** lbfgs.m: out ← −H·g by the two-loop recursion. */
export function twoLoopDirection(g: Float64Array, history: CorrectionHistory<Float64Array>, out: Float64Array): void {
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

/** f(x) with ∇f(x) written into gradOut (an objective elsewhere, a GPU's, may be awaited). */
export type CostAndGradient = (x: Float64Array, gradOut: Float64Array) => Evaluation | Promise<Evaluation>;

/** A CostAndGradient from a function returning its gradient (the tests' objectives). */
export function costAndGradientOf(fn: (x: Float64Array) => { cost: number; grad: ArrayLike<number> }): CostAndGradient {
  return (x, gradOut) => {
    const { cost, grad } = fn(x);
    gradOut.set(grad);
    return { cost };
  };
}

export interface CpuLbfgsBackend extends LbfgsBackend {
  /** The memory as it stands (tests). */
  readonly history: CorrectionHistory<Float64Array>;
  /** The current direction d (tests). */
  readonly direction: Float64Array;
}

/** An L-BFGS backend over Float64Arrays for the objective `evaluate`. */
export function cpuLbfgsBackend(length: number, evaluate: CostAndGradient, corrections = DEFAULT_CORRECTIONS): CpuLbfgsBackend {
  if (!(Number.isInteger(length) && length > 0)) throw new RangeError(`length must be a positive integer, got ${length}`);
  checkCorrections(corrections);
  const x = new Float64Array(length);
  const d = new Float64Array(length);
  const xTrial = new Float64Array(length);
  let g = new Float64Array(length);
  const gradients = new TrialGradients(() => new Float64Array(length));
  const history = { s: [] as Float64Array[], y: [] as Float64Array[], ys: [] as number[], hDiag: 1 };

  const trial = async (t: number): Promise<Trial> => {
    for (let i = 0; i < length; i++) xTrial[i] = x[i] + t * d[i];
    const gPlus = gradients.take();
    const { cost, parts } = await evaluate(xTrial, gPlus);
    let gtd = 0;
    let dgd = 0;
    let yy = 0;
    let gradMaxAbs = 0;
    for (let i = 0; i < length; i++) {
      const dy = gPlus[i] - g[i];
      gtd += gPlus[i] * d[i];
      dgd += dy * d[i];
      yy += dy * dy;
      const a = Math.abs(gPlus[i]);
      gradMaxAbs = Number.isNaN(a) || Number.isNaN(gradMaxAbs) ? NaN : Math.max(gradMaxAbs, a);
    }
    const result: Trial = { t, f: cost, parts, gtd, ys: t * dgd, yy, gradMaxAbs };
    gradients.bind(result, gPlus);
    return result;
  };

  const pushPair = (s: Float64Array, y: Float64Array, ys: number) => {
    if (history.s.length === corrections) {
      history.s.shift();
      history.y.shift();
      history.ys.shift();
    }
    history.s.push(s);
    history.y.push(y);
    history.ys.push(ys);
  };

  return {
    length,
    corrections,
    history,
    direction: d,
    async start(x0) {
      x.set(x0);
      const { cost, parts } = await evaluate(x, g);
      let gradMaxAbs = 0;
      let gradSumAbs = 0;
      for (const v of g) {
        const a = Math.abs(v);
        gradMaxAbs = Number.isNaN(a) || Number.isNaN(gradMaxAbs) ? NaN : Math.max(gradMaxAbs, a);
        gradSumAbs += a;
      }
      return { cost, parts, gradMaxAbs, gradSumAbs };
    },
    restore(state: LbfgsState) {
      x.set(state.x);
      g.set(state.grad);
      history.s.length = history.y.length = history.ys.length = 0;
      for (const pair of state.corrections.slice(-corrections)) pushPair(Float64Array.from(pair.s), Float64Array.from(pair.y), pair.ys);
      history.hDiag = state.hDiag;
    },
    async directionAndTrial(t) {
      twoLoopDirection(g, history, d);
      let gtd = 0;
      let maxAbsD = 0;
      for (let i = 0; i < length; i++) {
        gtd += g[i] * d[i];
        const a = Math.abs(d[i]);
        maxAbsD = Number.isNaN(a) || Number.isNaN(maxAbsD) ? NaN : Math.max(maxAbsD, a);
      }
      return { gtd, maxAbsD, trial: await trial(t) };
    },
    trial,
    release: (t) => gradients.release(t),
    accept(accepted, pair) {
      const gPlus = gradients.of(accepted);
      if (pair) {
        const s = Float64Array.from(d, (v) => accepted.t * v);
        const y = Float64Array.from(gPlus, (v, i) => v - g[i]);
        pushPair(s, y, pair.ys);
        history.hDiag = pair.hDiag;
      }
      for (let i = 0; i < length; i++) x[i] += accepted.t * d[i];
      gradients.recycle(g);
      g = gPlus;
      gradients.claim(accepted);
    },
    async read() {
      return {
        x: x.slice(),
        grad: g.slice(),
        hDiag: history.hDiag,
        corrections: history.s.map((s, k) => ({ s: s.slice(), y: history.y[k].slice(), ys: history.ys[k] })),
      };
    },
    async readX() {
      return x.slice();
    },
    dispose() {},
  };
}
