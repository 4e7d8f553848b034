/**
 * The float64 steps of the sparse autoencoder, one function per GPU kernel.
 *
 * Every matrix is a flat array in row-major order with its shape passed explicitly. A data
 * set of m examples with `visible` values each is an m × visible matrix: example k occupies
 * x[k·visible … k·visible + visible). (That is also UFLDL's column-major visible × m matrix.)
 *
 * These functions are the CPU twins of the WGSL kernels in shaders/: each kernel test compares
 * the GPU against the function of the same name here.
 */

export type Matrix = Float64Array;

/**
 * C = op(A) · op(B), C is M × N. op(A) is M × K: A is stored M × K, or K × M when transA.
 * op(B) is K × N: B is stored K × N, or N × K when transB.
 */
export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  N: number,
  K: number,
  transA = false,
  transB = false,
): Matrix {
  // Transposed operands are copied into row-major op(A) and op(B) first (O(MK + KN), small
  // beside the O(MNK) product), so the product itself always walks rows contiguously.
  const A = transA ? transpose(a, K, M) : a;
  const B = transB ? transpose(b, N, K) : b;
  const c = new Float64Array(M * N);
  // C[i, :] += A[i, k]·B[k, :], four rows of C at a time sharing each load of B[k, j].
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const c0 = i * N;
    const c1 = c0 + N;
    const c2 = c1 + N;
    const c3 = c2 + N;
    for (let k = 0; k < K; k++) {
      const a0 = A[i * K + k];
      const a1 = A[(i + 1) * K + k];
      const a2 = A[(i + 2) * K + k];
      const a3 = A[(i + 3) * K + k];
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const bBase = k * N;
      for (let j = 0; j < N; j++) {
        const bkj = B[bBase + j];
        c[c0 + j] += a0 * bkj;
        c[c1 + j] += a1 * bkj;
        c[c2 + j] += a2 * bkj;
        c[c3 + j] += a3 * bkj;
      }
    }
  }
  for (; i < M; i++) {
    const cBase = i * N;
    for (let k = 0; k < K; k++) {
      const aik = A[i * K + k];
      if (aik === 0) continue;
      const bBase = k * N;
      for (let j = 0; j < N; j++) c[cBase + j] += aik * B[bBase + j];
    }
  }
  return c;
}

/** The cols × rows transpose of a row-major rows × cols matrix. */
function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) t[c * rows + r] = a[base + c];
  }
  return t;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** a = σ(z + bias[column]) for each element of the rows × cols matrix z, in place. */
export function biasSigmoid(z: Matrix, bias: ArrayLike<number>, rows: number, cols: number): Matrix {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) z[base + c] = sigmoid(z[base + c] + bias[c]);
  }
  return z;
}

/** Sum over rows: out[c] = Σ_r a[r, c]. With 1/rows it is the column mean (ρ̂ for a⁽²⁾). */
export function columnSums(a: ArrayLike<number>, rows: number, cols: number, scale = 1): Matrix {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c] += a[base + c];
  }
  if (scale !== 1) for (let c = 0; c < cols; c++) out[c] *= scale;
  return out;
}

/** ρ̂ⱼ = (1/m) Σₖ a⁽²⁾[k, j]: each hidden unit's mean activation over the examples. */
export function columnMeans(a: ArrayLike<number>, rows: number, cols: number): Matrix {
  return columnSums(a, rows, cols, 1 / rows);
}

