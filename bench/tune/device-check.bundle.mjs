// bench/tune/device-check.ts
import { writeFileSync } from "node:fs";

// src/reference/ops.ts
function matmul(a, b, M, N, K, transA = false, transB = false) {
  const c = new Float64Array(M * N);
  const aRow = transA ? 1 : K;
  const aCol = transA ? M : 1;
  const bRow = transB ? 1 : N;
  const bCol = transB ? K : 1;
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const aik = a[i * aRow + k * aCol];
      if (aik === 0) continue;
      const bBase = k * bRow;
      const cBase = i * N;
      for (let j = 0; j < N; j++) c[cBase + j] += aik * b[bBase + j * bCol];
    }
  }
  return c;
}
function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}
function biasSigmoid(z, bias, rows, cols) {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) z[base + c] = sigmoid(z[base + c] + bias[c]);
  }
  return z;
}
function columnSums(a, rows, cols, scale = 1) {
  const out2 = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out2[c] += a[base + c];
  }
  if (scale !== 1) for (let c = 0; c < cols; c++) out2[c] *= scale;
  return out2;
}
function columnMeans(a, rows, cols) {
  return columnSums(a, rows, cols, 1 / rows);
}
function sumOfSquares(v) {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}
function sumOfSquaredDifferences(a, b) {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}
function outputDelta(a3, x) {
  const d = new Float64Array(a3.length);
  for (let i = 0; i < a3.length; i++) {
    const a = a3[i];
    d[i] = (a - x[i]) * a * (1 - a);
  }
  return d;
}
function sparsityDelta(meanActivation, sparsityParam, beta) {
  const out2 = new Float64Array(meanActivation.length);
  for (let j = 0; j < out2.length; j++) {
    const rhoHat = meanActivation[j];
    out2[j] = beta * (-sparsityParam / rhoHat + (1 - sparsityParam) / (1 - rhoHat));
  }
  return out2;
}
function hiddenDelta(backprop, a2, sparsityTerm, rows, hidden) {
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
function scaleAddDecay(g, scale, w, lambda) {
  for (let i = 0; i < g.length; i++) g[i] = scale * g[i] + lambda * w[i];
  return g;
}
function klDivergenceSum(meanActivation, sparsityParam) {
  const rho = sparsityParam;
  let s = 0;
  for (let j = 0; j < meanActivation.length; j++) {
    const rhoHat = meanActivation[j];
    s += rho * Math.log(rho / rhoHat) + (1 - rho) * Math.log((1 - rho) / (1 - rhoHat));
  }
  return s;
}

// src/random.ts
var Random = class {
  s0;
  s1;
  s2;
  s3;
  constructor(seed) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    let x = seed >>> 0;
    const splitMix = () => {
      x = x + 2654435769 >>> 0;
      let z = x;
      z = Math.imul(z ^ z >>> 16, 2246822507) >>> 0;
      z = Math.imul(z ^ z >>> 13, 3266489909) >>> 0;
      return (z ^ z >>> 16) >>> 0;
    };
    this.s0 = splitMix();
    this.s1 = splitMix();
    this.s2 = splitMix();
    this.s3 = splitMix();
  }
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32() {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = this.s1 << 9 >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
  /** A uniform double in [0, 1) with 53 random bits. */
  uniform() {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }
  /** A uniform integer in [0, n). */
  integer(n) {
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`integer(n) needs a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }
  /** A standard normal deviate (Box–Muller). */
  normal() {
    let u = 0;
    while (u === 0) u = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
  /** Fisher–Yates shuffle in place. */
  shuffle(items) {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
  }
};
function rotl(x, k) {
  return (x << k | x >>> 32 - k) >>> 0;
}

// src/reference/params.ts
function thetaLayout({ visibleSize: v, hiddenSize: h }) {
  return { W1: 0, W2: h * v, b1: 2 * h * v, b2: 2 * h * v + h, length: 2 * h * v + h + v };
}
function thetaViews(theta, shape) {
  const L = thetaLayout(shape);
  if (theta.length !== L.length) {
    throw new RangeError(
      `\u03B8 has ${theta.length} values; a ${shape.visibleSize}-${shape.hiddenSize} autoencoder needs ${L.length}`
    );
  }
  const hv = shape.hiddenSize * shape.visibleSize;
  return {
    W1t: theta.subarray(L.W1, L.W1 + hv),
    W2t: theta.subarray(L.W2, L.W2 + hv),
    b1: theta.subarray(L.b1, L.b1 + shape.hiddenSize),
    b2: theta.subarray(L.b2, L.b2 + shape.visibleSize)
  };
}
function initializeParameters(shape, seed) {
  const { visibleSize: v, hiddenSize: h } = shape;
  if (!(Number.isInteger(v) && v > 0 && Number.isInteger(h) && h > 0)) {
    throw new RangeError(`sizes must be positive integers, got visible ${v}, hidden ${h}`);
  }
  const r = Math.sqrt(6) / Math.sqrt(h + v + 1);
  const rng = new Random(seed);
  const theta = new Float64Array(thetaLayout(shape).length);
  for (let i = 0; i < 2 * h * v; i++) theta[i] = rng.uniform() * 2 * r - r;
  return theta;
}

// src/reference/autoencoder.ts
function validateHyperparameters(p) {
  if (!(p.sparsityParam > 0 && p.sparsityParam < 1)) {
    throw new RangeError(`sparsity parameter \u03C1 must lie in (0, 1), got ${p.sparsityParam}`);
  }
  if (!(p.lambda >= 0) || !Number.isFinite(p.lambda)) throw new RangeError(`\u03BB must be \u2265 0, got ${p.lambda}`);
  if (!(p.beta >= 0) || !Number.isFinite(p.beta)) throw new RangeError(`\u03B2 must be \u2265 0, got ${p.beta}`);
}
function sparseAutoencoderCostDetailed(theta, shape, params, dataset) {
  const { visibleSize: v, hiddenSize: h } = shape;
  if (dataset.visibleSize !== v) {
    throw new RangeError(`data has ${dataset.visibleSize} values per example; the model expects ${v}`);
  }
  const m = dataset.examples;
  if (!(m > 0)) throw new RangeError("the data set is empty");
  if (dataset.data.length !== m * v) {
    throw new RangeError(`data holds ${dataset.data.length} values, expected ${m} \xD7 ${v}`);
  }
  const { sparsityParam: rho, lambda, beta } = params;
  const x = dataset.data;
  const { W1t, W2t, b1, b2 } = thetaViews(theta, shape);
  const a2 = biasSigmoid(matmul(x, W1t, m, h, v), b1, m, h);
  const meanActivation = columnMeans(a2, m, h);
  const a3 = biasSigmoid(matmul(a2, W2t, m, v, h), b2, m, v);
  const parts = {
    reconstruction: sumOfSquaredDifferences(a3, x) / (2 * m),
    weightDecay: lambda / 2 * (sumOfSquares(W1t) + sumOfSquares(W2t)),
    sparsity: beta * klDivergenceSum(meanActivation, rho)
  };
  const delta3 = outputDelta(a3, x);
  const backprop = matmul(delta3, W2t, m, h, v, false, true);
  const delta2 = hiddenDelta(backprop, a2, sparsityDelta(meanActivation, rho, beta), m, h);
  const L = thetaLayout(shape);
  const grad = new Float64Array(L.length);
  grad.set(scaleAddDecay(matmul(x, delta2, v, h, m, true, false), 1 / m, W1t, lambda), L.W1);
  grad.set(scaleAddDecay(matmul(a2, delta3, h, v, m, true, false), 1 / m, W2t, lambda), L.W2);
  grad.set(columnMeans(delta2, m, h), L.b1);
  grad.set(columnMeans(delta3, m, v), L.b2);
  const cost = parts.reconstruction + parts.weightDecay + parts.sparsity;
  return { cost, parts, grad, meanActivation, a2, a3, delta3, delta2 };
}

// src/gpu/errors.ts
var NoAdapterError = class extends Error {
  name = "NoAdapterError";
};
var WgslCompileError = class extends Error {
  constructor(file, messages, source) {
    const lines = source.split("\n");
    const text = messages.map((m) => {
      const where = `${file}:${m.line}:${m.column}: ${m.type}: ${m.message}`;
      const code = lines[m.line - 1];
      if (code === void 0) return where;
      const caret = " ".repeat(Math.max(0, m.column - 1)) + "^";
      return `${where}
    ${code}
    ${caret}`;
    }).join("\n");
    super(`WGSL compilation failed in ${file}:
${text}`);
    this.file = file;
    this.messages = messages;
  }
  file;
  messages;
  name = "WgslCompileError";
};
var GpuValidationError = class extends Error {
  constructor(operation, gpuMessage) {
    super(`${operation}: ${gpuMessage}`);
    this.operation = operation;
    this.gpuMessage = gpuMessage;
  }
  operation;
  gpuMessage;
  name = "GpuValidationError";
};
var DeviceLostError = class extends Error {
  name = "DeviceLostError";
};
async function withErrorScopes(device, operation, fn) {
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("validation");
  let result;
  try {
    result = await fn();
  } finally {
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    const error = validation ?? memory;
    if (error) throw new GpuValidationError(operation, error.message);
  }
  return result;
}

// wgsl:/work/main/shaders/cost.wgsl
var cost_default = "// The last step: combines the partial sums into\n//   cost = reconstruction + weightDecay + sparsity\n//   reconstruction = \u03A3(a\u207D\xB3\u207E \u2212 x)\xB2 / (2m)\n//   weightDecay    = (\u03BB/2)(\u03A3W1\xB2 + \u03A3W2\xB2)\n//   sparsity       = \u03B2 \u03A3\u2C7C KL(\u03C1 \u2016 \u03C1\u0302\u2C7C),  KL = \u03C1 log(\u03C1/\u03C1\u0302) + (1\u2212\u03C1) log((1\u2212\u03C1)/(1\u2212\u03C1\u0302))\n// and writes [cost, reconstruction, weightDecay, sparsity].\n//\n// One workgroup of WG threads: thread t sums entries t, t + WG, \u2026 of each list, then a tree\n// over the threads in workgroup memory. The chain is \u2308n/WG\u2309 + log2(WG) additions.\n\noverride WG: u32 = 64;\n\nstruct Params {\n  squaredErrorCount: u32,\n  weightCount: u32,\n  hidden: u32,\n  examples: u32,\n  sparsityParam: f32,\n  beta: f32,\n  lambda: f32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> squaredError: array<f32>;\n@group(0) @binding(2) var<storage, read> weightSquares: array<f32>;\n@group(0) @binding(3) var<storage, read> meanActivation: array<f32>;\n@group(0) @binding(4) var<storage, read_write> out: array<f32>;\n\nvar<workgroup> sums: array<vec3f, WG>;\n\n@compute @workgroup_size(WG)\nfn main(@builtin(local_invocation_index) t: u32) {\n  let rho = p.sparsityParam;\n  var s = vec3f(0.0);\n  for (var i = t; i < p.squaredErrorCount; i += WG) {\n    s.x += squaredError[i];\n  }\n  for (var i = t; i < p.weightCount; i += WG) {\n    s.y += weightSquares[i];\n  }\n  for (var i = t; i < p.hidden; i += WG) {\n    let rhoHat = meanActivation[i];\n    s.z += rho * log(rho / rhoHat) + (1.0 - rho) * log((1.0 - rho) / (1.0 - rhoHat));\n  }\n  sums[t] = s;\n  workgroupBarrier();\n  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {\n    if (t < stride) {\n      sums[t] += sums[t + stride];\n    }\n    workgroupBarrier();\n  }\n  if (t == 0u) {\n    let total = sums[0];\n    let reconstruction = total.x / (2.0 * f32(p.examples));\n    let weightDecay = 0.5 * p.lambda * total.y;\n    let sparsity = p.beta * total.z;\n    out[0] = reconstruction + weightDecay + sparsity;\n    out[1] = reconstruction;\n    out[2] = weightDecay;\n    out[3] = sparsity;\n  }\n}\n";

// wgsl:/work/main/shaders/column_sums.wgsl
var column_sums_default = "// First level of a column sum over rows: partials[chunk][col] = \u03A3 of the chunk's rows of a\n// rows \xD7 (4\xB7cols4) matrix (vec4-padded). splitk_finalize.wgsl sums the chunks. Used for\n// \u03C1\u0302 = column means of a\u207D\xB2\u207E.\n//\n// One thread per (vec4 column, chunk of CHUNK_ROWS rows), rows visited in order into four\n// interleaved accumulators: the longest sequential chain is CHUNK_ROWS/4 + 2 additions.\n\noverride WG: u32 = 8;\noverride CHUNK_ROWS: u32 = 64;\n\nstruct Params {\n  rows: u32,\n  cols4: u32,\n  srcOffset: u32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> src: array<vec4f>;\n@group(0) @binding(2) var<storage, read_write> partials: array<vec4f>;\n\n@compute @workgroup_size(WG)\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {\n  let col4 = gid.x;\n  if (col4 >= p.cols4) {\n    return;\n  }\n  let chunk = wg.y;\n  let rowBegin = chunk * CHUNK_ROWS;\n  let rowEnd = min(p.rows, rowBegin + CHUNK_ROWS);\n  var s: array<vec4f, 4>;\n  var r = rowBegin;\n  for (; r + 4u <= rowEnd; r += 4u) {\n    for (var q = 0u; q < 4u; q++) {\n      s[q] += src[p.srcOffset + (r + q) * p.cols4 + col4];\n    }\n  }\n  for (var q = 0u; r < rowEnd; r++) {\n    s[q] += src[p.srcOffset + r * p.cols4 + col4];\n    q++;\n  }\n  partials[chunk * p.cols4 + col4] = (s[0] + s[1]) + (s[2] + s[3]);\n}\n";

// wgsl:/work/main/shaders/hidden_delta.wgsl
var hidden_delta_default = "// \u03B4\u207D\xB2\u207E = (\u03B4\u207D\xB3\u207E\xB7W2 + \u03B2(\u2212\u03C1/\u03C1\u0302 + (1\u2212\u03C1)/(1\u2212\u03C1\u0302))) \xB7 a\u207D\xB2\u207E(1 \u2212 a\u207D\xB2\u207E), elementwise over m \xD7 hidden, with\n// backprop = \u03B4\u207D\xB3\u207E\xB7W2 already formed by the NT matmul, fused with the first level of\n// deltaSum[chunk][col] = \u03A3 \u03B4\u207D\xB2\u207E (\u2207b1 = column means of \u03B4\u207D\xB2\u207E), summed by splitk_finalize.wgsl.\n// Padding columns (col \u2265 hidden) get \u03B4 = 0: their \u03C1\u0302 is 0 and the sparsity term is not formed.\n//\n// One thread per (vec4 column, chunk of CHUNK_ROWS rows); the sum's chain is CHUNK_ROWS/4 + 2.\n\noverride WG: u32 = 8;\noverride CHUNK_ROWS: u32 = 64;\n\nstruct Params {\n  rows: u32,\n  cols4: u32,\n  hidden: u32,\n  sparsityParam: f32,\n  beta: f32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> backprop: array<vec4f>;\n@group(0) @binding(2) var<storage, read> a2: array<vec4f>;\n@group(0) @binding(3) var<storage, read> meanActivation: array<vec4f>;\n@group(0) @binding(4) var<storage, read_write> delta2: array<vec4f>;\n@group(0) @binding(5) var<storage, read_write> deltaSum: array<vec4f>;\n\n@compute @workgroup_size(WG)\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {\n  let col4 = gid.x;\n  if (col4 >= p.cols4) {\n    return;\n  }\n  let col = col4 * 4u;\n  let valid = vec4u(col, col + 1u, col + 2u, col + 3u) < vec4u(p.hidden);\n  let rhoHat = select(vec4f(0.5), meanActivation[col4], valid);\n  let rho = p.sparsityParam;\n  let sparsity = select(vec4f(0.0), p.beta * (-rho / rhoHat + (1.0 - rho) / (1.0 - rhoHat)), valid);\n\n  let chunk = wg.y;\n  let rowBegin = chunk * CHUNK_ROWS;\n  let rowEnd = min(p.rows, rowBegin + CHUNK_ROWS);\n  var ds: array<vec4f, 4>;\n  var q = 0u;\n  for (var r = rowBegin; r < rowEnd; r++) {\n    let i = r * p.cols4 + col4;\n    let a = a2[i];\n    let delta = (backprop[i] + sparsity) * a * (1.0 - a);\n    delta2[i] = delta;\n    ds[q] += delta;\n    q = (q + 1u) & 3u;\n  }\n  deltaSum[chunk * p.cols4 + col4] = (ds[0] + ds[1]) + (ds[2] + ds[3]);\n}\n";

// wgsl:/work/main/shaders/matmul.wgsl
var matmul_default = "// C = op(A) \xB7 op(B), the register-blocked variant for software adapters (llvmpipe, SwiftShader).\n//\n// Layout: every matrix is row-major f32 with its column count padded to a multiple of 4 (zeros),\n// bound as array<vec4f>; offsets are in vec4s. op(A) is M \xD7 K and op(B) is K \xD7 N:\n//   NN  A stored M \xD7 K,  B stored K \xD7 N    (forward: z = X\xB7W1\u1D40block, z = a2\xB7W2\u1D40block)\n//   NT  A stored M \xD7 K,  B stored N \xD7 K    (backprop: \u03B43 \xB7 W2)\n//   TN  A stored K \xD7 M,  B stored K \xD7 N    (weight gradients: X\u1D40\xB7\u03B42, a2\u1D40\xB7\u03B43, K = examples)\n// N is a multiple of 4, and so is K for NN and NT (the padded inner dimension) and M for TN.\n//\n// Why registers and vec4s: a software adapter runs a workgroup as SIMD lanes of one CPU core and\n// (llvmpipe in Mesa 25) turns every storage-buffer load whose address is not a constant into a\n// loop over the lanes. What costs is the number of loads,\n// not the arithmetic, and a vec4 load costs barely more than a scalar one. So each lane keeps a\n// TILE_ROWS \xD7 (4\xB7TILE_COLS4) block of C in registers and, per four steps of k, loads TILE_ROWS +\n// 4\xB7TILE_COLS4 vec4s for 16\xB7TILE_ROWS\xB7TILE_COLS4 multiply-adds. No workgroup memory, no barriers\n// (llvmpipe runs barriers as coroutine switches).\n//\n// Split-K: workgroup z sums k in [z\xB7kChunk, (z+1)\xB7kChunk) and writes its own M \xD7 N slice of C at\n// cOffset + z\xB7M\xB7N/4, later summed in a fixed order by splitk_finalize.wgsl. Each output is one\n// sequential chain of at most kChunk multiply-adds (the tolerance's n_eff).\n//\n// Epilogue (BIAS_SIGMOID): C = \u03C3(op(A)\xB7op(B) + bias[col]) for col < nValid, 0 in the padding.\n\noverride TRANS_A: bool = false;\noverride TRANS_B: bool = false;\noverride BIAS_SIGMOID: bool = false;\n// Lanes per workgroup: WG_X side by side along N, WG_Y stacked along M. On llvmpipe the\n// invocations of a workgroup run 8 at a time in index order, so WG_X\xB7WG_Y a multiple of 8 leaves\n// no SIMD lane idle, whatever WG_X is.\noverride WG_X: u32 = 8;\noverride WG_Y: u32 = 1;\n// Rows of C per lane (a multiple of 4 when TRANS_A) and vec4 columns of C per lane.\noverride TILE_ROWS: u32 = 4;\noverride TILE_COLS4: u32 = 1;\nconst MAX_ROWS = 8u;\nconst MAX_COLS4 = 2u;\n\nstruct Params {\n  M: u32,\n  N: u32,\n  K: u32,\n  kChunk: u32,\n  aOffset: u32,\n  bOffset: u32,\n  cOffset: u32,\n  biasOffset: u32,\n  nValid: u32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> a: array<vec4f>;\n@group(0) @binding(2) var<storage, read> b: array<vec4f>;\n@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;\n@group(0) @binding(4) var<storage, read> bias: array<f32>;\n\n@compute @workgroup_size(WG_X, WG_Y)\nfn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {\n  let n4 = p.N / 4u;\n  let m4 = p.M / 4u;\n  let k4 = p.K / 4u;\n  let col4First = (wg.x * WG_X + lid.x) * TILE_COLS4;\n  let rowFirst = (wg.y * WG_Y + lid.y) * TILE_ROWS;\n  let kBegin = wg.z * p.kChunk;\n  let kEnd = min(p.K, kBegin + p.kChunk);\n\n  // Lanes and rows past the edge load from clamped, valid addresses and skip the store, so the\n  // inner loop has no branches.\n  var bCol: array<u32, MAX_COLS4>;\n  for (var j = 0u; j < TILE_COLS4; j++) {\n    bCol[j] = min(col4First + j, n4 - 1u);\n  }\n  var aRow: array<u32, MAX_ROWS>;\n  for (var r = 0u; r < TILE_ROWS; r++) {\n    aRow[r] = min(rowFirst + r, p.M - 1u);\n  }\n\n  var acc: array<array<vec4f, MAX_COLS4>, MAX_ROWS>;\n  for (var r = 0u; r < TILE_ROWS; r++) {\n    for (var j = 0u; j < TILE_COLS4; j++) {\n      acc[r][j] = vec4f(0.0);\n    }\n  }\n\n  if (TRANS_A) {\n    // TN: per k, one vec4 of op(A)'s column k (4 rows) and TILE_COLS4 vec4s of op(B)'s row k.\n    let rowGroup = min(rowFirst / 4u, m4 - 1u);\n    for (var k = kBegin; k < kEnd; k++) {\n      var bk: array<vec4f, MAX_COLS4>;\n      for (var j = 0u; j < TILE_COLS4; j++) {\n        bk[j] = b[p.bOffset + k * n4 + bCol[j]];\n      }\n      for (var r4 = 0u; r4 < TILE_ROWS / 4u; r4++) {\n        let ak = a[p.aOffset + k * m4 + min(rowGroup + r4, m4 - 1u)];\n        for (var j = 0u; j < TILE_COLS4; j++) {\n          acc[r4 * 4u][j] = fma(vec4f(ak.x), bk[j], acc[r4 * 4u][j]);\n          acc[r4 * 4u + 1u][j] = fma(vec4f(ak.y), bk[j], acc[r4 * 4u + 1u][j]);\n          acc[r4 * 4u + 2u][j] = fma(vec4f(ak.z), bk[j], acc[r4 * 4u + 2u][j]);\n          acc[r4 * 4u + 3u][j] = fma(vec4f(ak.w), bk[j], acc[r4 * 4u + 3u][j]);\n        }\n      }\n    }\n  } else {\n    // NN, NT: per four steps of k, one vec4 of each row of op(A) and a 4 \xD7 4 block of op(B)\n    // per vec4 column.\n    for (var kk = kBegin / 4u; kk < (kEnd + 3u) / 4u; kk++) {\n      var b0: array<vec4f, MAX_COLS4>;\n      var b1: array<vec4f, MAX_COLS4>;\n      var b2: array<vec4f, MAX_COLS4>;\n      var b3: array<vec4f, MAX_COLS4>;\n      for (var j = 0u; j < TILE_COLS4; j++) {\n        if (TRANS_B) {\n          // Rows 4j'..4j'+3 of the stored N \xD7 K matrix, transposed in registers (free in SIMD form).\n          let base = p.bOffset + bCol[j] * 4u * k4 + kk;\n          let t0 = b[base];\n          let t1 = b[base + k4];\n          let t2 = b[base + 2u * k4];\n          let t3 = b[base + 3u * k4];\n          b0[j] = vec4f(t0.x, t1.x, t2.x, t3.x);\n          b1[j] = vec4f(t0.y, t1.y, t2.y, t3.y);\n          b2[j] = vec4f(t0.z, t1.z, t2.z, t3.z);\n          b3[j] = vec4f(t0.w, t1.w, t2.w, t3.w);\n        } else {\n          let base = p.bOffset + kk * 4u * n4 + bCol[j];\n          b0[j] = b[base];\n          b1[j] = b[base + n4];\n          b2[j] = b[base + 2u * n4];\n          b3[j] = b[base + 3u * n4];\n        }\n      }\n      for (var r = 0u; r < TILE_ROWS; r++) {\n        let ak = a[p.aOffset + aRow[r] * k4 + kk];\n        for (var j = 0u; j < TILE_COLS4; j++) {\n          acc[r][j] = fma(vec4f(ak.w), b3[j], fma(vec4f(ak.z), b2[j], fma(vec4f(ak.y), b1[j], fma(vec4f(ak.x), b0[j], acc[r][j]))));\n        }\n      }\n    }\n  }\n\n  let cBase = p.cOffset + wg.z * (p.M * n4);\n  for (var j = 0u; j < TILE_COLS4; j++) {\n    let col4 = col4First + j;\n    if (col4 < n4) {\n      var biasValue = vec4f(0.0);\n      var valid = vec4<bool>(true);\n      if (BIAS_SIGMOID) {\n        let col = col4 * 4u;\n        valid = vec4u(col, col + 1u, col + 2u, col + 3u) < vec4u(p.nValid);\n        // Padding columns read the last bias; their output is forced to 0 below.\n        let last = p.nValid - 1u;\n        biasValue = vec4f(bias[p.biasOffset + min(col, last)], bias[p.biasOffset + min(col + 1u, last)],\n                          bias[p.biasOffset + min(col + 2u, last)], bias[p.biasOffset + min(col + 3u, last)]);\n      }\n      for (var r = 0u; r < TILE_ROWS; r++) {\n        let row = rowFirst + r;\n        if (row < p.M) {\n          var v = acc[r][j];\n          if (BIAS_SIGMOID) {\n            v = select(vec4f(0.0), 1.0 / (1.0 + exp(-(v + biasValue))), valid);\n          }\n          c[cBase + row * n4 + col4] = v;\n        }\n      }\n    }\n  }\n}\n";

// wgsl:/work/main/shaders/matmul_tiled.wgsl
var matmul_tiled_default = "// C = op(A) \xB7 op(B), the workgroup-memory tiled variant for real GPUs.\n//\n// Same contract as matmul.wgsl (layouts NN / NT / TN, vec4-padded matrices, offsets in vec4s,\n// split-K slices along workgroup z, optional bias + sigmoid epilogue), so the two are\n// interchangeable: src/gpu/programs.ts picks one per adapter.\n//\n// A workgroup of WG_X \xD7 WG_Y threads computes a (4\xB7WG_Y) \xD7 (4\xB7WG_X) tile of C; each thread owns\n// 4 rows \xD7 one vec4 column. Per step of TILE_K, the workgroup stages a tile of op(A) and of op(B)\n// in workgroup memory (each input element is read from global memory once per workgroup instead\n// of once per thread), then every thread does 4\xB7TILE_K vec4 multiply-adds from it.\n// Each output is one sequential chain of at most kChunk multiply-adds, in order of k.\n\noverride TRANS_A: bool = false;\noverride TRANS_B: bool = false;\noverride BIAS_SIGMOID: bool = false;\noverride WG_X: u32 = 16;\noverride WG_Y: u32 = 16;\n// Inner-dimension step staged per barrier; a multiple of 4.\noverride TILE_K: u32 = 16;\noverride TILE_M4: u32 = WG_Y;\noverride THREADS: u32 = WG_X * WG_Y;\n\nstruct Params {\n  M: u32,\n  N: u32,\n  K: u32,\n  kChunk: u32,\n  aOffset: u32,\n  bOffset: u32,\n  cOffset: u32,\n  biasOffset: u32,\n  nValid: u32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> a: array<vec4f>;\n@group(0) @binding(2) var<storage, read> b: array<vec4f>;\n@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;\n@group(0) @binding(4) var<storage, read> bias: array<f32>;\n\n// tileA[k][m4]: op(A) transposed, 4 rows per vec4. tileB[k][n4]: 4 columns per vec4.\nvar<workgroup> tileA: array<vec4f, TILE_K * TILE_M4>;\nvar<workgroup> tileB: array<vec4f, TILE_K * WG_X>;\n\n@compute @workgroup_size(WG_X, WG_Y)\nfn main(\n  @builtin(workgroup_id) wg: vec3u,\n  @builtin(local_invocation_id) lid: vec3u,\n  @builtin(local_invocation_index) li: u32,\n) {\n  let n4 = p.N / 4u;\n  let m4 = p.M / 4u;\n  let k4 = p.K / 4u;\n  let row4Base = wg.y * TILE_M4;\n  let col4Base = wg.x * WG_X;\n  let kBegin = wg.z * p.kChunk;\n  let kEnd = min(p.K, kBegin + p.kChunk);\n\n  var acc: array<vec4f, 4>;\n  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {\n    if (TRANS_A) {\n      // A stored K \xD7 M: vec4s run along m.\n      for (var i = li; i < TILE_K * TILE_M4; i += THREADS) {\n        let kk = i / TILE_M4;\n        let mq = i % TILE_M4;\n        let k = k0 + kk;\n        let row4 = row4Base + mq;\n        var v = vec4f(0.0);\n        if (k < kEnd && row4 < m4) {\n          v = a[p.aOffset + k * m4 + row4];\n        }\n        tileA[kk * TILE_M4 + mq] = v;\n      }\n    } else {\n      // A stored M \xD7 K: vec4s run along k; transpose into the tile.\n      for (var i = li; i < 4u * TILE_M4 * (TILE_K / 4u); i += THREADS) {\n        let mm = i / (TILE_K / 4u);\n        let kq = i % (TILE_K / 4u);\n        let row = row4Base * 4u + mm;\n        var v = vec4f(0.0);\n        if (row < p.M && k0 + kq * 4u < kEnd) {\n          v = a[p.aOffset + row * k4 + k0 / 4u + kq];\n        }\n        tileA[(kq * 4u) * TILE_M4 + mm / 4u][mm % 4u] = v.x;\n        tileA[(kq * 4u + 1u) * TILE_M4 + mm / 4u][mm % 4u] = v.y;\n        tileA[(kq * 4u + 2u) * TILE_M4 + mm / 4u][mm % 4u] = v.z;\n        tileA[(kq * 4u + 3u) * TILE_M4 + mm / 4u][mm % 4u] = v.w;\n      }\n    }\n    if (TRANS_B) {\n      // B stored N \xD7 K: vec4s run along k; transpose into the tile.\n      for (var i = li; i < 4u * WG_X * (TILE_K / 4u); i += THREADS) {\n        let nn = i / (TILE_K / 4u);\n        let kq = i % (TILE_K / 4u);\n        let col = col4Base * 4u + nn;\n        var v = vec4f(0.0);\n        if (col < p.N && k0 + kq * 4u < kEnd) {\n          v = b[p.bOffset + col * k4 + k0 / 4u + kq];\n        }\n        tileB[(kq * 4u) * WG_X + nn / 4u][nn % 4u] = v.x;\n        tileB[(kq * 4u + 1u) * WG_X + nn / 4u][nn % 4u] = v.y;\n        tileB[(kq * 4u + 2u) * WG_X + nn / 4u][nn % 4u] = v.z;\n        tileB[(kq * 4u + 3u) * WG_X + nn / 4u][nn % 4u] = v.w;\n      }\n    } else {\n      for (var i = li; i < TILE_K * WG_X; i += THREADS) {\n        let kk = i / WG_X;\n        let nq = i % WG_X;\n        let k = k0 + kk;\n        let col4 = col4Base + nq;\n        var v = vec4f(0.0);\n        if (k < kEnd && col4 < n4) {\n          v = b[p.bOffset + k * n4 + col4];\n        }\n        tileB[kk * WG_X + nq] = v;\n      }\n    }\n    workgroupBarrier();\n    for (var kk = 0u; kk < TILE_K; kk++) {\n      let bv = tileB[kk * WG_X + lid.x];\n      let av = tileA[kk * TILE_M4 + lid.y];\n      acc[0] = fma(vec4f(av.x), bv, acc[0]);\n      acc[1] = fma(vec4f(av.y), bv, acc[1]);\n      acc[2] = fma(vec4f(av.z), bv, acc[2]);\n      acc[3] = fma(vec4f(av.w), bv, acc[3]);\n    }\n    workgroupBarrier();\n  }\n\n  let col4 = col4Base + lid.x;\n  if (col4 >= n4) {\n    return;\n  }\n  var biasValue = vec4f(0.0);\n  var valid = vec4<bool>(true);\n  if (BIAS_SIGMOID) {\n    let col = col4 * 4u;\n    valid = vec4u(col, col + 1u, col + 2u, col + 3u) < vec4u(p.nValid);\n    let last = p.nValid - 1u;\n    biasValue = vec4f(bias[p.biasOffset + min(col, last)], bias[p.biasOffset + min(col + 1u, last)],\n                      bias[p.biasOffset + min(col + 2u, last)], bias[p.biasOffset + min(col + 3u, last)]);\n  }\n  let cBase = p.cOffset + wg.z * (p.M * n4);\n  for (var r = 0u; r < 4u; r++) {\n    let row = (row4Base + lid.y) * 4u + r;\n    if (row < p.M) {\n      var v = acc[r];\n      if (BIAS_SIGMOID) {\n        v = select(vec4f(0.0), 1.0 / (1.0 + exp(-(v + biasValue))), valid);\n      }\n      c[cBase + row * n4 + col4] = v;\n    }\n  }\n}\n";

// wgsl:/work/main/shaders/output_delta.wgsl
var output_delta_default = "// \u03B4\u207D\xB3\u207E = (a\u207D\xB3\u207E \u2212 x) \xB7 a\u207D\xB3\u207E(1 \u2212 a\u207D\xB3\u207E), elementwise over the m \xD7 visible output, fused with the\n// first level of two reductions over the same rows:\n//   squaredError[chunk][col] = \u03A3 (a\u207D\xB3\u207E \u2212 x)\xB2   (the reconstruction cost, before 1/2m)\n//   deltaSum[chunk][col]     = \u03A3 \u03B4\u207D\xB3\u207E           (\u2207b2 = column means of \u03B4\u207D\xB3\u207E)\n// splitk_finalize.wgsl then sums the chunks. x is read from the data set at row xRowOffset\n// (the first example of the batch). Padding columns are zero in a\u207D\xB3\u207E and x, so \u03B4 = 0 there.\n//\n// One thread per (vec4 column, chunk of CHUNK_ROWS rows), four interleaved accumulators per\n// sum: the chain is CHUNK_ROWS/4 + 2 additions.\n\noverride WG: u32 = 8;\noverride CHUNK_ROWS: u32 = 64;\n\nstruct Params {\n  rows: u32,\n  cols4: u32,\n  // Offset of the batch's first example in the data set, in vec4s.\n  xOffset: u32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> a3: array<vec4f>;\n@group(0) @binding(2) var<storage, read> x: array<vec4f>;\n@group(0) @binding(3) var<storage, read_write> delta3: array<vec4f>;\n@group(0) @binding(4) var<storage, read_write> squaredError: array<vec4f>;\n@group(0) @binding(5) var<storage, read_write> deltaSum: array<vec4f>;\n\n@compute @workgroup_size(WG)\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {\n  let col4 = gid.x;\n  if (col4 >= p.cols4) {\n    return;\n  }\n  let chunk = wg.y;\n  let rowBegin = chunk * CHUNK_ROWS;\n  let rowEnd = min(p.rows, rowBegin + CHUNK_ROWS);\n  var sq: array<vec4f, 4>;\n  var ds: array<vec4f, 4>;\n  var q = 0u;\n  for (var r = rowBegin; r < rowEnd; r++) {\n    let i = r * p.cols4 + col4;\n    let a = a3[i];\n    let d = a - x[p.xOffset + i];\n    let delta = d * a * (1.0 - a);\n    delta3[i] = delta;\n    sq[q] = fma(d, d, sq[q]);\n    ds[q] += delta;\n    q = (q + 1u) & 3u;\n  }\n  let out = chunk * p.cols4 + col4;\n  squaredError[out] = (sq[0] + sq[1]) + (sq[2] + sq[3]);\n  deltaSum[out] = (ds[0] + ds[1]) + (ds[2] + ds[3]);\n}\n";

// wgsl:/work/main/shaders/pad_matrix.wgsl
var pad_matrix_default = "// Copies a rows \xD7 cols row-major block out of a flat f32 buffer (\u03B8's W1 or W2 block, at an\n// element offset) into a row-major matrix of outRows \xD7 4\xB7cols4, zero-filled, that the matmul\n// kernels read as vec4s. Padding with zeros makes every padded row and column contribute\n// nothing to a product.\n\noverride WG: u32 = 64;\n\nstruct Params {\n  rows: u32,\n  cols: u32,\n  outRows: u32,\n  cols4: u32,\n  srcOffset: u32,\n  // Threads per row of the dispatch grid (workgroups in x \xD7 WG), for grids taller than 65535.\n  gridWidth: u32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> src: array<f32>;\n@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;\n\n@compute @workgroup_size(WG)\nfn main(@builtin(global_invocation_id) gid: vec3u) {\n  let i = gid.y * p.gridWidth + gid.x;\n  if (i >= p.outRows * p.cols4) {\n    return;\n  }\n  let r = i / p.cols4;\n  let c = (i % p.cols4) * 4u;\n  var v = vec4f(0.0);\n  if (r < p.rows) {\n    let base = p.srcOffset + r * p.cols + c;\n    for (var e = 0u; e < 4u; e++) {\n      if (c + e < p.cols) {\n        v[e] = src[base + e];\n      }\n    }\n  }\n  dst[i] = v;\n}\n";

// wgsl:/work/main/shaders/splitk_finalize.wgsl
var splitk_finalize_default = "// Second level of every two-level reduction: sums the slices of a partials buffer in a fixed\n// order (deterministic), then out = scale \xB7 \u03A3 + \u03BB \xB7 w, written without the vec4 padding.\n//\n//   weight gradients  partials = split-K slices of X\u1D40\u03B4\u207D\xB2\u207E or a\u207D\xB2\u207E\u1D40\u03B4\u207D\xB3\u207E, scale = 1/m, \u03BB\xB7W added,\n//                     out = the W1 or W2 block of the gradient (at its offset in \u03B8's packing)\n//   column means      partials = column_sums chunks, scale = 1/m, \u03BB = 0 (\u03C1\u0302, \u2207b1, \u2207b2)\n//\n// out[outOffset + r\xB7cols + c] = scale \xB7 \u03A3_s partials[s\xB7sliceStride + r\xB7ld + c] + \u03BB\xB7w[wOffset + r\xB7cols + c]\n// One thread per output, four interleaved accumulators: the chain is \u2308slices/4\u2309 + 2 additions.\n\noverride WG: u32 = 64;\n\nstruct Params {\n  rows: u32,\n  cols: u32,\n  // Row length of the partials (the padded column count) and the distance between slices.\n  ld: u32,\n  sliceStride: u32,\n  slices: u32,\n  outOffset: u32,\n  wOffset: u32,\n  gridWidth: u32,\n  scale: f32,\n  lambda: f32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> partials: array<f32>;\n@group(0) @binding(2) var<storage, read> w: array<f32>;\n@group(0) @binding(3) var<storage, read_write> out: array<f32>;\n\n@compute @workgroup_size(WG)\nfn main(@builtin(global_invocation_id) gid: vec3u) {\n  let i = gid.y * p.gridWidth + gid.x;\n  if (i >= p.rows * p.cols) {\n    return;\n  }\n  let r = i / p.cols;\n  let c = i % p.cols;\n  let base = r * p.ld + c;\n  var s = vec4f(0.0);\n  var q = 0u;\n  for (; q + 4u <= p.slices; q += 4u) {\n    s += vec4f(partials[base + q * p.sliceStride], partials[base + (q + 1u) * p.sliceStride],\n               partials[base + (q + 2u) * p.sliceStride], partials[base + (q + 3u) * p.sliceStride]);\n  }\n  for (var e = 0u; q < p.slices; q++) {\n    s[e] += partials[base + q * p.sliceStride];\n    e++;\n  }\n  var v = p.scale * ((s.x + s.y) + (s.z + s.w));\n  if (p.lambda != 0.0) {\n    v += p.lambda * w[p.wOffset + i];\n  }\n  out[p.outOffset + i] = v;\n}\n";

// wgsl:/work/main/shaders/sum_squares.wgsl
var sum_squares_default = "// First level of \u03A3 v\u1D62\xB2 over a flat range of an f32 buffer (\u03A3W1\xB2 + \u03A3W2\xB2: \u03B8's two weight blocks\n// are contiguous): partials[g] = \u03A3 of the squares in [g\xB7CHUNK, (g+1)\xB7CHUNK). cost.wgsl sums the\n// partials. Four interleaved accumulators: the chain is CHUNK/4 + 2.\n\noverride WG: u32 = 64;\noverride CHUNK: u32 = 256;\n\nstruct Params {\n  count: u32,\n  srcOffset: u32,\n}\n\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> src: array<f32>;\n@group(0) @binding(2) var<storage, read_write> partials: array<f32>;\n\n@compute @workgroup_size(WG)\nfn main(@builtin(global_invocation_id) gid: vec3u) {\n  let g = gid.x;\n  let begin = g * CHUNK;\n  if (begin >= p.count) {\n    return;\n  }\n  let end = min(p.count, begin + CHUNK);\n  var s = vec4f(0.0);\n  var i = begin;\n  for (; i + 4u <= end; i += 4u) {\n    let v = vec4f(src[p.srcOffset + i], src[p.srcOffset + i + 1u], src[p.srcOffset + i + 2u], src[p.srcOffset + i + 3u]);\n    s = fma(v, v, s);\n  }\n  for (var e = 0u; i < end; i++) {\n    let v = src[p.srcOffset + i];\n    s[e] = fma(v, v, s[e]);\n    e++;\n  }\n  partials[g] = (s.x + s.y) + (s.z + s.w);\n}\n";

// src/gpu/programs.ts
var SHADERS = {
  matmul: { file: "shaders/matmul.wgsl", code: matmul_default },
  matmulTiled: { file: "shaders/matmul_tiled.wgsl", code: matmul_tiled_default },
  padMatrix: { file: "shaders/pad_matrix.wgsl", code: pad_matrix_default },
  columnSums: { file: "shaders/column_sums.wgsl", code: column_sums_default },
  splitkFinalize: { file: "shaders/splitk_finalize.wgsl", code: splitk_finalize_default },
  outputDelta: { file: "shaders/output_delta.wgsl", code: output_delta_default },
  hiddenDelta: { file: "shaders/hidden_delta.wgsl", code: hidden_delta_default },
  sumSquares: { file: "shaders/sum_squares.wgsl", code: sum_squares_default },
  cost: { file: "shaders/cost.wgsl", code: cost_default }
};
function isSoftwareAdapter(info) {
  const text = `${info.vendor} ${info.architecture} ${info.description} ${info.device}`.toLowerCase();
  if (/llvmpipe|lavapipe|swiftshader/.test(text)) return true;
  if (info.vendor.toLowerCase() === "mesa" && info.architecture.toLowerCase() === "software") return true;
  return info.isFallbackAdapter;
}
function chooseKernelConfig(info, forced) {
  const software = isSoftwareAdapter(info);
  return {
    matmul: forced ?? (software ? "registers" : "workgroup"),
    laneGroup: software ? 8 : 64,
    splitK: 256
  };
}
var MAX_WORKGROUPS_PER_DIMENSION = 65535;
function roundUp4(n) {
  return Math.ceil(n / 4) * 4;
}
function packUniforms(fields) {
  const buffer = new ArrayBuffer(Math.max(16, Math.ceil(fields.length * 4 / 16) * 16));
  const view = new DataView(buffer);
  fields.forEach(([type, value], i) => {
    if (type === "u32") {
      if (!(Number.isInteger(value) && value >= 0 && value <= 4294967295)) {
        throw new RangeError(`uniform field ${i} must be a u32, got ${value}`);
      }
      view.setUint32(i * 4, value, true);
    } else {
      view.setFloat32(i * 4, value, true);
    }
  });
  return buffer;
}
function grid1d(count, workgroup) {
  const groups = Math.max(1, Math.ceil(count / workgroup));
  const x = Math.min(groups, MAX_WORKGROUPS_PER_DIMENSION);
  const y = Math.ceil(groups / x);
  checkDispatch([x, y, 1]);
  return { dispatch: [x, y, 1], gridWidth: x * workgroup };
}
function checkDispatch(dispatch) {
  for (const d of dispatch) {
    if (d > MAX_WORKGROUPS_PER_DIMENSION) {
      throw new RangeError(`dispatch ${dispatch.join("\xD7")} exceeds ${MAX_WORKGROUPS_PER_DIMENSION} workgroups per dimension`);
    }
  }
}
var USES = (...kinds) => ["uniform", ...kinds];
function matmulProgram(spec, variant) {
  const { M, N, K, transA, transB } = spec;
  if (N % 4 !== 0) throw new RangeError(`matmul: N = ${N} must be a multiple of 4 (padded)`);
  if (!transA && K % 4 !== 0) throw new RangeError(`matmul: K = ${K} must be a multiple of 4 unless transA`);
  if (transA && M % 4 !== 0) throw new RangeError(`matmul: M = ${M} must be a multiple of 4 when transA`);
  if (transA && transB) throw new RangeError("matmul: TT is not supported");
  if (M < 1 || N < 1 || K < 1) throw new RangeError(`matmul: empty shape ${M}\xD7${N}\xD7${K}`);
  let kChunk = Math.min(K, spec.kChunk ?? K);
  if (!transA) kChunk = roundUp4(kChunk);
  const slices = Math.ceil(K / kChunk);
  const n4 = N / 4;
  const uniforms = packUniforms([
    ["u32", M],
    ["u32", N],
    ["u32", K],
    ["u32", kChunk],
    ["u32", spec.aOffset ?? 0],
    ["u32", spec.bOffset ?? 0],
    ["u32", spec.cOffset ?? 0],
    ["u32", spec.biasOffset ?? 0],
    ["u32", spec.nValid ?? N]
  ]);
  const base = {
    name: `matmul ${transA ? "T" : "N"}${transB ? "T" : "N"}${spec.biasSigmoid ? "+bias+sigmoid" : ""} (${variant})`,
    entryPoint: "main",
    bindings: USES("read-only-storage", "read-only-storage", "storage", "read-only-storage"),
    uniforms,
    chainLength: kChunk,
    slices
  };
  if (variant === "registers") {
    const tileRows = 8;
    const tileCols4 = n4 <= 8 ? 1 : 2;
    const wgX2 = 8;
    const dispatch2 = [Math.ceil(n4 / (wgX2 * tileCols4)), Math.ceil(M / tileRows), slices];
    checkDispatch(dispatch2);
    return {
      ...base,
      shader: SHADERS.matmul,
      constants: { TRANS_A: transA, TRANS_B: transB, BIAS_SIGMOID: !!spec.biasSigmoid, WG_X: wgX2, TILE_ROWS: tileRows, TILE_COLS4: tileCols4 },
      workgroupSize: [wgX2, 1, 1],
      dispatch: dispatch2
    };
  }
  const wgX = 16;
  const wgY = 16;
  const dispatch = [Math.ceil(n4 / wgX), Math.ceil(M / (4 * wgY)), slices];
  checkDispatch(dispatch);
  return {
    ...base,
    shader: SHADERS.matmulTiled,
    constants: { TRANS_A: transA, TRANS_B: transB, BIAS_SIGMOID: !!spec.biasSigmoid, WG_X: wgX, WG_Y: wgY, TILE_K: 16 },
    workgroupSize: [wgX, wgY, 1],
    dispatch
  };
}
function padMatrixProgram(spec) {
  const cols4 = roundUp4(spec.cols) / 4;
  const wg = 64;
  const { dispatch, gridWidth } = grid1d(spec.outRows * cols4, wg);
  return {
    name: "pad matrix",
    shader: SHADERS.padMatrix,
    entryPoint: "main",
    constants: { WG: wg },
    bindings: USES("read-only-storage", "storage"),
    workgroupSize: [wg, 1, 1],
    dispatch,
    uniforms: packUniforms([
      ["u32", spec.rows],
      ["u32", spec.cols],
      ["u32", spec.outRows],
      ["u32", cols4],
      ["u32", spec.srcOffset],
      ["u32", gridWidth]
    ]),
    chainLength: 0
  };
}
var CHUNK_ROWS = 64;
function columnGrid(rows, cols4, laneGroup) {
  const dispatch = [Math.ceil(cols4 / laneGroup), Math.max(1, Math.ceil(rows / CHUNK_ROWS)), 1];
  checkDispatch(dispatch);
  return dispatch;
}
function chunkCount(rows) {
  return Math.max(1, Math.ceil(rows / CHUNK_ROWS));
}
function columnSumsProgram(spec, laneGroup) {
  return {
    name: "column sums",
    shader: SHADERS.columnSums,
    entryPoint: "main",
    constants: { WG: laneGroup, CHUNK_ROWS },
    bindings: USES("read-only-storage", "storage"),
    workgroupSize: [laneGroup, 1, 1],
    dispatch: columnGrid(spec.rows, spec.cols4, laneGroup),
    uniforms: packUniforms([
      ["u32", spec.rows],
      ["u32", spec.cols4],
      ["u32", spec.srcOffset ?? 0]
    ]),
    chainLength: CHUNK_ROWS / 4 + 2
  };
}
function finalizeProgram(spec) {
  const wg = 64;
  const { dispatch, gridWidth } = grid1d(spec.rows * spec.cols, wg);
  return {
    name: "sum slices",
    shader: SHADERS.splitkFinalize,
    entryPoint: "main",
    constants: { WG: wg },
    bindings: USES("read-only-storage", "read-only-storage", "storage"),
    workgroupSize: [wg, 1, 1],
    dispatch,
    uniforms: packUniforms([
      ["u32", spec.rows],
      ["u32", spec.cols],
      ["u32", spec.ld],
      ["u32", spec.sliceStride],
      ["u32", spec.slices],
      ["u32", spec.outOffset],
      ["u32", spec.wOffset ?? 0],
      ["u32", gridWidth],
      ["f32", spec.scale],
      ["f32", spec.lambda ?? 0]
    ]),
    chainLength: Math.ceil(spec.slices / 4) + 2
  };
}
function outputDeltaProgram(spec, laneGroup) {
  return {
    name: "output delta",
    shader: SHADERS.outputDelta,
    entryPoint: "main",
    constants: { WG: laneGroup, CHUNK_ROWS },
    bindings: USES("read-only-storage", "read-only-storage", "storage", "storage", "storage"),
    workgroupSize: [laneGroup, 1, 1],
    dispatch: columnGrid(spec.rows, spec.cols4, laneGroup),
    uniforms: packUniforms([
      ["u32", spec.rows],
      ["u32", spec.cols4],
      ["u32", spec.xOffset]
    ]),
    chainLength: CHUNK_ROWS / 4 + 2
  };
}
function hiddenDeltaProgram(spec, laneGroup) {
  const cols4 = roundUp4(spec.hidden) / 4;
  return {
    name: "hidden delta",
    shader: SHADERS.hiddenDelta,
    entryPoint: "main",
    constants: { WG: laneGroup, CHUNK_ROWS },
    bindings: USES("read-only-storage", "read-only-storage", "read-only-storage", "storage", "storage"),
    workgroupSize: [laneGroup, 1, 1],
    dispatch: columnGrid(spec.rows, cols4, laneGroup),
    uniforms: packUniforms([
      ["u32", spec.rows],
      ["u32", cols4],
      ["u32", spec.hidden],
      ["f32", spec.sparsityParam],
      ["f32", spec.beta]
    ]),
    chainLength: CHUNK_ROWS / 4 + 2
  };
}
var SUM_SQUARES_CHUNK = 256;
function sumSquaresPartialCount(count) {
  return Math.max(1, Math.ceil(count / SUM_SQUARES_CHUNK));
}
function sumSquaresProgram(spec) {
  const wg = 64;
  const partials = sumSquaresPartialCount(spec.count);
  const dispatch = [Math.ceil(partials / wg), 1, 1];
  checkDispatch(dispatch);
  return {
    name: "sum of squares",
    shader: SHADERS.sumSquares,
    entryPoint: "main",
    constants: { WG: wg, CHUNK: SUM_SQUARES_CHUNK },
    bindings: USES("read-only-storage", "storage"),
    workgroupSize: [wg, 1, 1],
    dispatch,
    uniforms: packUniforms([
      ["u32", spec.count],
      ["u32", spec.srcOffset]
    ]),
    chainLength: SUM_SQUARES_CHUNK / 4 + 2
  };
}
var COST_WORKGROUP = 64;
function costProgram(spec) {
  const longest = Math.max(spec.squaredErrorCount, spec.weightCount, spec.hidden);
  return {
    name: "cost",
    shader: SHADERS.cost,
    entryPoint: "main",
    constants: { WG: COST_WORKGROUP },
    bindings: USES("read-only-storage", "read-only-storage", "read-only-storage", "storage"),
    workgroupSize: [COST_WORKGROUP, 1, 1],
    dispatch: [1, 1, 1],
    uniforms: packUniforms([
      ["u32", spec.squaredErrorCount],
      ["u32", spec.weightCount],
      ["u32", spec.hidden],
      ["u32", spec.examples],
      ["f32", spec.sparsityParam],
      ["f32", spec.beta],
      ["f32", spec.lambda]
    ]),
    chainLength: Math.ceil(longest / COST_WORKGROUP) + Math.log2(COST_WORKGROUP)
  };
}

// src/gpu/runtime.ts
function createStorageBuffer(device, bytes, label) {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC
  });
}
function uploadF32(device, data, label, minLength = 0) {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  const buffer = createStorageBuffer(device, Math.max(values.length, minLength) * 4, label);
  if (values.length > 0) device.queue.writeBuffer(buffer, 0, values.buffer, values.byteOffset, values.byteLength);
  return buffer;
}
async function readF32(ctx2, buffer, offset, count) {
  ctx2.assertAlive();
  const device = ctx2.device;
  const bytes = count * 4;
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const staging = device.createBuffer({ label: `read ${buffer.label}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    await withErrorScopes(device, `reading ${buffer.label}`, () => {
      const encoder = device.createCommandEncoder();
      if (bytes > 0) encoder.copyBufferToBuffer(buffer, offset * 4, staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
    });
    await staging.mapAsync(GPUMapMode.READ);
    const out2 = new Float32Array(staging.getMappedRange(0, size).slice(0, bytes));
    staging.unmap();
    return out2;
  } finally {
    staging.destroy();
  }
}
function createUniformBuffer(device, program) {
  const buffer = device.createBuffer({
    label: `uniforms ${program.name}`,
    size: program.uniforms.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST
  });
  device.queue.writeBuffer(buffer, 0, program.uniforms);
  return buffer;
}
function createBindGroup(device, pipeline, uniformBuffer, buffers, label) {
  return device.createBindGroup({
    label,
    layout: pipeline.bindGroupLayout,
    entries: [uniformBuffer, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } }))
  });
}
async function bindStep(ctx2, program, buffers) {
  if (buffers.length !== program.bindings.length - 1) {
    throw new RangeError(`${program.name}: expected ${program.bindings.length - 1} buffers, got ${buffers.length}`);
  }
  const pipeline = await ctx2.pipelines.pipeline(program);
  const uniformBuffer = createUniformBuffer(ctx2.device, program);
  const bindGroup = createBindGroup(ctx2.device, pipeline, uniformBuffer, buffers, program.name);
  return { program, pipeline, uniformBuffer, bindGroup };
}
function encodeStep(pass, step) {
  pass.setPipeline(step.pipeline.pipeline);
  pass.setBindGroup(0, step.bindGroup);
  const [x, y, z] = step.program.dispatch;
  pass.dispatchWorkgroups(x, y, z);
}
async function runPrograms(ctx2, runs) {
  ctx2.assertAlive();
  const steps = [];
  try {
    await withErrorScopes(ctx2.device, `running ${runs.map((r) => r.program.name).join(", ")}`, async () => {
      for (const run of runs) steps.push(await bindStep(ctx2, run.program, run.buffers));
      const encoder = ctx2.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (const step of steps) encodeStep(pass, step);
      pass.end();
      ctx2.device.queue.submit([encoder.finish()]);
    });
    await ctx2.device.queue.onSubmittedWorkDone();
  } finally {
    for (const step of steps) step.uniformBuffer.destroy();
  }
}

