// The decoder's directions as unit vectors: W_dec is the latents × width block of θ at wOffset
// (row i is latent i's direction, the papers' column W_dec,i), its gradient the block of the
// same shape at gOffset of the gradient.
//   columnNorms:    norms[i] = ‖w_i‖ (the L1 penalty's weights)
//   removeParallel: g_i ← g_i − (g_i·w_i / ‖w_i‖²)·w_i, before the optimizer's step
//   renormalize:    w_i ← w_i / ‖w_i‖, after it
// A zero direction keeps its gradient and stays zero. One workgroup per latent: thread t sums
// entries t, t + WG, … then a tree over the workgroup, a chain of ⌈width/WG⌉ + log2 WG.

override WG: u32 = 64;

struct Params {
  latents: u32,
  width: u32,
  wOffset: u32,
  gOffset: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> weights: array<f32>;

var<workgroup> sums: array<vec2f, WG>;

// Σ a·b and Σ b² over the workgroup, every thread getting both.
fn workgroupSums(t: u32, mine: vec2f) -> vec2f {
  sums[t] = mine;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (t < half) {
      sums[t] += sums[t + half];
    }
    workgroupBarrier();
  }
  let total = sums[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn columnNorms(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = wg.x + wg.y * p.gridWidth;
  if (i >= p.latents) {
    return;
  }
  let row = p.wOffset + i * p.width;
  var s = 0.0;
  for (var c = t; c < p.width; c += WG) {
    s = fma(w[row + c], w[row + c], s);
  }
  let total = workgroupSums(t, vec2f(0.0, s));
  if (t == 0u) {
    norms[i] = sqrt(total.y);
  }
}

@compute @workgroup_size(WG)
fn removeParallel(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = wg.x + wg.y * p.gridWidth;
  if (i >= p.latents) {
    return;
  }
  let row = p.wOffset + i * p.width;
  let gRow = p.gOffset + i * p.width;
  var s = vec2f(0.0);
  for (var c = t; c < p.width; c += WG) {
    let v = w[row + c];
    s = fma(vec2f(grad[gRow + c], v), vec2f(v), s);
  }
  let total = workgroupSums(t, s);
  if (total.y > 0.0) {
    let f = total.x / total.y;
    for (var c = t; c < p.width; c += WG) {
      grad[gRow + c] -= f * w[row + c];
    }
  }
}

@compute @workgroup_size(WG)
fn renormalize(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = wg.x + wg.y * p.gridWidth;
  if (i >= p.latents) {
    return;
  }
  let row = p.wOffset + i * p.width;
  var s = 0.0;
  for (var c = t; c < p.width; c += WG) {
    s = fma(weights[row + c], weights[row + c], s);
  }
  let total = workgroupSums(t, vec2f(0.0, s));
  if (total.y > 0.0) {
    let n = sqrt(total.y);
    for (var c = t; c < p.width; c += WG) {
      weights[row + c] /= n;
    }
  }
}
