/**
 * The two-loop recursion without vector operations ("vector-free L-BFGS": Chen, Wang & Zhou,
 * "Large-scale L-BFGS using MapReduce", NeurIPS 2014).
 *
 * The direction −H·g is a linear combination of the 2k + 1 vectors s₁…sₖ, y₁…yₖ, g, so the
 * recursion can run on its coefficients, given the inner products of those vectors; the
 * vectors themselves are touched once, to form d = Σ δⱼbⱼ. A backend that keeps the pairs on a
 * GPU then needs from each evaluation only the inner products of the new gradient (and of the
 * new pair) with the pairs, and the recursion (O(k²) flops) runs here in float64.
 *
 * Everything here is in age order, oldest pair first.
 */

/** The inner products of the pairs with each other and with the current gradient g. */
export interface InnerProducts {
  /** Number of pairs k. */
  count: number;
  /** k × k, row-major: ss[i·k + j] = sᵢᵀsⱼ, sy[i·k + j] = sᵢᵀyⱼ, yy[i·k + j] = yᵢᵀyⱼ. */
  ss: Float64Array;
  sy: Float64Array;
  yy: Float64Array;
  /** gs[i] = gᵀsᵢ, gy[i] = gᵀyᵢ. */
  gs: Float64Array;
  gy: Float64Array;
}

/** The coefficients of d = Σ aᵢsᵢ + Σ bᵢyᵢ + c·g. */
export interface DirectionCoefficients {
  a: Float64Array;
  b: Float64Array;
  c: number;
}

/**
 * lbfgs.m's two-loop recursion on coefficients: the same αᵢ, βᵢ as the textbook recursion in
 * exact arithmetic, with ρᵢ = 1/ysᵢ and H0 = γI.
 */
export function directionCoefficients(p: InnerProducts, ys: readonly number[], hDiag: number): DirectionCoefficients {
  const k = p.count;
  const a = new Float64Array(k);
  const b = new Float64Array(k);
  let c = -1; // q = −g
  const alpha = new Float64Array(k);
  // sᵢᵀq and yᵢᵀq for q = Σ aⱼsⱼ + Σ bⱼyⱼ + c·g.
  const sDot = (i: number) => {
    let v = c * p.gs[i];
    for (let j = 0; j < k; j++) v += a[j] * p.ss[i * k + j] + b[j] * p.sy[i * k + j];
    return v;
  };
  const yDot = (i: number) => {
    let v = c * p.gy[i];
    for (let j = 0; j < k; j++) v += a[j] * p.sy[j * k + i] + b[j] * p.yy[i * k + j];
    return v;
  };
  for (let i = k - 1; i >= 0; i--) {
    alpha[i] = sDot(i) / ys[i];
    b[i] -= alpha[i];
  }
  for (let j = 0; j < k; j++) {
    a[j] *= hDiag;
    b[j] *= hDiag;
  }
  c *= hDiag;
  for (let i = 0; i < k; i++) {
    const beta = yDot(i) / ys[i];
    a[i] += alpha[i] - beta;
  }
  return { a, b, c };
}

/** What an accepted trial tells about the new pair s = t·d, y = g₊ − g, and the new gradient g₊. */
export interface PairProducts {
  /** t */
  step: number;
  /** dᵀsᵢ, dᵀyᵢ for the pairs held before this one (age order). */
  ds: ArrayLike<number>;
  dy: ArrayLike<number>;
  /** dᵀd */
  dd: number;
  /** (g₊ − g)ᵀsᵢ, (g₊ − g)ᵀyᵢ */
  deltaS: ArrayLike<number>;
  deltaY: ArrayLike<number>;
  /** yᵀs = t·(g₊ − g)ᵀd and yᵀy = ‖g₊ − g‖² */
  ys: number;
  yy: number;
  /** g₊ᵀsᵢ, g₊ᵀyᵢ */
  gPlusS: ArrayLike<number>;
  gPlusY: ArrayLike<number>;
  /** g₊ᵀd and g₊ᵀ(g₊ − g) */
  gPlusD: number;
  gPlusDelta: number;
}

/**
 * The inner products of k pairs, kept up to date as pairs come and go (at most `capacity`).
 * Two stores of capacity² entries take turns: an accept writes the new table into the one not in
 * use, so a run allocates nothing per iteration (new k × k tables of 100 pairs were 240 kB an
 * iteration, a full garbage collection every 1.6 s of the natural run).
 */
export class InnerProductTable {
  private readonly stores: [ProductStore, ProductStore];
  private inUse = 0;
  private products: InnerProducts;