// src/gpu/autoencoder.ts
var GpuSparseAutoencoder = class _GpuSparseAutoencoder {
  constructor(ctx2, shape, hyperparameters, dataset, options) {
    this.ctx = ctx2;
    const { visibleSize: v, hiddenSize: h } = shape;
    if (!(Number.isInteger(v) && v > 0 && Number.isInteger(h) && h > 0)) {
      throw new RangeError(`sizes must be positive integers, got visible ${v}, hidden ${h}`);
    }
    if (dataset.visibleSize !== v) {
      throw new RangeError(`data has ${dataset.visibleSize} values per example; the model expects ${v}`);
    }
    const m = dataset.examples;
    if (!(Number.isInteger(m) && m > 0)) throw new RangeError("the data set is empty");
    if (dataset.data.length !== m * v) throw new RangeError(`data holds ${dataset.data.length} values, expected ${m} \xD7 ${v}`);
    validateHyperparameters(hyperparameters);
    this.shape = { visibleSize: v, hiddenSize: h };
    this.examples = m;
    this.layout = thetaLayout(shape);
    this.hyperparameters = { ...hyperparameters };
    this.currentBatch = checkBatch(options.batch ?? { start: 0, count: m }, m);
    this.config = chooseKernelConfig(ctx2.adapterInfo, options.matmulVariant ?? ctx2.matmulVariant);
    const device = ctx2.device;
    const v4 = roundUp4(v);
    const h4 = roundUp4(h);
    const xBytes = m * v4 * 4;
    const maxBinding = device.limits.maxStorageBufferBindingSize;
    if (xBytes > maxBinding) {
      throw new RangeError(
        `the data set (${m} \xD7 ${v} float32, ${xBytes} bytes padded) exceeds this device's largest storage binding (${maxBinding} bytes); use fewer examples`
      );
    }
    const chunks = chunkCount(m);
    const slices = Math.ceil(m / this.config.splitK);
    const own = (bytes, label) => {
      const buffer = createStorageBuffer(device, bytes, label);
      this.owned.push(buffer);
      return buffer;
    };
    const L = this.layout;
    this.buffers = {
      x: own(xBytes, "X"),
      w1p: own(v4 * h4 * 4, "W1 padded"),
      w2p: own(h4 * v4 * 4, "W2 padded"),
      a2: own(m * h4 * 4, "a2"),
      a3: own(m * v4 * 4, "a3"),
      delta3: own(m * v4 * 4, "delta3"),
      backprop: own(m * h4 * 4, "delta3\xB7W2"),
      delta2: own(m * h4 * 4, "delta2"),
      columnPartials: own(chunks * Math.max(v4, h4) * 4, "column partials"),
      squaredErrorPartials: own(chunks * v4 * 4, "squared error partials"),
      splitPartials: own(slices * v4 * h4 * 4, "split-K partials"),
      meanActivation: own(h4 * 4, "rho hat"),
      squaredErrorTotals: own(v4 * 4, "squared error column totals"),
      weightPartials: own(sumSquaresPartialCount(2 * h * v) * 4, "weight square partials")
    };
    this.thetaBuffer = own(L.length * 4, "theta");
    this.gradBuffer = own(L.length * 4, "gradient");
    this.costBuffer = own(16, "cost");
    this.costStaging = device.createBuffer({ label: "cost read-back", size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.meanStaging = device.createBuffer({
      label: "rho hat read-back",
      size: Math.max(16, h4 * 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST
    });
    this.owned.push(this.costStaging, this.meanStaging);
    const padded = new Float32Array(m * v4);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < v; c++) padded[r * v4 + c] = dataset.data[r * v + c];
    }
    device.queue.writeBuffer(this.buffers.x, 0, padded);
    if (options.theta) this.writeTheta(options.theta);
  }
  ctx;
  shape;
  examples;
  layout;
  config;
  /** θ in UFLDL's packing, float32. */
  thetaBuffer;
  /** ∇J(θ) in θ's packing, float32: written by every evaluation. */
  gradBuffer;
  /** [cost, reconstruction, weightDecay, sparsity], float32. */
  costBuffer;
  hyperparameters;
  currentBatch;
  steps = [];
  bindGroups = /* @__PURE__ */ new Map();
  owned = [];
  buffers;
  costStaging;
  meanStaging;
  pending = Promise.resolve();
  destroyed = false;
  static async create(ctx2, shape, hyperparameters, dataset, options = {}) {
    ctx2.assertAlive();
    let model;
    try {
      model = await withErrorScopes(ctx2.device, "creating the GPU sparse autoencoder", async () => {
        const created = new _GpuSparseAutoencoder(ctx2, shape, hyperparameters, dataset, options);
        model = created;
        await created.buildSteps();
        created.bindGroupsFor(created.thetaBuffer, created.gradBuffer);
        return created;
      });
      return model;
    } catch (error) {
      model?.destroy();
      throw error;
    }
  }
  get batch() {
    return { ...this.currentBatch };
  }
  /** Evaluates examples [start, start + count) from now on (uniforms only; nothing recompiles). */
  setBatch(batch) {
    this.currentBatch = checkBatch(batch, this.examples);
    this.refreshPrograms();
  }
  setHyperparameters(p) {
    validateHyperparameters(p);
    this.hyperparameters = { ...p };
    this.refreshPrograms();
  }
  writeTheta(theta) {
    this.assertUsable();
    if (theta.length !== this.layout.length) {
      throw new RangeError(`\u03B8 has ${theta.length} values; this autoencoder needs ${this.layout.length}`);
    }
    const values = theta instanceof Float32Array ? theta : Float32Array.from(theta);
    this.ctx.device.queue.writeBuffer(this.thetaBuffer, 0, values.buffer, values.byteOffset, values.byteLength);
  }
  /**
   * Records the whole forward and backward pass into `encoder` (one compute pass), reading θ from
   * `thetaBuffer` and writing ∇J into `gradBuffer` (default: this model's own), and the cost into
   * costBuffer. An optimizer can record its own passes before and after in the same submission.
   */
  encodeEvaluation(encoder, thetaBuffer = this.thetaBuffer, gradBuffer = this.gradBuffer) {
    this.assertUsable();
    const bindGroups = this.bindGroupsFor(thetaBuffer, gradBuffer);
    const pass = encoder.beginComputePass({ label: "sparse autoencoder cost and gradient" });
    this.steps.forEach((step, i) => encodeStep(pass, { pipeline: step.pipeline, bindGroup: bindGroups[i], program: step.program }));
    pass.end();
  }
  /** One submission; reads back only the four cost scalars (and ρ̂ when asked). */
  evaluate(options = {}) {
    return this.serialize(async () => {
      this.assertUsable();
      const device = this.ctx.device;
      const h = this.shape.hiddenSize;
      await withErrorScopes(device, "evaluating the sparse autoencoder", () => {
        const encoder = device.createCommandEncoder();
        this.encodeEvaluation(encoder);
        encoder.copyBufferToBuffer(this.costBuffer, 0, this.costStaging, 0, 16);
        if (options.meanActivation) encoder.copyBufferToBuffer(this.buffers.meanActivation, 0, this.meanStaging, 0, roundUp4(h) * 4);
        device.queue.submit([encoder.finish()]);
      });
      await this.costStaging.mapAsync(GPUMapMode.READ);
      const c = new Float32Array(this.costStaging.getMappedRange().slice(0));
      this.costStaging.unmap();
      const result = { cost: c[0], parts: { reconstruction: c[1], weightDecay: c[2], sparsity: c[3] } };
      if (options.meanActivation) {
        await this.meanStaging.mapAsync(GPUMapMode.READ);
        result.meanActivation = new Float32Array(this.meanStaging.getMappedRange().slice(0, h * 4));
        this.meanStaging.unmap();
      }
      return result;
    });
  }
  readGradient() {
    return this.serialize(() => readF32(this.ctx, this.gradBuffer, 0, this.layout.length));
  }
  readTheta() {
    return this.serialize(() => readF32(this.ctx, this.thetaBuffer, 0, this.layout.length));
  }
  /** [cost, reconstruction, weightDecay, sparsity] as left by the last evaluation. */
  readCost() {
    return this.serialize(() => readF32(this.ctx, this.costBuffer, 0, 4));
  }
  readMeanActivation() {
    return this.serialize(() => readF32(this.ctx, this.buffers.meanActivation, 0, this.shape.hiddenSize));
  }
  /** a⁽²⁾, a⁽³⁾, δ⁽³⁾, δ⁽²⁾ of the last evaluation's batch, row-major without padding (tests). */
  readIntermediates() {
    return this.serialize(async () => {
      const { visibleSize: v, hiddenSize: h } = this.shape;
      const m = this.currentBatch.count;
      const unpad = async (buffer, cols) => {
        const cols4 = roundUp4(cols);
        const raw = await readF32(this.ctx, buffer, 0, m * cols4);
        const out2 = new Float32Array(m * cols);
        for (let r = 0; r < m; r++) out2.set(raw.subarray(r * cols4, r * cols4 + cols), r * cols);
        return out2;
      };
      return {
        a2: await unpad(this.buffers.a2, h),
        a3: await unpad(this.buffers.a3, v),
        delta3: await unpad(this.buffers.delta3, v),
        delta2: await unpad(this.buffers.delta2, h)
      };
    });
  }
  /** The programs of one evaluation in order (names, dispatch sizes, chain lengths). */
  get programs() {
    return this.steps.map((s) => s.program);
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const buffer of this.owned) buffer.destroy();
    for (const step of this.steps) step.uniformBuffer.destroy();
    this.bindGroups.clear();
  }
  // -------------------------------------------------------------------------------------------
  assertUsable() {
    if (this.destroyed) throw new Error("this GpuSparseAutoencoder has been destroyed");
    this.ctx.assertAlive();
  }
  serialize(fn) {
    const run = this.pending.then(fn, fn);
    this.pending = run.catch(() => void 0);
    return run;
  }
  /** The step list: program factories (reading the current batch and hyperparameters) and buffers. */
  stepDefinitions() {
    const { visibleSize: v, hiddenSize: h } = this.shape;
    const v4 = roundUp4(v);
    const h4 = roundUp4(h);
    const L = this.layout;
    const B = this.buffers;
    const lanes = this.config.laneGroup;
    const variant = this.config.matmul;
    const m = () => this.currentBatch.count;
    const xOffset = () => this.currentBatch.start * v4 / 4;
    const hp = () => this.hyperparameters;
    const column = (cols, ld, outOffset, scale) => () => finalizeProgram({ rows: 1, cols, ld, sliceStride: ld, slices: chunkCount(m()), outOffset, scale: scale() });
    const weightGradient = (rows, cols, rowsPadded, colsPadded, offset) => () => finalizeProgram({
      rows,
      cols,
      ld: colsPadded,
      sliceStride: rowsPadded * colsPadded,
      slices: Math.ceil(m() / this.config.splitK),
      outOffset: offset,
      wOffset: offset,
      scale: 1 / m(),
      lambda: hp().lambda
    });
    return [
      // Padded copies of W1ᵀblock (v × h) and W2ᵀblock (h × v).
      { make: () => padMatrixProgram({ rows: v, cols: h, outRows: v4, srcOffset: L.W1 }), buffers: (t) => [t, B.w1p] },
      { make: () => padMatrixProgram({ rows: h, cols: v, outRows: h4, srcOffset: L.W2 }), buffers: (t) => [t, B.w2p] },
      // a⁽²⁾ = σ(X·W1ᵀ + b1)
      {
        make: () => matmulProgram({ M: m(), N: h4, K: v4, transA: false, transB: false, aOffset: xOffset(), biasSigmoid: true, biasOffset: L.b1, nValid: h }, variant),
        buffers: (t) => [B.x, B.w1p, B.a2, t]
      },
      // ρ̂ = column means of a⁽²⁾
      { make: () => columnSumsProgram({ rows: m(), cols4: h4 / 4 }, lanes), buffers: () => [B.a2, B.columnPartials] },
      { make: column(h, h4, 0, () => 1 / m()), buffers: (t) => [B.columnPartials, t, B.meanActivation] },
      // a⁽³⁾ = σ(a⁽²⁾·W2ᵀ + b2)
      {
        make: () => matmulProgram({ M: m(), N: v4, K: h4, transA: false, transB: false, biasSigmoid: true, biasOffset: L.b2, nValid: v }, variant),
        buffers: (t) => [B.a2, B.w2p, B.a3, t]
      },
      // δ⁽³⁾ with Σ(a⁽³⁾ − x)² and Σδ⁽³⁾ partials; ∇b2; squared-error column totals.
      {
        make: () => outputDeltaProgram({ rows: m(), cols4: v4 / 4, xOffset: xOffset() }, lanes),
        buffers: () => [B.a3, B.x, B.delta3, B.squaredErrorPartials, B.columnPartials]
      },
      { make: column(v, v4, L.b2, () => 1 / m()), buffers: (t, g) => [B.columnPartials, t, g] },
      { make: column(v, v4, 0, () => 1), buffers: (t) => [B.squaredErrorPartials, t, B.squaredErrorTotals] },
      // δ⁽³⁾·W2 (NT against the padded W2ᵀblock)
      {
        make: () => matmulProgram({ M: m(), N: h4, K: v4, transA: false, transB: true }, variant),
        buffers: (t) => [B.delta3, B.w2p, B.backprop, t]
      },
      // δ⁽²⁾ with Σδ⁽²⁾ partials; ∇b1.
      {
        make: () => hiddenDeltaProgram({ rows: m(), hidden: h, sparsityParam: hp().sparsityParam, beta: hp().beta }, lanes),
        buffers: () => [B.backprop, B.a2, B.meanActivation, B.delta2, B.columnPartials]
      },
      { make: column(h, h4, L.b1, () => 1 / m()), buffers: (t, g) => [B.columnPartials, t, g] },
      // ∇W1ᵀblock = Xᵀδ⁽²⁾/m + λW1ᵀblock (split-K over the examples)
      {
        make: () => matmulProgram({ M: v4, N: h4, K: m(), transA: true, transB: false, aOffset: xOffset(), kChunk: this.config.splitK }, variant),
        buffers: (t) => [B.x, B.delta2, B.splitPartials, t]
      },
      { make: weightGradient(v, h, v4, h4, L.W1), buffers: (t, g) => [B.splitPartials, t, g] },
      // ∇W2ᵀblock = a⁽²⁾ᵀδ⁽³⁾/m + λW2ᵀblock
      {
        make: () => matmulProgram({ M: h4, N: v4, K: m(), transA: true, transB: false, kChunk: this.config.splitK }, variant),
        buffers: (t) => [B.a2, B.delta3, B.splitPartials, t]
      },
      { make: weightGradient(h, v, h4, v4, L.W2), buffers: (t, g) => [B.splitPartials, t, g] },
      // ΣW1² + ΣW2² (the two blocks are contiguous in θ) and the cost.
      { make: () => sumSquaresProgram({ count: 2 * h * v, srcOffset: L.W1 }), buffers: (t) => [t, B.weightPartials] },
      {
        make: () => costProgram({
          squaredErrorCount: v,
          weightCount: sumSquaresPartialCount(2 * h * v),
          hidden: h,
          examples: m(),
          sparsityParam: hp().sparsityParam,
          beta: hp().beta,
          lambda: hp().lambda
        }),
        buffers: () => [B.squaredErrorTotals, B.weightPartials, B.meanActivation, this.costBuffer]
      }
    ];
  }
  async buildSteps() {
    const definitions = this.stepDefinitions();
    const programs = definitions.map((d) => d.make());
    const pipelines = await Promise.all(programs.map((p) => this.ctx.pipelines.pipeline(p)));
    const device = this.ctx.device;
    definitions.forEach((d, i) => {
      const program = programs[i];
      const uniformBuffer = device.createBuffer({
        label: `uniforms ${program.name}`,
        size: program.uniforms.byteLength,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST
      });
      device.queue.writeBuffer(uniformBuffer, 0, program.uniforms);
      this.steps.push({ ...d, program, pipeline: pipelines[i], uniformBuffer });
    });
  }
  /** Recomputes every program for the current batch and hyperparameters; rewrites uniforms only. */
  refreshPrograms() {
    this.assertUsable();
    for (const step of this.steps) {
      const program = step.make();
      if (this.ctx.pipelines.key(program) !== step.pipeline.key) {
        throw new Error(`internal: ${program.name} would need a different pipeline after a batch or hyperparameter change`);
      }
      step.program = program;
      this.ctx.device.queue.writeBuffer(step.uniformBuffer, 0, program.uniforms);
    }
  }
  bindGroupsFor(theta, grad) {
    let byGrad = this.bindGroups.get(theta);
    if (!byGrad) {
      byGrad = /* @__PURE__ */ new Map();
      this.bindGroups.set(theta, byGrad);
    }
    let groups = byGrad.get(grad);
    if (!groups) {
      const bytes = this.layout.length * 4;
      if (theta.size < bytes || grad.size < bytes) {
        throw new RangeError(`\u03B8 and gradient buffers need at least ${bytes} bytes (got ${theta.size} and ${grad.size})`);
      }
      groups = this.steps.map(
        (step) => createBindGroup(this.ctx.device, step.pipeline, step.uniformBuffer, step.buffers(theta, grad), step.program.name)
      );
      byGrad.set(grad, groups);
    }
    return groups;
  }
};
function checkBatch(batch, examples) {
  const { start, count } = batch;
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 1 && start + count <= examples)) {
    throw new RangeError(`batch [${start}, ${start + count}) is not a non-empty range inside [0, ${examples})`);
  }
  return { start, count };
}

