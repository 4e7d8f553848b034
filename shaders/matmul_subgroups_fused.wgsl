// matmul_subgroups.wgsl with the step after the product fused into its epilogue (EPILOGUE), so
// the elementwise pass and the first level of its column sums need no dispatch of their own:
//
//   1  forward + column sums   c = act(A·B + bias) (as matmul_subgroups.wgsl), and
//                              partials[tile][col] = Σ of the tile's rows of c       (ρ̂ from a⁽²⁾)
//   2  forward + output delta  c = a⁽³⁾ = act(A·B + bias); d = a⁽³⁾ − x (x = aux from xOffset);
//                              out2 = δ⁽³⁾ = d·a⁽³⁾(1 − a⁽³⁾), or d when LINEAR;
//                              partials[tile][col] = Σ δ⁽³⁾ (∇b2), partials2[tile][col] = Σ d²
//   3  backprop + hidden delta c = δ⁽²⁾ = (δ⁽³⁾·W2pᵀ + β(−ρ/ρ̂ + (1−ρ)/(1−ρ̂)))·a(1 − a) (a = aux,
//                              ρ̂ = rhoHat; SPARSE = false: no sparsity term; RELU: 1[a > 0]),
//                              partials[tile][col] = Σ δ⁽²⁾ (∇b1)
//
// A tile is one subgroup's TILE_ROWS rows: each lane sums its own rows of its own columns in
// order (a chain of TILE_ROWS), so the partials are deterministic without atomics or barriers;
// sum_slices.wgsl sums the ⌈M/TILE_ROWS⌉ tiles afterwards. Rows past M add nothing, and the
// padding columns are 0 (the epilogue zeroes them; δ has no sparsity term there).
// The product itself is matmul_subgroups.wgsl's, unchanged (test/gpu/fused-epilogues.test.ts
// holds the copy identical), so unfused and fused give the same bits for c.

enable subgroups;
diagnostic(off, subgroup_uniformity);

override TRANS_A: bool = false;
override TRANS_B: bool = false;
// Epilogue: BIAS adds bias[biasOffset + col] to the product; SIGMOID or RELU then applies
// the activation (with neither, the layer is linear). EPILOGUE: the fused step (the header).
override BIAS: bool = false;
override SIGMOID: bool = false;
override RELU: bool = false;
override EPILOGUE: u32 = 1u;
override LINEAR: bool = false;
override SPARSE: bool = true;
// The subgroup size; the workgroup is SG lanes along N by WG_Y subgroups along M.
override SG: u32 = 8;
override WG_Y: u32 = 1;
// Rows of C per subgroup (a multiple of SG, and of 4; at most 32) and vec4 columns per lane (1 or 2).
override TILE_ROWS: u32 = 16;
override TILE_COLS4: u32 = 1;
const MAX_ROWS = 32u;
const MAX_COLS4 = 2u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  kChunk: u32,
  aOffset: u32,
  bOffset: u32,
  cOffset: u32,
  biasOffset: u32,
  nValid: u32,
  // EPILOGUE 2: x's first row in aux, in vec4s. 3: ρ and β of the sparsity term.
  xOffset: u32,
  sparsityParam: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<vec4f>;
@group(0) @binding(6) var<storage, read> rhoHat: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> out2: array<vec4f>;
@group(0) @binding(8) var<storage, read_write> partials: array<vec4f>;
@group(0) @binding(9) var<storage, read_write> partials2: array<vec4f>;

// The epilogue of a dense layer: z + bias, then the layer's activation (SIGMOID or RELU; neither
// is the identity), and 0 in the padding columns so the next layer's padded inner dimension adds
// nothing.
fn epilogue(v: vec4f, biasValue: vec4f, valid: vec4<bool>) -> vec4f {
  var z = v + biasValue;
  if (SIGMOID) {
    z = 1.0 / (1.0 + exp(-z));
  }
  if (RELU) {
    z = max(z, vec4f(0.0));
  }
  return select(vec4f(0.0), z, valid);
}

