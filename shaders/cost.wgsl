// The last step: combines the partial sums into
//   cost = reconstruction + weightDecay + sparsity
//   reconstruction = Σ(a⁽³⁾ − x)² / (2m)
//   weightDecay    = (λ/2)(ΣW1² + ΣW2²)
//   sparsity       = β Σⱼ KL(ρ ‖ ρ̂ⱼ),  KL = ρ log(ρ/ρ̂) + (1−ρ) log((1−ρ)/(1−ρ̂))
// and writes [cost, reconstruction, weightDecay, sparsity]. Without SPARSE (an autoencoder with no
// sparsity penalty) the last is 0 and ρ̂ is never read.
//
// One workgroup of WG threads: thread t sums entries t, t + WG, … of each list, then a tree
// over the threads in workgroup memory. The chain is ⌈n/WG⌉ + log2(WG) additions.

override WG: u32 = 64;
override SPARSE: bool = true;

struct Params {
  squaredErrorCount: u32,
  weightCount: u32,
  hidden: u32,
  examples: u32,
  sparsityParam: f32,
  beta: f32,
  lambda: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> squaredError: array<f32>;
@group(0) @binding(2) var<storage, read> weightSquares: array<f32>;
@group(0) @binding(3) var<storage, read> meanActivation: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> sums: array<vec3f, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32) {
  let rho = p.sparsityParam;
  var s = vec3f(0.0);
  for (var i = t; i < p.squaredErrorCount; i += WG) {
    s.x += squaredError[i];
  }
  for (var i = t; i < p.weightCount; i += WG) {
    s.y += weightSquares[i];
  }
  if (SPARSE) {
    for (var i = t; i < p.hidden; i += WG) {
      let rhoHat = meanActivation[i];
      s.z += rho * log(rho / rhoHat) + (1.0 - rho) * log((1.0 - rho) / (1.0 - rhoHat));
    }
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
    let total = sums[0];
    let reconstruction = total.x / (2.0 * f32(p.examples));
    let weightDecay = 0.5 * p.lambda * total.y;
    let sparsity = p.beta * total.z;
    out[0] = reconstruction + weightDecay + sparsity;
    out[1] = reconstruction;
    out[2] = weightDecay;
    out[3] = sparsity;
  }
}