// src/gpu/tolerance.ts
var UNIT_ROUNDOFF = 2 ** -24;
var CHAIN_FACTOR = 1;
function roundoffBound(chainLength, extraRoundings, sumOfAbsTerms) {
  return (CHAIN_FACTOR * chainLength + extraRoundings) * UNIT_ROUNDOFF * sumOfAbsTerms;
}
function sigmoidBound(z, zBound) {
  const s = 1 / (1 + Math.exp(-z));
  const expRelative = 2 * (3 + 2 * Math.abs(z)) * UNIT_ROUNDOFF;
  return s * (1 - s) * (zBound + expRelative) + 6 * UNIT_ROUNDOFF * s;
}
var MODEL_TOLERANCE = {
  /** |cost_gpu − cost_ref| / |cost_ref| */
  costRelative: 1e-5,
  /** ‖g_gpu − g_ref‖₂ / ‖g_ref‖₂ */
  gradientRelativeNorm: 1e-4
};

// src/gpu/checks.ts
var WORST_COUNT = 5;
function compareElementwise(name, shape, gpu, reference, bounds) {
  if (gpu.length !== reference.length) throw new RangeError(`${name}: ${gpu.length} GPU values vs ${reference.length} reference values`);
  let maxError = 0;
  let pass = true;
  const top = [];
  for (let i = 0; i < gpu.length; i++) {
    const error = Math.abs(gpu[i] - reference[i]);
    const finite = Number.isFinite(gpu[i]) && Number.isFinite(error);
    if (!(finite && error <= bounds[i])) pass = false;
    maxError = finite ? Math.max(maxError, error) : Infinity;
    const ratio = !finite ? Infinity : bounds[i] > 0 ? error / bounds[i] : error > 0 ? Infinity : 0;
    if (top.length < WORST_COUNT || ratio > top[top.length - 1].ratio) {
      let at = top.length < WORST_COUNT ? top.length : top.length - 1;
      while (at > 0 && top[at - 1].ratio < ratio) at--;
      top.splice(at, 0, { index: i, ratio });
      if (top.length > WORST_COUNT) top.pop();
    }
  }
  const worst = top.map(({ index }) => ({
    index,
    gpu: gpu[index],
    reference: reference[index],
    error: Math.abs(gpu[index] - reference[index]),
    bound: bounds[index]
  }));
  return { name, shape, maxError, bound: worst[0]?.bound ?? 0, pass, worst };
}
function uniformValues(rng, n, lo, hi) {
  const out2 = new Float32Array(n);
  for (let i = 0; i < n; i++) out2[i] = lo + (hi - lo) * rng.uniform();
  return out2;
}
function pad(values, rows, cols, rowsOut = rows) {
  const cols4 = roundUp4(cols);
  const out2 = new Float32Array(rowsOut * cols4);
  for (let r = 0; r < rows; r++) out2.set(values.subarray(r * cols, r * cols + cols), r * cols4);
  return out2;
}
var abs = (a) => Float64Array.from(a, Math.abs);
async function withBuffers(created, fn) {
  try {
    return await fn();
  } finally {
    for (const b of created) b.destroy();
  }
}
async function checkMatmul(ctx2, spec) {
  const { M, N, K, layout } = spec;
  const transA = layout === "TN";
  const transB = layout === "NT";
  const variant = spec.variant ?? chooseKernelConfig(ctx2.adapterInfo, ctx2.matmulVariant).matmul;
  const rng = new Random(spec.seed ?? 1);
  const a = uniformValues(rng, M * K, 0.1, 0.9);
  const b = uniformValues(rng, K * N, -0.5, 0.5);
  const N4 = roundUp4(N);
  const K4 = roundUp4(K);
  const M4 = roundUp4(M);
  const aDevice = transA ? pad(a, K, M) : pad(a, M, K);
  const bDevice = transB ? pad(b, N, K, N4) : pad(b, K, N, transA ? K : K4);
  const biasOffset = 3;
  const bias = uniformValues(rng, N + biasOffset, -1, 1);
  const rows = transA ? M4 : M;
  const program = matmulProgram(
    { M: rows, N: N4, K: transA ? K : K4, transA, transB, biasSigmoid: spec.biasSigmoid, biasOffset, nValid: N },
    variant
  );
  const device = ctx2.device;
  const buffers = [
    uploadF32(device, aDevice, "A"),
    uploadF32(device, bDevice, "B"),
    createStorageBuffer(device, rows * N4 * 4, "C"),
    uploadF32(device, bias, "bias")
  ];
  return withBuffers(buffers, async () => {
    await runPrograms(ctx2, [{ program, buffers }]);
    const c = await readF32(ctx2, buffers[2], 0, rows * N4);
    const ref = matmul(a, b, M, N, K, transA, transB);
    const absRef = matmul(abs(a), abs(b), M, N, K, transA, transB);
    const gpu = new Float64Array(rows * N4);
    const expected = new Float64Array(rows * N4);
    const bounds = new Float64Array(rows * N4);
    for (let r = 0; r < rows; r++) {
      for (let col = 0; col < N4; col++) {
        const i = r * N4 + col;
        gpu[i] = c[i];
        if (r >= M || col >= N) continue;
        const j = r * N + col;
        if (spec.biasSigmoid) {
          const z = ref[j] + bias[biasOffset + col];
          expected[i] = 1 / (1 + Math.exp(-z));
          bounds[i] = sigmoidBound(z, roundoffBound(program.chainLength, 1, absRef[j] + Math.abs(bias[biasOffset + col])));
        } else {
          expected[i] = ref[j];
          bounds[i] = roundoffBound(program.chainLength, 0, absRef[j]);
        }
      }
    }
    return compareElementwise(`matmul ${layout}${spec.biasSigmoid ? "+bias+sigmoid" : ""}`, { M, N, K, variant }, gpu, expected, bounds);
  });
}
async function checkWeightGradient(ctx2, spec) {
  const { m, rows, cols } = spec;
  const lambda = spec.lambda ?? 1e-4;
  const config = chooseKernelConfig(ctx2.adapterInfo, spec.variant ?? ctx2.matmulVariant);
  const rng = new Random(spec.seed ?? 2);
  const x = uniformValues(rng, m * rows, 0.1, 0.9);
  const delta = uniformValues(rng, m * cols, -0.05, 0.05);
  const offset = 5;
  const theta = uniformValues(rng, offset + rows * cols + 3, -0.3, 0.3);
  const rows4 = roundUp4(rows);
  const cols4 = roundUp4(cols);
  const product = matmulProgram({ M: rows4, N: cols4, K: m, transA: true, transB: false, kChunk: config.splitK }, config.matmul);
  const finalize = finalizeProgram({
    rows,
    cols,
    ld: cols4,
    sliceStride: rows4 * cols4,
    slices: product.slices,
    outOffset: offset,
    wOffset: offset,
    scale: 1 / m,
    lambda
  });
  const device = ctx2.device;
  const xBuffer = uploadF32(device, pad(x, m, rows), "X");
  const deltaBuffer = uploadF32(device, pad(delta, m, cols), "delta");
  const partials = createStorageBuffer(device, product.slices * rows4 * cols4 * 4, "partials");
  const thetaBuffer = uploadF32(device, theta, "theta");
  const grad = createStorageBuffer(device, theta.length * 4, "grad");
  return withBuffers([xBuffer, deltaBuffer, partials, thetaBuffer, grad], async () => {
    await runPrograms(ctx2, [
      { program: product, buffers: [xBuffer, deltaBuffer, partials, thetaBuffer] },
      { program: finalize, buffers: [partials, thetaBuffer, grad] }
    ]);
    const gpu = await readF32(ctx2, grad, offset, rows * cols);
    const w = theta.subarray(offset, offset + rows * cols);
    const ref = scaleAddDecay(matmul(x, delta, rows, cols, m, true, false), 1 / m, w, lambda);
    const absRef = scaleAddDecay(matmul(abs(x), abs(delta), rows, cols, m, true, false), 1 / m, abs(w), lambda);
    const chain = product.chainLength + finalize.chainLength;
    const bounds = absRef.map((s) => roundoffBound(chain, 3, s));
    return compareElementwise("weight gradient (split-K TN + finalize)", { m, rows, cols, variant: config.matmul, slices: product.slices }, gpu, ref, bounds);
  });
}
var DEFAULT_HYPERPARAMETERS = { sparsityParam: 0.01, lambda: 1e-4, beta: 3 };
function makeFixture(examples, visibleSize, hiddenSize, seed = 1) {
  const rng = new Random(seed);
  const data = new Float64Array(examples * visibleSize);
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(0.1 + 0.8 * rng.uniform());
  const theta = initializeParameters({ visibleSize, hiddenSize }, seed + 1).map(Math.fround);
  return { data, theta };
}
async function checkEvaluation(ctx2, spec) {
  const { examples: m, visibleSize: v, hiddenSize: h } = spec;
  const hp = spec.hyperparameters ?? DEFAULT_HYPERPARAMETERS;
  const hp32 = { sparsityParam: Math.fround(hp.sparsityParam), lambda: Math.fround(hp.lambda), beta: Math.fround(hp.beta) };
  const { data, theta } = makeFixture(m, v, h, spec.seed ?? 1);
  const shape = { visibleSize: v, hiddenSize: h };
  const dataset = { data, examples: m, visibleSize: v };
  const model = await GpuSparseAutoencoder.create(ctx2, shape, hp, dataset, { theta, matmulVariant: spec.variant });
  try {
    const evaluation = await model.evaluate();
    const grad = await model.readGradient();
    const ref = sparseAutoencoderCostDetailed(theta, shape, hp32, dataset);
    const label = { examples: m, visibleSize: v, hiddenSize: h, variant: model.config.matmul };
    const costError = Math.abs(evaluation.cost - ref.cost) / Math.abs(ref.cost);
    const costResult = {
      name: "evaluation cost (relative error)",
      shape: label,
      maxError: costError,
      bound: MODEL_TOLERANCE.costRelative,
      pass: Number.isFinite(evaluation.cost) && costError <= MODEL_TOLERANCE.costRelative,
      worst: [{ index: 0, gpu: evaluation.cost, reference: ref.cost, error: Math.abs(evaluation.cost - ref.cost), bound: MODEL_TOLERANCE.costRelative * Math.abs(ref.cost) }],
      details: {
        reconstructionRelative: Math.abs(evaluation.parts.reconstruction - ref.parts.reconstruction) / Math.abs(ref.parts.reconstruction),
        weightDecayRelative: Math.abs(evaluation.parts.weightDecay - ref.parts.weightDecay) / Math.abs(ref.parts.weightDecay),
        sparsityRelative: Math.abs(evaluation.parts.sparsity - ref.parts.sparsity) / Math.abs(ref.parts.sparsity)
      }
    };
    let num = 0;
    let den = 0;
    let finite = true;
    const entries = [];
    for (let i = 0; i < grad.length; i++) {
      const e = grad[i] - ref.grad[i];
      if (!Number.isFinite(grad[i])) finite = false;
      num += e * e;
      den += ref.grad[i] * ref.grad[i];
      entries.push({ index: i, gpu: grad[i], reference: ref.grad[i], error: Math.abs(e), bound: NaN });
    }
    entries.sort((a, b) => b.error - a.error);
    const gradError = Math.sqrt(num / den);
    const L = thetaLayout(shape);
    const blockError = (from, to) => {
      let n2 = 0;
      let d2 = 0;
      for (let i = from; i < to; i++) {
        n2 += (grad[i] - ref.grad[i]) ** 2;
        d2 += ref.grad[i] ** 2;
      }
      return Math.sqrt(n2 / d2);
    };
    const gradResult = {
      name: "evaluation gradient (relative 2-norm error)",
      shape: label,
      maxError: gradError,
      bound: MODEL_TOLERANCE.gradientRelativeNorm,
      pass: finite && gradError <= MODEL_TOLERANCE.gradientRelativeNorm,
      worst: entries.slice(0, WORST_COUNT),
      details: {
        W1: blockError(L.W1, L.W2),
        W2: blockError(L.W2, L.b1),
        b1: blockError(L.b1, L.b2),
        b2: blockError(L.b2, L.length)
      }
    };
    return [costResult, gradResult];
  } finally {
    model.destroy();
  }
}
function formatCheck(r) {
  const shape = Object.entries(r.shape).map(([k, v]) => `${k}=${v}`).join(" ");
  const worst = r.worst[0];
  const at = worst ? ` worst #${worst.index}: gpu ${worst.gpu} ref ${worst.reference} err ${worst.error.toExponential(2)} bound ${worst.bound.toExponential(2)}` : "";
  return `${r.pass ? "PASS" : "FAIL"} ${r.name} [${shape}] max error ${r.maxError.toExponential(2)} bound ${r.bound.toExponential(2)}${at}`;
}

