// One Adam step (Kingma & Ba), elementwise over θ:
//   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − α·(m/c₁)/(√(v/c₂) + ε)
// with the bias corrections c₁ = 1 − β₁ᵗ and c₂ = 1 − β₂ᵗ computed on the CPU.

override WG: u32;

struct Params {
  n: u32,
  learningRate: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  correction1: f32,
  correction2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> theta: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= p.n) {
    return;
  }
  let g = grad[i];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  theta[i] -= p.learningRate * (mi / p.correction1) / (sqrt(vi / p.correction2) + p.epsilon);
}
