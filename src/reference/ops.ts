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

/** A dense layer's activation after its bias: σ(z), z itself, or max(z, 0). */
export type Activation = 'sigmoid' | 'linear' | 'relu';

/**
 * The output layer of an autoencoder: UFLDL's sigmoid a⁽³⁾ = σ(z⁽³⁾), or the linear decoder's
 * a⁽³⁾ = z⁽³⁾ (linearDecoderExercise), whose reconstructions may take any real value.
 */
export type OutputActivation = Extract<Activation, 'sigmoid' | 'linear'>;

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
  // Every C[i, j] is the dot product of row i of op(A) with column j of op(B), summed in k's
  // order. Both are made rows of contiguous memory first (op(A) as M × K, op(B)ᵀ as N × K; a
  // transpose is O(MK) beside the O(MNK) product), then 4 × 4 blocks of C are summed at once so
  // that each value loaded serves four products.
  const A = transA ? transpose(a, K, M) : a;
  const B = transB ? b : transpose(b, K, N);
  const c = new Float64Array(M * N);
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let i = 0; i < M4; i += 4) {
    const a0 = i * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    for (let j = 0; j < N4; j += 4) {
      const b0 = j * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k];
        const x1 = A[a1 + k];
        const x2 = A[a2 + k];
        const x3 = A[a3 + k];
        const y0 = B[b0 + k];
        const y1 = B[b1 + k];
        const y2 = B[b2 + k];
        const y3 = B[b3 + k];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      const r0 = i * N + j;
      const r1 = r0 + N;
      const r2 = r1 + N;
      const r3 = r2 + N;
      c[r0] = c00; c[r0 + 1] = c01; c[r0 + 2] = c02; c[r0 + 3] = c03;
      c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
      c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
      c[r3] = c30; c[r3 + 1] = c31; c[r3 + 2] = c32; c[r3 + 3] = c33;
    }
  }
  // The edges: rows past M4 and columns past N4, one dot product each.
  for (let i = 0; i < M; i++) {
    for (let j = i < M4 ? N4 : 0; j < N; j++) {
      let sum = 0;
      const ai = i * K;
      const bj = j * K;
      for (let k = 0; k < K; k++) sum += A[ai + k] * B[bj + k];
      c[i * N + j] = sum;
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
/** z + bias per row, in place: the linear decoder's output layer. */
export function biasAdd(z: Matrix, bias: ArrayLike<number>, rows: number, cols: number): Matrix {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) z[base + c] += bias[c];
  }
  return z;
}

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

/** δ⁽³⁾ = (a⁽³⁾ − x) · a⁽³⁾(1 − a⁽³⁾) elementwise; a⁽³⁾ − x for a linear output. */
export function outputDelta(a3: ArrayLike<number>, x: ArrayLike<number>, output: OutputActivation = 'sigmoid'): Matrix {
  const d = new Float64Array(a3.length);
  for (let i = 0; i < a3.length; i++) {
    const a = a3[i];
    d[i] = output === 'linear' ? a - x[i] : (a - x[i]) * a * (1 - a);
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
  activation: Exclude<Activation, 'linear'> = 'sigmoid',
): Matrix {
  const d = new Float64Array(rows * hidden);
  for (let r = 0; r < rows; r++) {
    const base = r * hidden;
    for (let j = 0; j < hidden; j++) {
      const a = a2[base + j];
      const g = backprop[base + j] + sparsityTerm[j];
      // ReLU's derivative is 1 where it passed z (a > 0), 0 where it cut it.
      d[base + j] = activation === 'relu' ? (a > 0 ? g : 0) : g * a * (1 - a);
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
