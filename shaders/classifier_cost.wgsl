// The last step of a classifier's evaluation (softmaxCost.m, stackedAECost.m):
//   crossEntropy = (1/m) Σ_r −log p_{y_r}      (from softmax.wgsl's per-workgroup partials)
//   weightDecay  = (λ/2) Σ softmaxθ²           (from sum_squares.wgsl's partials)
// and writes [cost, crossEntropy, weightDecay, 0].
//
// One workgroup of WG threads: thread t sums entries t, t + WG, … of each list, then a tree
// over the threads in workgroup memory. The chain is ⌈n/WG⌉ + log2(WG) additions.

override WG: u32 = 64;

struct Params {
  lossCount: u32,
  weightCount: u32,
  examples: u32,
  lambda: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> losses: array<f32>;
@group(0) @binding(2) var<storage, read> weightSquares: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> sums: array<vec2f, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32) {
  var s = vec2f(0.0);
  for (var i = t; i < p.lossCount; i += WG) {
    s.x += losses[i];
  }
  for (var i = t; i < p.weightCount; i += WG) {
    s.y += weightSquares[i];
  }
  sums[t] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      sums[t] += sums[t + stride];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let crossEntropy = sums[0].x / f32(p.examples);
    let weightDecay = 0.5 * p.lambda * sums[0].y;
    out[0] = crossEntropy + weightDecay;
    out[1] = crossEntropy;
    out[2] = weightDecay;
    out[3] = 0.0;
  }
}