@compute @workgroup_size(SG, WG_Y)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let n4 = p.N / 4u;
  let m4 = p.M / 4u;
  let k4 = p.K / 4u;
  let col4First = (wg.x * SG + lid.x) * TILE_COLS4;
  let rowFirst = (wg.y * WG_Y + lid.y) * TILE_ROWS;
  let kBegin = wg.z * p.kChunk;
  let kEnd = min(p.K, kBegin + p.kChunk);

  var bCol: array<u32, MAX_COLS4>;
  for (var j = 0u; j < TILE_COLS4; j++) {
    bCol[j] = min(col4First + j, n4 - 1u);
  }
  var acc: array<array<vec4f, MAX_COLS4>, MAX_ROWS>;

  if (TRANS_A) {
    // TN: lane l loads op(A)'s column k0 + l (TILE_ROWS/4 vec4s); step kk takes lane kk's.
    let rowGroup = rowFirst / 4u;
    for (var k0 = kBegin; k0 < kEnd; k0 += SG) {
      let kMine = k0 + lane;
      let inRange = kMine < kEnd;
      var aMine: array<vec4f, MAX_ROWS / 4u>;
      for (var r4 = 0u; r4 < TILE_ROWS / 4u; r4++) {
        let v = a[p.aOffset + min(kMine, kEnd - 1u) * m4 + min(rowGroup + r4, m4 - 1u)];
        aMine[r4] = select(vec4f(0.0), v, inRange);
      }
      for (var kk = 0u; kk < SG; kk++) {
        let k = min(k0 + kk, kEnd - 1u);
        var bk: array<vec4f, MAX_COLS4>;
        for (var j = 0u; j < TILE_COLS4; j++) {
          bk[j] = b[p.bOffset + k * n4 + bCol[j]];
        }
        for (var r4 = 0u; r4 < TILE_ROWS / 4u; r4++) {
          let ak = subgroupShuffle(aMine[r4], kk);
          for (var j = 0u; j < TILE_COLS4; j++) {
            acc[r4 * 4u][j] = fma(vec4f(ak.x), bk[j], acc[r4 * 4u][j]);
            acc[r4 * 4u + 1u][j] = fma(vec4f(ak.y), bk[j], acc[r4 * 4u + 1u][j]);
            acc[r4 * 4u + 2u][j] = fma(vec4f(ak.z), bk[j], acc[r4 * 4u + 2u][j]);
            acc[r4 * 4u + 3u][j] = fma(vec4f(ak.w), bk[j], acc[r4 * 4u + 3u][j]);
          }
        }
      }
    }
  } else {
    // NN, NT: lane l loads rows rowFirst + l, rowFirst + l + SG, …; row r comes from lane r % SG.
    var aRowMine: array<u32, MAX_ROWS>;
    for (var q = 0u; q < TILE_ROWS / SG; q++) {
      aRowMine[q] = p.aOffset + min(rowFirst + q * SG + lane, p.M - 1u) * k4;
    }
    for (var kk = kBegin / 4u; kk < (kEnd + 3u) / 4u; kk++) {
      var b0: array<vec4f, MAX_COLS4>;
      var b1: array<vec4f, MAX_COLS4>;
      var b2: array<vec4f, MAX_COLS4>;
      var b3: array<vec4f, MAX_COLS4>;
      for (var j = 0u; j < TILE_COLS4; j++) {
        if (TRANS_B) {
          let base = p.bOffset + bCol[j] * 4u * k4 + kk;
          let t0 = b[base];
          let t1 = b[base + k4];
          let t2 = b[base + 2u * k4];
          let t3 = b[base + 3u * k4];
          b0[j] = vec4f(t0.x, t1.x, t2.x, t3.x);
          b1[j] = vec4f(t0.y, t1.y, t2.y, t3.y);
          b2[j] = vec4f(t0.z, t1.z, t2.z, t3.z);
          b3[j] = vec4f(t0.w, t1.w, t2.w, t3.w);
        } else {
          let base = p.bOffset + kk * 4u * n4 + bCol[j];
          b0[j] = b[base];
          b1[j] = b[base + n4];
          b2[j] = b[base + 2u * n4];
          b3[j] = b[base + 3u * n4];
        }
      }
      for (var q = 0u; q < TILE_ROWS / SG; q++) {
        let aMine = a[aRowMine[q] + kk];
        for (var l = 0u; l < SG; l++) {
          let ak = subgroupShuffle(aMine, l);
          let r = q * SG + l;
          for (var j = 0u; j < TILE_COLS4; j++) {
            acc[r][j] = fma(vec4f(ak.w), b3[j], fma(vec4f(ak.z), b2[j], fma(vec4f(ak.y), b1[j], fma(vec4f(ak.x), b0[j], acc[r][j]))));
          }
        }
      }
    }
  }

  let cBase = p.cOffset + wg.z * (p.M * n4);
  let tile = wg.y * WG_Y + lid.y;
  for (var j = 0u; j < TILE_COLS4; j++) {
    let col4 = col4First + j;
    if (col4 < n4) {
      let col = col4 * 4u;
      var biasValue = vec4f(0.0);
      var valid = vec4<bool>(true);
      if (BIAS) {
        valid = vec4u(col, col + 1u, col + 2u, col + 3u) < vec4u(p.nValid);
        let last = p.nValid - 1u;
        biasValue = vec4f(bias[p.biasOffset + min(col, last)], bias[p.biasOffset + min(col + 1u, last)],
                          bias[p.biasOffset + min(col + 2u, last)], bias[p.biasOffset + min(col + 3u, last)]);
      }
      var sparsity = vec4f(0.0);
      if (EPILOGUE == 3u && SPARSE) {
        let hiddenValid = vec4u(col, col + 1u, col + 2u, col + 3u) < vec4u(p.nValid);
        let r = select(vec4f(0.5), rhoHat[col4], hiddenValid);
        let rho = p.sparsityParam;
        sparsity = select(vec4f(0.0), p.beta * (-rho / r + (1.0 - rho) / (1.0 - r)), hiddenValid);
      }
      var sum = vec4f(0.0);
      var sum2 = vec4f(0.0);
      for (var r = 0u; r < TILE_ROWS; r++) {
        let row = rowFirst + r;
        if (row < p.M) {
          var v = acc[r][j];
          if (BIAS) {
            v = epilogue(v, biasValue, valid);
          }
          let i = row * n4 + col4;
          if (EPILOGUE == 2u) {
            let d = v - aux[p.xOffset + i];
            var delta = d;
            if (!LINEAR) {
              delta = d * v * (1.0 - v);
            }
            out2[i] = delta;
            sum += delta;
            sum2 = fma(d, d, sum2);
          } else if (EPILOGUE == 3u) {
            let a = aux[i];
            if (RELU) {
              v = select(vec4f(0.0), v + sparsity, a > vec4f(0.0));
            } else {
              v = (v + sparsity) * a * (1.0 - a);
            }
            sum += v;
          } else {
            sum += v;
          }
          c[cBase + i] = v;
        }
      }
      partials[tile * n4 + col4] = sum;
      if (EPILOGUE == 2u) {
        partials2[tile * n4 + col4] = sum2;
      }
    }
  }
}