/** Σ vᵢ². */
export function sumOfSquares(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

/** Σ (aᵢ − bᵢ)²: the squared reconstruction error before its 1/(2m). */
export function sumOfSquaredDifferences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/** δ⁽³⁾ = (a⁽³⁾ − x) · a⁽³⁾(1 − a⁽³⁾), elementwise. */
export function outputDelta(a3: ArrayLike<number>, x: ArrayLike<number>): Matrix {
  const d = new Float64Array(a3.length);
  for (let i = 0; i < a3.length; i++) {
    const a = a3[i];
    d[i] = (a - x[i]) * a * (1 - a);
  }
  return d;
}

/** The sparsity term of δ⁽²⁾ for each hidden unit: β(−ρ/ρ̂ⱼ + (1−ρ)/(1−ρ̂ⱼ)). */
export function sparsityDelta(meanActivation: ArrayLike<number>, sparsityParam: number, beta: number): Matrix {
  const out = new Float64Array(meanActivation.length);
  for (let j = 0; j < out.length; j++) {
    const rhoHat = meanActivation[j];
    out[j] = beta * (-sparsityParam / rhoHat + (1 - sparsityParam) / (1 - rhoHat));
  }
  return out;
}

/**
 * δ⁽²⁾ = (W2ᵀδ⁽³⁾ + sparsity term) · a⁽²⁾(1 − a⁽²⁾), with `backprop` = δ⁽³⁾·W2 already formed
 * (m × hidden, the per-example W2ᵀδ⁽³⁾).
 */
export function hiddenDelta(
  backprop: ArrayLike<number>,
  a2: ArrayLike<number>,
  sparsityTerm: ArrayLike<number>,
  rows: number,
  hidden: number,
): Matrix {
  const d = new Float64Array(rows * hidden);
  for (let r = 0; r < rows; r++) {
    const base = r * hidden;
    for (let j = 0; j < hidden; j++) {
      const a = a2[base + j];
      d[base + j] = (backprop[base + j] + sparsityTerm[j]) * a * (1 - a);
    }
  }
  return d;
}

/** out = scale · g + lambda · w, elementwise: a weight gradient from its raw product. */
export function scaleAddDecay(g: Matrix, scale: number, w: ArrayLike<number>, lambda: number): Matrix {
  for (let i = 0; i < g.length; i++) g[i] = scale * g[i] + lambda * w[i];
  return g;
}

/** Σⱼ KL(ρ ‖ ρ̂ⱼ) = Σⱼ ρ log(ρ/ρ̂ⱼ) + (1−ρ) log((1−ρ)/(1−ρ̂ⱼ)). */
export function klDivergenceSum(meanActivation: ArrayLike<number>, sparsityParam: number): number {
  const rho = sparsityParam;
  let s = 0;
  for (let j = 0; j < meanActivation.length; j++) {
    const rhoHat = meanActivation[j];
    s += rho * Math.log(rho / rhoHat) + (1 - rho) * Math.log((1 - rho) / (1 - rhoHat));
  }
  return s;
}

/**
 * p = softmax of each row of the rows × cols matrix z, in place: p[r, c] = e^{z[r,c]} / Σ_c' e^{z[r,c']}.
 * Each row's maximum is subtracted before exp (softmaxCost.m's bsxfun(@minus, M, max(M))), which
 * leaves p unchanged and keeps e^z finite however large z is.
 */
export function rowSoftmax(z: Matrix, rows: number, cols: number): Matrix {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, z[base + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const e = Math.exp(z[base + c] - max);
      z[base + c] = e;
      sum += e;
    }
    for (let c = 0; c < cols; c++) z[base + c] /= sum;
  }
  return z;
}

/**
 * P − Y for the rows × cols matrix of probabilities p, Y the one-hot rows of `labels`
 * (softmaxCost.m's groundTruth, transposed): the gradient of the cross-entropy with respect to z.
 */
export function softmaxDelta(p: ArrayLike<number>, labels: ArrayLike<number>, rows: number, cols: number): Matrix {
  const d = Float64Array.from({ length: rows * cols }, (_, i) => p[i]);
  for (let r = 0; r < rows; r++) d[r * cols + labels[r]] -= 1;
  return d;
}

/** Σ_r −log p[r, labels[r]]: the cross-entropy of the labels before its 1/m. */
export function crossEntropySum(p: ArrayLike<number>, labels: ArrayLike<number>, rows: number, cols: number): number {
  let s = 0;
  for (let r = 0; r < rows; r++) s -= Math.log(p[r * cols + labels[r]]);
  return s;
}

/**
 * δ = backprop ⊙ a(1 − a) for a sigmoid layer's rows × cols activations a, with `backprop`
 * (the layer above's δ·W) already formed: hiddenDelta without a sparsity term.
 */
export function sigmoidDelta(backprop: ArrayLike<number>, a: ArrayLike<number>, rows: number, cols: number): Matrix {
  const d = new Float64Array(rows * cols);
  for (let i = 0; i < d.length; i++) {
    const ai = a[i];
    d[i] = backprop[i] * ai * (1 - ai);
  }
  return d;
}
