// The decoder on TopK's sparse form (topk.wgsl with SPARSE): x̂_b = bias + Σ_j values[b, j]·W_dec[indices[b, j], :],
// k rows of the padded latents × width4 decoder summed instead of a product over every latent:
// O(k·d) per example instead of O(h·d). One thread per (example, vec4 of outputs); the chain is
// k + 1 (the bias). Padding outputs (≥ width) get 0.

override WG: u32 = 64;

struct Params {
  rows: u32,
  k: u32,
  width: u32,
  cols4: u32,
  biasOffset: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> indices: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x + gid.y * p.gridWidth;
  if (j >= p.rows * p.cols4) {
    return;
  }
  let b = j / p.cols4;
  let c4 = j % p.cols4;
  var s = vec4f(0.0);
  for (var q = 0u; q < p.k; q++) {
    s = fma(vec4f(values[b * p.k + q]), w[indices[b * p.k + q] * p.cols4 + c4], s);
  }
  let c = c4 * 4u;
  let valid = vec4u(c, c + 1u, c + 2u, c + 3u) < vec4u(p.width);
  let b4 = vec4f(bias[p.biasOffset + min(c, p.width - 1u)], bias[p.biasOffset + min(c + 1u, p.width - 1u)],
                 bias[p.biasOffset + min(c + 2u, p.width - 1u)], bias[p.biasOffset + min(c + 3u, p.width - 1u)]);
  out[j] = select(vec4f(0.0), s + b4, valid);
}
