// The ReLU-L1 SAE's penalty λ·(1/B)Σ_b Σ_i z_bi·‖W_dec,i‖ (Anthropic, April 2024) and its two
// gradient contributions. z is rows × cols (cols = latents, row stride ld), norms[i] = ‖W_dec,i‖
// (decoder_norms.wgsl).
//   penaltyPerExample: perExample[b] = Σ_i z_bi·norms[i]; one workgroup per example, thread t
//                     sums i = t, t + WG, …, then a tree: a chain of ⌈cols/WG⌉ + log2 WG
//   encoderDelta:     δ_bi = (backprop_bi + λ·norms[i])·1[z_bi > 0], the encoder's δ (per example,
//                     like every δ of the model layer, which scales ∇W by 1/B later)
//   decoderGradient:  grad(W_dec,i) += λ·scale·zSums[i]·w_i/‖w_i‖, scale = 1/B and zSums the
//                     column sums of z; nothing for a zero direction
//   addPenalty:       the batch's penalty λ·scale·Σ_i zSums[i]·norms[i] (= λ·(1/B)Σ_b Σ_i z_bi‖W_dec,i‖)
//                     into a model's cost: cost[3] = it, cost[0] += it; one workgroup, a chain of
//                     ⌈cols/WG⌉ + log2 WG

override WG: u32 = 64;

struct Params {
  rows: u32,
  cols: u32,
  ld: u32,
  width: u32,
  wOffset: u32,
  gOffset: u32,
  gridWidth: u32,
  lambda: f32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> norms: array<f32>;
@group(0) @binding(3) var<storage, read_write> perExample: array<f32>;
@group(0) @binding(3) var<storage, read> backprop: array<f32>;
@group(0) @binding(4) var<storage, read_write> delta: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> zSums: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
@group(0) @binding(1) var<storage, read> zColumnSums: array<f32>;
@group(0) @binding(3) var<storage, read_write> cost: array<f32>;

var<workgroup> sums: array<f32, WG>;

@compute @workgroup_size(WG)
fn penaltyPerExample(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let b = wg.x + wg.y * p.gridWidth;
  if (b >= p.rows) {
    return;
  }
  var s = 0.0;
  for (var i = t; i < p.cols; i += WG) {
    s = fma(z[b * p.ld + i], norms[i], s);
  }
  sums[t] = s;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (t < half) {
      sums[t] += sums[t + half];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    perExample[b] = sums[0];
  }
}

@compute @workgroup_size(WG)
fn encoderDelta(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x + gid.y * p.gridWidth;
  if (j >= p.rows * p.ld) {
    return;
  }
  let i = j % p.ld;
  // Padding columns (i ≥ cols) hold z = 0 and get δ = 0.
  delta[j] = select(0.0, backprop[j] + p.lambda * norms[min(i, p.cols - 1u)], z[j] > 0.0 && i < p.cols);
}

@compute @workgroup_size(WG)
fn decoderGradient(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x + gid.y * p.gridWidth;
  if (j >= p.cols * p.width) {
    return;
  }
  let i = j / p.width;
  let n = norms[i];
  if (n > 0.0) {
    grad[p.gOffset + j] += p.lambda * p.scale * zSums[i] * (w[p.wOffset + j] / n);
  }
}

@compute @workgroup_size(WG)
fn addPenalty(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
  for (var i = t; i < p.cols; i += WG) {
    s = fma(zColumnSums[i], norms[i], s);
  }
  sums[t] = s;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (t < half) {
      sums[t] += sums[t + half];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let penalty = p.lambda * p.scale * sums[0];
    cost[3] = penalty;
    cost[0] += penalty;
  }
}