  constructor(
    readonly capacity: number,
    initial?: InnerProducts,
  ) {
    if (initial && initial.count > capacity) throw new RangeError(`${initial.count} pairs for a memory of ${capacity}`);
    this.stores = [productStore(capacity), productStore(capacity)];
    this.products = viewOf(this.stores[0], initial?.count ?? 0);
    if (initial) {
      for (const key of ['ss', 'sy', 'yy', 'gs', 'gy'] as const) this.products[key].set(initial[key]);
    }
  }

  get count(): number {
    return this.products.count;
  }

  /** The table now: valid until the next accept (copy what must outlive it). */
  get current(): InnerProducts {
    return this.products;
  }

  /**
   * The step to g₊ is accepted. With `addPair` the pair (t·d, g₊ − g) joins, dropping the
   * oldest when full; otherwise only g's products change.
   */
  accept(q: PairProducts, addPair: boolean): void {
    const old = this.products;
    const k = old.count;
    const t = q.step;
    if (!addPair) {
      old.gs.set(q.gPlusS);
      old.gy.set(q.gPlusY);
      return;
    }
    const drop = k === this.capacity ? 1 : 0;
    const kept = k - drop;
    this.inUse = 1 - this.inUse;
    const next = viewOf(this.stores[this.inUse], kept + 1);
    const n = kept + 1;
    for (let i = 0; i < kept; i++) {
      for (let j = 0; j < kept; j++) {
        next.ss[i * n + j] = old.ss[(i + drop) * k + j + drop];
        next.sy[i * n + j] = old.sy[(i + drop) * k + j + drop];
        next.yy[i * n + j] = old.yy[(i + drop) * k + j + drop];
      }
      const ds = t * q.ds[i + drop]; // s_newᵀsᵢ
      const dy = t * q.dy[i + drop]; // s_newᵀyᵢ
      next.ss[i * n + kept] = next.ss[kept * n + i] = ds;
      next.sy[kept * n + i] = dy; // s_newᵀyᵢ
      next.sy[i * n + kept] = q.deltaS[i + drop]; // sᵢᵀy_new
      next.yy[i * n + kept] = next.yy[kept * n + i] = q.deltaY[i + drop];
      next.gs[i] = q.gPlusS[i + drop];
      next.gy[i] = q.gPlusY[i + drop];
    }
    next.ss[kept * n + kept] = t * t * q.dd;
    next.sy[kept * n + kept] = q.ys;
    next.yy[kept * n + kept] = q.yy;
    next.gs[kept] = t * q.gPlusD;
    next.gy[kept] = q.gPlusDelta;
    this.products = next;
  }
}

/** Room for the tables of up to `capacity` pairs. */
interface ProductStore {
  ss: Float64Array;
  sy: Float64Array;
  yy: Float64Array;
  gs: Float64Array;
  gy: Float64Array;
}

function productStore(capacity: number): ProductStore {
  const square = capacity * capacity;
  return { ss: new Float64Array(square), sy: new Float64Array(square), yy: new Float64Array(square), gs: new Float64Array(capacity), gy: new Float64Array(capacity) };
}

/** The tables of k pairs in a store (k × k row-major, from its start). */
function viewOf(store: ProductStore, k: number): InnerProducts {
  return {
    count: k,
    ss: store.ss.subarray(0, k * k),
    sy: store.sy.subarray(0, k * k),
    yy: store.yy.subarray(0, k * k),
    gs: store.gs.subarray(0, k),
    gy: store.gy.subarray(0, k),
  };
}

function emptyProducts(k: number): InnerProducts {
  return {
    count: k,
    ss: new Float64Array(k * k),
    sy: new Float64Array(k * k),
    yy: new Float64Array(k * k),
    gs: new Float64Array(k),
    gy: new Float64Array(k),
  };
}

/** The inner products computed from the vectors, in float64 (a restore without them; tests). */
export function innerProductsOf(pairs: readonly { s: ArrayLike<number>; y: ArrayLike<number> }[], g: ArrayLike<number>): InnerProducts {
  const k = pairs.length;
  const p = emptyProducts(k);
  const dot = (u: ArrayLike<number>, v: ArrayLike<number>) => {
    let sum = 0;
    for (let i = 0; i < u.length; i++) sum += u[i] * v[i];
    return sum;
  };
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      if (j >= i) p.ss[i * k + j] = p.ss[j * k + i] = dot(pairs[i].s, pairs[j].s);
      if (j >= i) p.yy[i * k + j] = p.yy[j * k + i] = dot(pairs[i].y, pairs[j].y);
      p.sy[i * k + j] = dot(pairs[i].s, pairs[j].y);
    }
    p.gs[i] = dot(g, pairs[i].s);
    p.gy[i] = dot(g, pairs[i].y);
  }
  return p;
}
