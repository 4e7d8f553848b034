// C = op(A) · op(B), the register-blocked variant for software adapters without fixed-size
// subgroups. (On SwiftShader the same blocking runs written out: matmul_unrolled_*.wgsl.)
//
// Layout: every matrix is row-major f32 with its column count padded to a multiple of 4 (zeros),
// bound as array<vec4f>; offsets are in vec4s. op(A) is M × K and op(B) is K × N:
//   NN  A stored M × K,  B stored K × N    (forward: z = X·W1ᵀblock, z = a2·W2ᵀblock)
//   NT  A stored M × K,  B stored N × K    (backprop: δ3 · W2)
//   TN  A stored K × M,  B stored K × N    (weight gradients: Xᵀ·δ2, a2ᵀ·δ3, K = examples)
// N is a multiple of 4, and so is K for NN and NT (the padded inner dimension) and M for TN.
//
// Why registers and vec4s: a software adapter runs a workgroup as SIMD lanes of one CPU core and
// (llvmpipe in Mesa 25) turns every storage-buffer load whose address is not a constant into a
// loop over the lanes. What costs is the number of loads,
// not the arithmetic, and a vec4 load costs barely more than a scalar one. So each lane keeps a
// TILE_ROWS × (4·TILE_COLS4) block of C in registers and, per four steps of k, loads TILE_ROWS +
// 4·TILE_COLS4 vec4s for 16·TILE_ROWS·TILE_COLS4 multiply-adds. No workgroup memory, no barriers
// (llvmpipe runs barriers as coroutine switches).
//
// Split-K: workgroup z sums k in [z·kChunk, (z+1)·kChunk) and writes its own M × N slice of C at
// cOffset + z·M·N/4, later summed in a fixed order by sum_slices.wgsl. Each output is one
// sequential chain of at most kChunk multiply-adds (the tolerance's n_eff).
//
// Epilogue (BIAS, then SIGMOID or RELU): C = act(op(A)·op(B) + bias[col]) for col < nValid, 0 in
// the padding.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
// Epilogue: BIAS adds bias[biasOffset + col] to the product; SIGMOID or RELU then applies
// the activation (with neither, the layer is linear).
override BIAS: bool = false;
override SIGMOID: bool = false;
override RELU: bool = false;
// Lanes per workgroup: WG_X side by side along N, WG_Y stacked along M. On llvmpipe the
// invocations of a workgroup run 8 at a time in index order, so WG_X·WG_Y a multiple of 8 leaves
// no SIMD lane idle, whatever WG_X is.
override WG_X: u32 = 8;
override WG_Y: u32 = 1;
// Rows of C per lane (a multiple of 4 when TRANS_A) and vec4 columns of C per lane.
override TILE_ROWS: u32 = 4;
override TILE_COLS4: u32 = 1;
const MAX_ROWS = 8u;
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
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

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

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n4 = p.N / 4u;
  let m4 = p.M / 4u;
  let k4 = p.K / 4u;
  let col4First = (wg.x * WG_X + lid.x) * TILE_COLS4;
  let rowFirst = (wg.y * WG_Y + lid.y) * TILE_ROWS;
  let kBegin = wg.z * p.kChunk;
  let kEnd = min(p.K, kBegin + p.kChunk);

  // Lanes and rows past the edge load from clamped, valid addresses and skip the store, so the
  // inner loop has no branches.
  var bCol: array<u32, MAX_COLS4>;
  for (var j = 0u; j < TILE_COLS4; j++) {
    bCol[j] = min(col4First + j, n4 - 1u);
  }
  var aRow: array<u32, MAX_ROWS>;
  for (var r = 0u; r < TILE_ROWS; r++) {
    aRow[r] = min(rowFirst + r, p.M - 1u);
  }

  var acc: array<array<vec4f, MAX_COLS4>, MAX_ROWS>;
  for (var r = 0u; r < TILE_ROWS; r++) {
    for (var j = 0u; j < TILE_COLS4; j++) {
      acc[r][j] = vec4f(0.0);
    }
  }

  if (TRANS_A) {
    // TN: per k, one vec4 of op(A)'s column k (4 rows) and TILE_COLS4 vec4s of op(B)'s row k.
    let rowGroup = min(rowFirst / 4u, m4 - 1u);
    for (var k = kBegin; k < kEnd; k++) {
      var bk: array<vec4f, MAX_COLS4>;
      for (var j = 0u; j < TILE_COLS4; j++) {
        bk[j] = b[p.bOffset + k * n4 + bCol[j]];
      }
      for (var r4 = 0u; r4 < TILE_ROWS / 4u; r4++) {
        let ak = a[p.aOffset + k * m4 + min(rowGroup + r4, m4 - 1u)];
        for (var j = 0u; j < TILE_COLS4; j++) {
          acc[r4 * 4u][j] = fma(vec4f(ak.x), bk[j], acc[r4 * 4u][j]);
          acc[r4 * 4u + 1u][j] = fma(vec4f(ak.y), bk[j], acc[r4 * 4u + 1u][j]);
          acc[r4 * 4u + 2u][j] = fma(vec4f(ak.z), bk[j], acc[r4 * 4u + 2u][j]);
          acc[r4 * 4u + 3u][j] = fma(vec4f(ak.w), bk[j], acc[r4 * 4u + 3u][j]);
        }
      }
    }
  } else {
    // NN, NT: per four steps of k, one vec4 of each row of op(A) and a 4 × 4 block of op(B)
    // per vec4 column.
    for (var kk = kBegin / 4u; kk < (kEnd + 3u) / 4u; kk++) {
      var b0: array<vec4f, MAX_COLS4>;
      var b1: array<vec4f, MAX_COLS4>;
      var b2: array<vec4f, MAX_COLS4>;
      var b3: array<vec4f, MAX_COLS4>;
      for (var j = 0u; j < TILE_COLS4; j++) {
        if (TRANS_B) {
          // Rows 4j'..4j'+3 of the stored N × K matrix, transposed in registers (free in SIMD form).
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
      for (var r = 0u; r < TILE_ROWS; r++) {
        let ak = a[p.aOffset + aRow[r] * k4 + kk];
        for (var j = 0u; j < TILE_COLS4; j++) {
          acc[r][j] = fma(vec4f(ak.w), b3[j], fma(vec4f(ak.z), b2[j], fma(vec4f(ak.y), b1[j], fma(vec4f(ak.x), b0[j], acc[r][j]))));
        }
      }
    }
  }

  let cBase = p.cOffset + wg.z * (p.M * n4);
  for (var j = 0u; j < TILE_COLS4; j++) {
    let col4 = col4First + j;
    if (col4 < n4) {
      var biasValue = vec4f(0.0);
      var valid = vec4<bool>(true);
      if (BIAS) {
        let col = col4 * 4u;
        valid = vec4u(col, col + 1u, col + 2u, col + 3u) < vec4u(p.nValid);
        // Padding columns read the last bias; their output is forced to 0 below.
        let last = p.nValid - 1u;
        biasValue = vec4f(bias[p.biasOffset + min(col, last)], bias[p.biasOffset + min(col + 1u, last)],
                          bias[p.biasOffset + min(col + 2u, last)], bias[p.biasOffset + min(col + 3u, last)]);
      }
      for (var r = 0u; r < TILE_ROWS; r++) {
        let row = rowFirst + r;
        if (row < p.M) {
          var v = acc[r][j];
          if (BIAS) {
            v = epilogue(v, biasValue, valid);
          }
          c[cBase + row * n4 + col4] = v;
        }
      }
    }
  }
}
