// Second level of every two-level reduction: sums the slices of a partials buffer in a fixed
// order (deterministic), then out = scale · Σ + λ · w, written without the vec4 padding.
//
//   weight gradients  partials = split-K slices of Xᵀδ⁽²⁾ or a⁽²⁾ᵀδ⁽³⁾, scale = 1/m, λ·W added,
//                     out = the W1 or W2 block of the gradient (at its offset in θ's packing)
//   column means      partials = column_sums chunks, scale = 1/m, λ = 0 (ρ̂, ∇b1, ∇b2)
//
// out[outOffset + r·cols + c] = scale · Σ_s partials[s·sliceStride + r·ld + c] + λ·w[wOffset + r·cols + c]
// One thread per output, four interleaved accumulators: the chain is ⌈slices/4⌉ + 2 additions.

override WG: u32 = 64;

struct Params {
  rows: u32,
  cols: u32,
  // Row length of the partials (the padded column count) and the distance between slices.
  ld: u32,
  sliceStride: u32,
  slices: u32,
  outOffset: u32,
  wOffset: u32,
  gridWidth: u32,
  scale: f32,
  lambda: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.gridWidth + gid.x;
  if (i >= p.rows * p.cols) {
    return;
  }
  let r = i / p.cols;
  let c = i % p.cols;
  let base = r * p.ld + c;
  var s = vec4f(0.0);
  var q = 0u;
  for (; q + 4u <= p.slices; q += 4u) {
    s += vec4f(partials[base + q * p.sliceStride], partials[base + (q + 1u) * p.sliceStride],
               partials[base + (q + 2u) * p.sliceStride], partials[base + (q + 3u) * p.sliceStride]);
  }
  for (var e = 0u; q < p.slices; q++) {
    s[e] += partials[base + q * p.sliceStride];
    e++;
  }
  var v = p.scale * ((s.x + s.y) + (s.z + s.w));
  if (p.lambda != 0.0) {
    v += p.lambda * w[p.wOffset + i];
  }
  out[p.outOffset + i] = v;
}
