// Second level of every two-level reduction: sums the slices of a partials buffer in a fixed
// order (deterministic), then out = scale · Σ + λ · w, written without the vec4 padding.
//
//   weight gradients  partials = split-K slices of Xᵀδ⁽²⁾ or a⁽²⁾ᵀδ⁽³⁾, scale = 1/m, λ·W added,
//                     out = the W1 or W2 block of the gradient (at its offset in θ's packing)
//   column means      partials = column_sums chunks, scale = 1/m, λ = 0 (ρ̂, ∇b1, ∇b2)
//
// out[outOffset + r·cols + c] = scale · Σ_s partials[s·sliceStride + r·ld + c] + λ·w[wOffset + r·cols + c]
// ld and sliceStride are multiples of 4 (the partials are vec4-padded), so one thread reads a
// vec4 per slice and writes up to four outputs. Slices go into ACCUMULATORS interleaved
// accumulators (4, or 16 for the hundreds of tiles of a fused matmul's column sums), summed in
// adjacent pairs: the chain is ⌈slices/ACCUMULATORS⌉ + log₂ ACCUMULATORS additions.

override WG: u32 = 64;
override ACCUMULATORS: u32 = 4u;
const MAX_ACCUMULATORS = 16u;

struct Params {
  rows: u32,
  cols: u32,
  // Row length of the partials (the padded column count) and the distance between slices, in f32s.
  ld: u32,
  sliceStride: u32,
  slices: u32,
  outOffset: u32,
  wOffset: u32,
  gridWidth: u32,
  scale: f32,
  lambda: f32,
  // 1: add to what out holds (a data set evaluated in pieces, src/gpu/autoencoder.ts).
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<vec4f>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let cols4 = (p.cols + 3u) / 4u;
  let i = gid.y * p.gridWidth + gid.x;
  if (i >= p.rows * cols4) {
    return;
  }
  let r = i / cols4;
  let c = (i % cols4) * 4u;
  let base = (r * p.ld + c) / 4u;
  let stride = p.sliceStride / 4u;
  var s: array<vec4f, MAX_ACCUMULATORS>;
  // Slice q goes to accumulator q mod ACCUMULATORS, in order. One load in the loop's body (an
  // unrolled one per accumulator made Mesa's lavapipe compile for seconds at the first dispatch).
  for (var q = 0u; q < p.slices; q++) {
    s[q % ACCUMULATORS] += partials[base + q * stride];
  }
  // Adjacent pairs: with 4, (s0 + s1) + (s2 + s3).
  for (var width = ACCUMULATORS / 2u; width > 0u; width /= 2u) {
    for (var e = 0u; e < width; e++) {
      s[e] = s[2u * e] + s[2u * e + 1u];
    }
  }
  let total = p.scale * s[0];
  for (var e = 0u; e < 4u; e++) {
    if (c + e < p.cols) {
      let k = r * p.cols + c + e;
      var v = total[e];
      if (p.accumulate != 0u) {
        v += out[p.outOffset + k];
      }
      if (p.lambda != 0.0) {
        v += p.lambda * w[p.wOffset + k];
      }
      out[p.outOffset + k] = v;
    }
  }
}