// src/gpu/node.ts
import { create, globals } from "webgpu";

// src/gpu/pipelines.ts
var PipelineCache = class {
  constructor(device) {
    this.device = device;
  }
  device;
  /** Counters for tests: how many modules and pipelines were really created. */
  stats = { modulesCompiled: 0, pipelinesCreated: 0, pipelineHits: 0 };
  moduleIds = /* @__PURE__ */ new Map();
  modules = /* @__PURE__ */ new Map();
  pipelines = /* @__PURE__ */ new Map();
  layouts = /* @__PURE__ */ new Map();
  /** Compiles a shader module once per distinct source; throws WgslCompileError on errors. */
  module(shader) {
    const id = this.moduleId(shader.code);
    let module = this.modules.get(id);
    if (!module) {
      module = this.compile(shader);
      this.modules.set(id, module);
    }
    return module;
  }
  bindGroupLayout(bindings) {
    const key = bindings.join(",");
    let layout = this.layouts.get(key);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: `layout(${key})`,
        entries: bindings.map((type, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type }
        }))
      });
      this.layouts.set(key, layout);
    }
    return layout;
  }
  key(request) {
    const constants = Object.keys(request.constants).sort().map((name) => `${name}=${Number(request.constants[name])}`).join(",");
    return `${this.moduleId(request.shader.code)}|${request.shader.file}|${request.entryPoint}|${constants}|${request.bindings.join(",")}`;
  }
  pipeline(request) {
    const key = this.key(request);
    let pipeline = this.pipelines.get(key);
    if (pipeline) {
      this.stats.pipelineHits++;
      return pipeline;
    }
    pipeline = this.create(request, key);
    this.pipelines.set(key, pipeline);
    return pipeline;
  }
  moduleId(code) {
    let id = this.moduleIds.get(code);
    if (id === void 0) {
      id = this.moduleIds.size;
      this.moduleIds.set(code, id);
    }
    return id;
  }
  async compile(shader) {
    this.stats.modulesCompiled++;
    const device = this.device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ label: shader.file, code: shader.code });
    const info = await module.getCompilationInfo();
    const scopeError = await device.popErrorScope();
    const errors = info.messages.filter((m) => m.type === "error");
    if (errors.length > 0) {
      throw new WgslCompileError(
        shader.file,
        errors.map((m) => ({ type: m.type, line: m.lineNum, column: m.linePos, message: m.message })),
        shader.code
      );
    }
    if (scopeError) throw new GpuValidationError(`compiling ${shader.file}`, scopeError.message);
    return module;
  }
  async create(request, key) {
    const module = await this.module(request.shader);
    this.stats.pipelinesCreated++;
    const bindGroupLayout = this.bindGroupLayout(request.bindings);
    const constants = {};
    for (const [name, value] of Object.entries(request.constants)) constants[name] = Number(value);
    const label = `${request.shader.file}:${request.entryPoint}`;
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label,
        layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [bindGroupLayout] }),
        compute: { module, entryPoint: request.entryPoint, constants }
      });
      return { pipeline, bindGroupLayout, key };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new GpuValidationError(`creating the pipeline ${label} with ${JSON.stringify(constants)}`, message);
    }
  }
};

