// The decoder on TopK's sparse form (topk.wgsl with SPARSE): x̂_b = bias + Σ_j values[b, j]·W_dec[indices[b, j], :],
// k rows of the padded latents × width4 decoder summed instead of a product over every latent:
// O(k·d) per example instead of O(h·d). One thread per (example, four vec4s of outputs); the chain is
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

// Four vec4s of outputs a thread (C4 = 4): each (index, value) pair is loaded once for 16 outputs.
const C4 = 4u;

fn biasAt(c: u32) -> vec4f {
  let last = p.width - 1u;
  return vec4f(bias[p.biasOffset + min(c, last)], bias[p.biasOffset + min(c + 1u, last)],
               bias[p.biasOffset + min(c + 2u, last)], bias[p.biasOffset + min(c + 3u, last)]);
}

fn store(b: u32, c4: u32, s: vec4f) {
  let c = c4 * 4u;
  let valid = vec4u(c, c + 1u, c + 2u, c + 3u) < vec4u(p.width);
  out[b * p.cols4 + c4] = select(vec4f(0.0), s + biasAt(c), valid);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let groups = (p.cols4 + C4 - 1u) / C4;
  let t = gid.x + gid.y * p.gridWidth;
  if (t >= p.rows * groups) {
    return;
  }
  let b = t / groups;
  let c0 = (t % groups) * C4;
  // Outputs past the last vec4 read the last one again and are not written.
  let last = p.cols4 - 1u;
  let c = vec4u(c0, min(c0 + 1u, last), min(c0 + 2u, last), min(c0 + 3u, last));
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  for (var q = 0u; q < p.k; q++) {
    let v = vec4f(values[b * p.k + q]);
    let row = indices[b * p.k + q] * p.cols4;
    s0 = fma(v, w[row + c.x], s0);
    s1 = fma(v, w[row + c.y], s1);
    s2 = fma(v, w[row + c.z], s2);
    s3 = fma(v, w[row + c.w], s3);
  }
  store(b, c0, s0);
  if (c0 + 1u <= last) {
    store(b, c0 + 1u, s1);
  }
  if (c0 + 2u <= last) {
    store(b, c0 + 2u, s2);
  }
  if (c0 + 3u <= last) {
    store(b, c0 + 3u, s3);
  }
}
