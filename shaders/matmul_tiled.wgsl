// C = op(A) · op(B), the workgroup-memory tiled variant for real GPUs.
//
// Same contract as matmul.wgsl (layouts NN / NT / TN, vec4-padded matrices, offsets in vec4s,
// split-K slices along workgroup z, optional bias + activation epilogue), so the two are
// interchangeable: chooseKernelConfig (src/gpu/adapter.ts) picks one per adapter.
//
// A workgroup of WG_X × WG_Y threads computes a (4·WG_Y) × (4·WG_X) tile of C; each thread owns
// 4 rows × one vec4 column. Per step of TILE_K, the workgroup stages a tile of op(A) and of op(B)
// in workgroup memory (each input element is read from global memory once per workgroup instead
// of once per thread), then every thread does 4·TILE_K vec4 multiply-adds from it.
// Each output is one sequential chain of at most kChunk multiply-adds, in order of k.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
// Epilogue: BIAS adds bias[biasOffset + col] to the product; SIGMOID or RELU then applies
// the activation (with neither, the layer is linear).
override BIAS: bool = false;
override SIGMOID: bool = false;
override RELU: bool = false;
override WG_X: u32 = 16;
override WG_Y: u32 = 16;
// Inner-dimension step staged per barrier; a multiple of 4.
override TILE_K: u32 = 16;
override TILE_M4: u32 = WG_Y;
override THREADS: u32 = WG_X * WG_Y;

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

// tileA[k][m4]: op(A) transposed, 4 rows per vec4. tileB[k][n4]: 4 columns per vec4.
var<workgroup> tileA: array<vec4f, TILE_K * TILE_M4>;
var<workgroup> tileB: array<vec4f, TILE_K * WG_X>;

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
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let n4 = p.N / 4u;
  let m4 = p.M / 4u;
  let k4 = p.K / 4u;
  let row4Base = wg.y * TILE_M4;
  let col4Base = wg.x * WG_X;
  let kBegin = wg.z * p.kChunk;
  let kEnd = min(p.K, kBegin + p.kChunk);

  var acc: array<vec4f, 4>;
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    if (TRANS_A) {
      // A stored K × M: vec4s run along m.
      for (var i = li; i < TILE_K * TILE_M4; i += THREADS) {
        let kk = i / TILE_M4;
        let mq = i % TILE_M4;
        let k = k0 + kk;
        let row4 = row4Base + mq;
        var v = vec4f(0.0);
        if (k < kEnd && row4 < m4) {
          v = a[p.aOffset + k * m4 + row4];
        }
        tileA[kk * TILE_M4 + mq] = v;
      }
    } else {
      // A stored M × K: vec4s run along k; transpose into the tile.
      for (var i = li; i < 4u * TILE_M4 * (TILE_K / 4u); i += THREADS) {
        let mm = i / (TILE_K / 4u);
        let kq = i % (TILE_K / 4u);
        let row = row4Base * 4u + mm;
        var v = vec4f(0.0);
        if (row < p.M && k0 + kq * 4u < kEnd) {
          v = a[p.aOffset + row * k4 + k0 / 4u + kq];
        }
        tileA[(kq * 4u) * TILE_M4 + mm / 4u][mm % 4u] = v.x;
        tileA[(kq * 4u + 1u) * TILE_M4 + mm / 4u][mm % 4u] = v.y;
        tileA[(kq * 4u + 2u) * TILE_M4 + mm / 4u][mm % 4u] = v.z;
        tileA[(kq * 4u + 3u) * TILE_M4 + mm / 4u][mm % 4u] = v.w;
      }
    }
    if (TRANS_B) {
      // B stored N × K: vec4s run along k; transpose into the tile.
      for (var i = li; i < 4u * WG_X * (TILE_K / 4u); i += THREADS) {
        let nn = i / (TILE_K / 4u);
        let kq = i % (TILE_K / 4u);
        let col = col4Base * 4u + nn;
        var v = vec4f(0.0);
        if (col < p.N && k0 + kq * 4u < kEnd) {
          v = b[p.bOffset + col * k4 + k0 / 4u + kq];
        }
        tileB[(kq * 4u) * WG_X + nn / 4u][nn % 4u] = v.x;
        tileB[(kq * 4u + 1u) * WG_X + nn / 4u][nn % 4u] = v.y;
        tileB[(kq * 4u + 2u) * WG_X + nn / 4u][nn % 4u] = v.z;
        tileB[(kq * 4u + 3u) * WG_X + nn / 4u][nn % 4u] = v.w;
      }
    } else {
      for (var i = li; i < TILE_K * WG_X; i += THREADS) {
        let kk = i / WG_X;
        let nq = i % WG_X;
        let k = k0 + kk;
        let col4 = col4Base + nq;
        var v = vec4f(0.0);
        if (k < kEnd && col4 < n4) {
          v = b[p.bOffset + k * n4 + col4];
        }
        tileB[kk * WG_X + nq] = v;
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let bv = tileB[kk * WG_X + lid.x];
      let av = tileA[kk * TILE_M4 + lid.y];
      acc[0] = fma(vec4f(av.x), bv, acc[0]);
      acc[1] = fma(vec4f(av.y), bv, acc[1]);
      acc[2] = fma(vec4f(av.z), bv, acc[2]);
      acc[3] = fma(vec4f(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }

  let col4 = col4Base + lid.x;
  if (col4 >= n4) {
    return;
  }
  var biasValue = vec4f(0.0);
  var valid = vec4<bool>(true);
  if (BIAS) {
    let col = col4 * 4u;
    valid = vec4u(col, col + 1u, col + 2u, col + 3u) < vec4u(p.nValid);
    let last = p.nValid - 1u;
    biasValue = vec4f(bias[p.biasOffset + min(col, last)], bias[p.biasOffset + min(col + 1u, last)],
                      bias[p.biasOffset + min(col + 2u, last)], bias[p.biasOffset + min(col + 3u, last)]);
  }
  let cBase = p.cOffset + wg.z * (p.M * n4);
  for (var r = 0u; r < 4u; r++) {
    let row = (row4Base + lid.y) * 4u + r;
    if (row < p.M) {
      var v = acc[r];
      if (BIAS) {
        v = epilogue(v, biasValue, valid);
      }
      c[cBase + row * n4 + col4] = v;
    }
  }
}