// src/gpu/device.ts
var NO_ADAPTER_FIX = {
  node: "install Mesa \u2265 24 Vulkan drivers (Debian: mesa-vulkan-drivers from bookworm-backports)",
  browser: "use Chrome \u2265 113 or start Chromium with --enable-unsafe-webgpu"
};
function guessEnvironment() {
  const g = globalThis;
  return g.process?.versions?.node !== void 0 && g.window === void 0 ? "node" : "browser";
}
function noAdapterMessage(environment) {
  return `No WebGPU adapter is available: ${NO_ADAPTER_FIX[environment]}.`;
}
var RAISED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage"
];
async function createGpuContext(gpu, options = {}) {
  const environment = options.environment ?? guessEnvironment();
  if (!gpu) throw new NoAdapterError(`WebGPU is not available here (no GPU object). ${noAdapterMessage(environment)}`);
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : void 0
  );
  if (!adapter) throw new NoAdapterError(noAdapterMessage(environment));
  const requiredLimits = {};
  for (const name of RAISED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === "number") requiredLimits[name] = value;
  }
  const device = await adapter.requestDevice({ requiredLimits, label: "sparse-autoencoder" });
  const info = adapter.info;
  const adapterInfo = {
    vendor: info?.vendor ?? "",
    architecture: info?.architecture ?? "",
    description: info?.description ?? "",
    device: info?.device ?? "",
    isFallbackAdapter: Boolean(info?.isFallbackAdapter)
  };
  let lost;
  let destroyed = false;
  void device.lost.then((info2) => {
    lost = info2;
    if (!destroyed && info2.reason !== "destroyed") {
      if (options.onDeviceLost) options.onDeviceLost(info2);
      else console.error(`WebGPU device lost (${info2.reason}): ${info2.message}`);
    }
  });
  device.addEventListener("uncapturederror", (event) => {
    console.error(`Uncaptured WebGPU error: ${event.error.message}`);
  });
  const pipelines = new PipelineCache(device);
  return {
    gpu,
    adapter,
    device,
    adapterInfo,
    pipelines,
    matmulVariant: options.matmulVariant,
    get lost() {
      return lost;
    },
    assertAlive() {
      if (destroyed) throw new DeviceLostError("the GPU context has been destroyed");
      if (lost) throw new DeviceLostError(`the WebGPU device was lost (${lost.reason}): ${lost.message}`);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      device.destroy();
    }
  };
}

