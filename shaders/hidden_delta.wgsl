// δ⁽²⁾ = (δ⁽³⁾·W2 + β(−ρ/ρ̂ + (1−ρ)/(1−ρ̂))) · a⁽²⁾(1 − a⁽²⁾), elementwise over m × hidden, with
// backprop = δ⁽³⁾·W2 already formed by the NT matmul, fused with the first level of
// deltaSum[chunk][col] = Σ δ⁽²⁾ (∇b1 = column means of δ⁽²⁾), summed by sum_slices.wgsl.
// Padding columns (col ≥ hidden) get δ = 0: their ρ̂ is 0 and the sparsity term is not formed.
// With SPARSE = false (the hidden layers of a classifier, src/gpu/classifier.ts) there is no
// sparsity term: δ = backprop · a(1 − a), and meanActivation is never read.
// With RELU the layer's activation is max(z, 0), whose derivative is 1 where a > 0 and 0
// elsewhere, in place of σ′ = a(1 − a).
//
// One thread per (vec4 column, chunk of CHUNK_ROWS rows); the sum's chain is CHUNK_ROWS/4 + 2.

override WG: u32 = 8;
override CHUNK_ROWS: u32 = 64;
override SPARSE: bool = true;
override RELU: bool = false;

struct Params {
  rows: u32,
  cols4: u32,
  hidden: u32,
  sparsityParam: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> backprop: array<vec4f>;
@group(0) @binding(2) var<storage, read> a2: array<vec4f>;
@group(0) @binding(3) var<storage, read> meanActivation: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> delta2: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> deltaSum: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let col4 = gid.x;
  if (col4 >= p.cols4) {
    return;
  }
  let col = col4 * 4u;
  let valid = vec4u(col, col + 1u, col + 2u, col + 3u) < vec4u(p.hidden);
  var sparsity = vec4f(0.0);
  if (SPARSE) {
    let rhoHat = select(vec4f(0.5), meanActivation[col4], valid);
    let rho = p.sparsityParam;
    sparsity = select(vec4f(0.0), p.beta * (-rho / rhoHat + (1.0 - rho) / (1.0 - rhoHat)), valid);
  }

  let chunk = wg.y;
  let rowBegin = chunk * CHUNK_ROWS;
  let rowEnd = min(p.rows, rowBegin + CHUNK_ROWS);
  var ds: array<vec4f, 4>;
  var q = 0u;
  for (var r = rowBegin; r < rowEnd; r++) {
    let i = r * p.cols4 + col4;
    let a = a2[i];
    var delta: vec4f;
    if (RELU) {
      delta = select(vec4f(0.0), backprop[i] + sparsity, a > vec4f(0.0));
    } else {
      delta = (backprop[i] + sparsity) * a * (1.0 - a);
    }
    delta2[i] = delta;
    ds[q] += delta;
    q = (q + 1u) & 3u;
  }
  deltaSum[chunk * p.cols4 + col4] = (ds[0] + ds[1]) + (ds[2] + ds[3]);
}