// src/gpu/node.ts
var installed = false;
async function createNodeGpuContext(options = {}, dawnOptions = []) {
  if (!installed) {
    Object.assign(globalThis, globals);
    installed = true;
  }
  return createGpuContext(create(dawnOptions), { environment: "node", ...options });
}

// bench/tune/device-check.ts
var out = process.env.OUT ?? ".";
var log = [];
var say = (s) => {
  console.log(s);
  log.push(s);
};
var ctx = await createNodeGpuContext({ powerPreference: "high-performance" });
say(`adapter ${JSON.stringify(ctx.adapterInfo)}`);
var variants = ["workgroup", "registers"];
try {
  for (const variant of variants) {
    for (const [M, N, K, layout] of [
      [7, 25, 64, "NN"],
      [1e4, 196, 784, "NN"],
      [1e4, 784, 196, "NN"],
      [1e4, 196, 784, "NT"],
      [785, 197, 1001, "TN"]
    ]) {
      say(formatCheck(await checkMatmul(ctx, { M, N, K, layout, biasSigmoid: layout === "NN", variant })));
    }
    say(formatCheck(await checkWeightGradient(ctx, { m: 1e4, rows: 784, cols: 196, variant })));
  }
  for (const [m, v, h] of [
    [1e4, 64, 25],
    [1e4, 784, 196]
  ]) {
    for (const variant of variants) {
      for (const r of await checkEvaluation(ctx, { examples: m, visibleSize: v, hiddenSize: h, variant })) say(formatCheck(r));
      const { data, theta } = makeFixture(m, v, h, 1);
      const model = await GpuSparseAutoencoder.create(ctx, { visibleSize: v, hiddenSize: h }, DEFAULT_HYPERPARAMETERS, { data, examples: m, visibleSize: v }, { theta, matmulVariant: variant });
      for (let i = 0; i < 3; i++) await model.evaluate();
      const times = [];
      for (let i = 0; i < 15; i++) {
        const t = performance.now();
        await model.evaluate();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      say(`time (${m}, ${v}, ${h}) ${variant}: median ${times[7].toFixed(2)} ms, min ${times[0].toFixed(2)} ms`);
      model.destroy();
    }
  }
} catch (e) {
  say(`ERROR ${e instanceof Error ? e.stack : String(e)}`);
} finally {
  writeFileSync(`${out}/device-check.txt`, log.join("\n") + "\n");
  ctx.destroy();
}
